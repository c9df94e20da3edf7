"""Money moves and payment state changes: the only code that debits or credits an account.

A payment moves forward only (``TRANSITIONS``); every change locks the payment and its
account rows inside the caller's transaction and queues the notification a final status
earns.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import Account, Payment, Refund

__all__ = ["TRANSITIONS", "InvalidTransition", "fail_payment", "refund_payment", "settle_payment"]

S = Payment.Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.INITIATED: frozenset({S.SUCCESS, S.CANCELED, S.FAILED}),
    S.SUCCESS: frozenset({S.REFUNDED}),
}


class InvalidTransition(Exception):
    """The payment is not in a state that allows this move (e.g. a second confirmation)."""


def _lock(payment: Payment) -> tuple[Payment, Account]:
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    account = Account.objects.select_for_update().get(pk=locked.account_id)
    return locked, account


def _move(payment: Payment, to: str) -> None:
    if to not in TRANSITIONS.get(payment.status, frozenset()):
        raise InvalidTransition(f"payment {payment.reference_no}: {payment.status} -> {to}")
    payment.status = to


def settle_payment(payment: Payment) -> Payment:
    """The customer confirmed: debit the account and mark ``00``; ``06`` if funds ran out."""
    from .notifications import enqueue

    with transaction.atomic():
        payment, account = _lock(payment)
        now = timezone.now()
        if account.balance < payment.amount:
            _move(payment, S.FAILED)
        else:
            _move(payment, S.SUCCESS)
            account.balance -= payment.amount
            account.save(update_fields=["balance"])
            payment.paid_time = now
        payment.finished_at = now
        payment.save(update_fields=["status", "paid_time", "finished_at"])
        enqueue(payment)
    return payment


def fail_payment(payment: Payment, status: str) -> Payment:
    """The customer cancelled (``05``) or failed verification (``06``)."""
    from .notifications import enqueue

    with transaction.atomic():
        payment, _ = _lock(payment)
        _move(payment, status)
        payment.finished_at = timezone.now()
        payment.save(update_fields=["status", "finished_at"])
        enqueue(payment)
    return payment


def refund_payment(payment: Payment, *, refund_no: str, partner_refund_no: str,
                   amount: Decimal, reason: str, fingerprint: str,
                   response_body: dict[str, object]) -> Refund:
    """Credit the full amount back and mark the payment ``04`` (no notification: DOKU
    documents none for refunds)."""
    with transaction.atomic():
        payment, account = _lock(payment)
        _move(payment, S.REFUNDED)
        account.balance += amount
        account.save(update_fields=["balance"])
        payment.save(update_fields=["status"])
        return Refund.objects.create(
            refund_no=refund_no, client_id=payment.client_id,
            partner_refund_no=partner_refund_no, fingerprint=fingerprint, payment=payment,
            amount=amount, reason=reason, response_body=response_body,
        )
