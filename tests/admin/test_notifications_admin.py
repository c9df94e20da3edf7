"""The notification admin: redacted headers, the reprocess action."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from django_doku_allo.models import Payment, PaymentStatus
from django_doku_allo.testing import notification_body
from tests.admin.helpers import (
    action_names,
    change,
    changelist,
    make_notification,
    run_action,
    sent_messages,
    staff_client,
)


@pytest.mark.django_db
def test_notification_page_shows_headers_with_credentials_redacted(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    notification = make_notification(make_payment())

    page = admin_client.get(change(notification)).content.decode()

    assert "leaked-jwt" not in page
    assert "X-EXTERNAL-ID" in page
    assert notification.original_partner_reference_no in page


@pytest.mark.django_db
def test_reprocess_action_applies_verified_notifications_and_skips_unverified_ones(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    payment = make_payment(status=PaymentStatus.PENDING)
    verified = make_notification(payment)
    forged = make_notification(payment, verified=False, verification_error="bad signature")

    response = run_action(admin_client, "notification", "reprocess_notifications",
                          [verified, forged])

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    reports = sent_messages(response)
    assert reports[0] == ("success", f"Notification {verified.pk}: processed: "
                                     "pending -> succeeded.")
    assert reports[1][0] == "warning"
    assert "skipped: This delivery failed verification" in reports[1][1]
    assert "bad signature" in reports[1][1]


@pytest.mark.django_db
def test_reprocess_action_reports_a_flagged_notification(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    payment = make_payment(status=PaymentStatus.PENDING)
    body = notification_body(payment, "00")
    body["amount"] = {"value": "1.00", "currency": "IDR"}
    notification = make_notification(payment, body=json.dumps(body))

    response = run_action(admin_client, "notification", "reprocess_notifications",
                          [notification])

    assert sent_messages(response) == [
        ("warning", f"Notification {notification.pk}: flagged, not applied: amount does "
                    "not match the payment.")]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_reprocess_action_needs_the_change_notification_permission(
        django_user_model: Any) -> None:
    viewer = staff_client(django_user_model, "view_notification", username="viewer")
    operator = staff_client(django_user_model, "view_notification", "change_notification",
                            username="operator")

    assert action_names(viewer.get(changelist("notification"))) == set()
    assert action_names(operator.get(changelist("notification"))) == {
        "reprocess_notifications"}
