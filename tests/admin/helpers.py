"""Helpers of the admin tests: URLs, staff clients, posting actions, reading messages."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from django_doku_allo.models import Notification, Payment, Refund, RefundStatus
from django_doku_allo.testing import notification_body

PHONE = "6281100000001"
MASKED = "6281*****0001"


def changelist(model: str) -> str:
    return reverse(f"admin:doku_allo_{model}_changelist")


def change(obj: Any) -> str:
    return reverse(f"admin:doku_allo_{obj._meta.model_name}_change", args=[obj.pk])


def staff_client(django_user_model: Any, *codenames: str, username: str = "staff") -> Client:
    member = django_user_model.objects.create_user(username=username, password="x",
                                                   is_staff=True)
    member.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="doku_allo", codename__in=codenames))
    client = Client()
    client.force_login(member)
    return client


def run_action(client: Client, model: str, action: str, objects: list[Any],
               **data: str) -> Any:
    """POST ``action`` from the change list, as the action bar does (``index`` set)."""
    return client.post(changelist(model), {
        "action": action, "_selected_action": [obj.pk for obj in objects], "index": "0",
        **data})


def confirm_refund(client: Client, payments: list[Any], reason: str) -> Any:
    """POST the refund confirmation page's form."""
    return client.post(changelist("payment"), {
        "action": "refund_payments", "_selected_action": [p.pk for p in payments],
        "confirm": "Yes, refund them", "reason": reason})


def sent_messages(response: Any) -> list[tuple[str, str]]:
    return [(message.tags, str(message)) for message in get_messages(response.wsgi_request)]


def action_names(response: Any) -> set[str]:
    form = response.context["action_form"]  # None when no action is offered at all
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def make_refund(payment: Payment, **fields: Any) -> Refund:
    defaults: dict[str, Any] = {
        "payment": payment, "partner_refund_no": f"RFND{payment.pk:036d}",
        "external_id": f"{payment.pk:024d}", "amount": payment.amount,
        "status": RefundStatus.SUCCEEDED, "reason": "Out of stock",
    }
    defaults.update(fields)
    return Refund.objects.create(**defaults)


def make_notification(payment: Payment, status: str = "00", **fields: Any) -> Notification:
    defaults: dict[str, Any] = {
        "body": json.dumps(notification_body(payment, status)),
        "headers": {"X-EXTERNAL-ID": "123", "Authorization": "Bearer leaked-jwt"},
        "original_partner_reference_no": payment.partner_reference_no,
        "latest_transaction_status": status, "verified": True, "payment": payment,
    }
    defaults.update(fields)
    return Notification.objects.create(**defaults)
