"""What "the bank" did, for assertions: balances, debits, refunds, notifications.

``payment_ref`` arguments accept DOKU's referenceNo or the merchant's partnerReferenceNo.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from django_doku_allo.snap.signing import snap_timestamp

from .accounts import get_or_create_account
from .customer import find_binding
from .models import (
    Account,
    Binding,
    IdempotencyRecord,
    IssuedToken,
    Notification,
    NotificationAttempt,
    Payment,
    Refund,
)
from .notifications import find_payment

__all__ = [
    "account_balance",
    "binding_status",
    "clear",
    "debit_count",
    "notifications",
    "notifications_delivered",
    "notifications_sent",
    "payment_status",
    "refund_count",
    "snapshot",
]


def account_balance(phone_no: str) -> Decimal:
    """The balance of the account of ``phone_no`` (opened with its test balance if new)."""
    return get_or_create_account(phone_no).balance


def debit_count(phone: str | None = None) -> int:
    """Payments whose money was taken (status 00, or 04 after a refund)."""
    payments = Payment.objects.filter(paid_time__isnull=False)
    if phone is not None:
        payments = payments.filter(account__phone_no=phone)
    return payments.count()


def refund_count(phone: str | None = None) -> int:
    refunds = Refund.objects.all()
    if phone is not None:
        refunds = refunds.filter(payment__account__phone_no=phone)
    return refunds.count()


def payment_status(payment_ref: str) -> str:
    """latestTransactionStatus of a payment (``Payment.DoesNotExist`` if unknown)."""
    return find_payment(payment_ref).status


def binding_status(auth_code_or_reference: str) -> str:
    """``PENDING``, ``ACTIVE``, ``FAILED`` or ``UNBOUND``."""
    return find_binding(auth_code_or_reference).status


def _notifications(payment_ref: str | None) -> QuerySet[Notification]:
    rows = Notification.objects.select_related("payment")
    if payment_ref is not None:
        rows = rows.filter(Q(payment__reference_no=payment_ref)
                           | Q(payment__partner_reference_no=payment_ref))
    return rows.order_by("pk")


def _iso(value: Any) -> str | None:
    return snap_timestamp(value) if value is not None else None


def notifications(payment_ref: str | None = None) -> list[dict[str, Any]]:
    """Every queued notification with its body, state and attempts, oldest first."""
    return [
        {
            "id": n.pk,
            "payment_reference_no": n.payment.reference_no,
            "kind": n.kind,
            "transaction_status": n.transaction_status,
            "status": n.status,
            "body": n.body,
            "next_attempt_at": _iso(n.next_attempt_at),
            "delivered_at": _iso(n.delivered_at),
            "attempts": [
                {
                    "attempted_at": _iso(a.attempted_at),
                    "manual": a.manual,
                    "url": a.url,
                    "token_http_status": a.token_http_status,
                    "http_status": a.http_status,
                    "ok": a.ok,
                    "response_snippet": a.response_snippet,
                    "error": a.error,
                    "duration_ms": a.duration_ms,
                }
                for a in n.attempt_log.all()
            ],
        }
        for n in _notifications(payment_ref).prefetch_related("attempt_log")
    ]


def notifications_sent(payment_ref: str | None = None) -> int:
    """Delivery attempts made (scheduled and manual), whatever their outcome."""
    attempts = NotificationAttempt.objects.filter(notification__in=_notifications(payment_ref))
    return attempts.count()


def notifications_delivered(payment_ref: str | None = None) -> int:
    """Notifications the merchant acknowledged with a 2xx."""
    return _notifications(payment_ref).filter(status=Notification.Status.DELIVERED).count()


def snapshot() -> dict[str, Any]:
    """Counts of everything, for a quick look (control API ``GET _control/state``)."""
    return {
        "accounts": {a.phone_no: f"{a.balance:.2f}" for a in Account.objects.order_by("pk")},
        "bindings": {s: Binding.objects.filter(status=s).count() for s in Binding.Status.values},
        "payments": {s: Payment.objects.filter(status=s).count() for s in Payment.Status.values},
        "refunds": Refund.objects.count(),
        "notifications": {s: Notification.objects.filter(status=s).count()
                          for s in Notification.Status.values},
        "notification_attempts": NotificationAttempt.objects.count(),
    }


def clear() -> None:
    """Forget everything: accounts, bindings, tokens, payments, notifications, idempotency keys."""
    with transaction.atomic():
        for model in (NotificationAttempt, Notification, Refund, Payment, IssuedToken,
                      IdempotencyRecord, Binding, Account):
            model.objects.all().delete()
