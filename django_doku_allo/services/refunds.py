"""Every state change of a refund: request it (full amount), settle it, reconcile it.

``requested`` (saved before DOKU is called) ends ``succeeded`` (and its payment
``refunded``) or ``failed``; an answer we never got is ``unknown`` until a status
check of the payment settles it. Locks follow the one order of :mod:`._rows`:
the payment first, then the refund.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import signals
from ..conf import doku_settings, get_client
from ..exceptions import (
    BindingNotActive,
    DeclinedError,
    NotRefundable,
    OutcomeUnknownError,
    RetryableError,
    SnapError,
)
from ..models import BindingStatus, Payment, PaymentStatus, Refund, RefundStatus
from ..snap.channels import ALLO
from ..snap.codes import TransactionStatus
from ..snap.messages import CheckStatusResponse, CustomerContext, RefundRequest
from ..snap.redaction import redact_body
from ..snap.signing import new_external_id
from . import customer_tokens, payments
from ._rows import (
    check_later,
    lock,
    lock_refund_with_payment,
    move_if_allowed,
    record_response,
    remember,
    save,
    send_after_commit,
)

__all__ = [
    "apply_refund_history",
    "new_partner_refund_no",
    "refund",
    "refund_refusal_reason",
    "settle_live_refund_of",
    "sync_refund",
]

_UNSETTLED = (RefundStatus.REQUESTED, RefundStatus.UNKNOWN)


def new_partner_refund_no() -> str:
    """A fresh, unguessable ``partnerRefundNo`` in the channel's format."""
    return ALLO.new_partner_refund_no()


def _refusal(payment: Payment, live: Refund | None) -> str | None:
    """Why ``payment`` cannot be refunded now (``live``: its refund that did not fail)."""
    if payment.status != PaymentStatus.SUCCEEDED:
        return (f"Only a succeeded payment can be refunded; this one is "
                f"{payment.get_status_display().lower()}.")
    if live is not None:
        return (f"Payment {payment.partner_reference_no} already has refund "
                f"{live.partner_refund_no} ({live.get_status_display().lower()}).")
    if payment.binding.status != BindingStatus.ACTIVE:
        return ("The customer's Allo Bank account is no longer linked, so DOKU cannot "
                "refund it through the API; refund it from DOKU's back office.")
    return None


def refund_refusal_reason(payment: Payment) -> str | None:
    """Why :func:`refund` would refuse ``payment`` now, or ``None``: for display only.

    It reads without a lock so that a confirmation page can say in advance what
    will be skipped; :func:`refund` checks again under the row lock and has the
    last word. Select ``binding`` and prefetch ``refunds`` to keep a list at one query.
    """
    live = next((r for r in payment.refunds.all() if r.status != RefundStatus.FAILED), None)
    return _refusal(payment, live)


def refund(payment: Payment, *, reason: str = "", requested_by: Any = None,
           customer: CustomerContext | None = None) -> Refund:
    """Refund a succeeded payment in full; returns the Refund, whatever happened.

    At most one refund per payment is ever live: the payment row is locked while
    the refund is recorded, and a partial unique constraint backs that up, so
    concurrent clicks make one refund call. Raises
    :class:`~django_doku_allo.exceptions.NotRefundable` when the payment cannot be
    refunded.
    """
    client = get_client()
    with transaction.atomic():
        payment = lock(Payment, payment.pk)
        refusal = _refusal(payment, payment.refunds.exclude(status=RefundStatus.FAILED).first())
        if refusal is not None:
            raise NotRefundable(refusal)
        binding = payment.binding
        request = RefundRequest(
            original_partner_reference_no=payment.partner_reference_no,
            original_reference_no=payment.reference_no or None,
            original_external_id=payment.external_id or None,
            refund_amount=payment.amount, partner_refund_no=new_partner_refund_no(),
            reason=reason[:255] or None,
        )
        try:
            with transaction.atomic():
                record = Refund.objects.create(
                    payment=payment, partner_refund_no=request.partner_refund_no,
                    external_id=new_external_id(), amount=payment.amount,
                    currency=payment.currency, reason=reason[:255],
                    request_body=redact_body(request.to_body(client.config.channel)),
                    requested_by=requested_by if getattr(requested_by, "pk", None) else None,
                )
        except IntegrityError as exc:
            raise NotRefundable(f"Payment {payment.partner_reference_no} is already being "
                                "refunded.") from exc
    if customer is None and payment.customer_ip:
        customer = CustomerContext(ip_address=payment.customer_ip,
                                   device_id=payment.device_id or None)
    try:
        response = customer_tokens.with_customer_token(binding, lambda token: client.refund(
            request, customer_token=token, customer=customer,  # type: ignore[arg-type]
            external_id=record.external_id))
    except BindingNotActive as exc:
        return _settle(record.pk, RefundStatus.FAILED, reason=str(exc))
    except OutcomeUnknownError as exc:
        return check_later(_settle(record.pk, RefundStatus.UNKNOWN, reason=str(exc), error=exc))
    except (DeclinedError, RetryableError) as exc:
        return _settle(record.pk, RefundStatus.FAILED, reason=str(exc), error=exc)
    with transaction.atomic():
        locked_payment, locked = lock_refund_with_payment(record.pk)
        locked.refund_no = response.refund_no or ""
        record_response(locked, raw=response.response)
        if response.refund_time is not None:
            locked.refunded_at = response.refund_time
        return _settle_locked(locked, RefundStatus.SUCCEEDED, reason="", source="refund answer",
                              payment=locked_payment)


def _settle(pk: int, target: RefundStatus, *, reason: str,
            error: SnapError | None = None) -> Refund:
    with transaction.atomic():
        _, record = lock_refund_with_payment(pk)
        if error is not None:
            record_response(record, error)
        return _settle_locked(record, target, reason=reason, source="refund answer")


def _settle_locked(record: Refund, target: RefundStatus, *, reason: str, source: str,
                   payment: Payment | None = None) -> Refund:
    """Move ``record`` (locked, after its payment) to ``target``; save it either way.

    With ``payment`` (locked by the caller), a succeeded refund also moves the
    payment to ``refunded``; without it the caller applies the payment's status.
    """
    changed = move_if_allowed(record, target, source=source)
    if changed and target == RefundStatus.SUCCEEDED:
        record.refunded_at = record.refunded_at or timezone.now()
        save(record)
        if payment is not None:
            payments.apply_status(payment, PaymentStatus.REFUNDED, source=source, refund=record)
        return record
    if changed and target == RefundStatus.FAILED:
        record.response_message = record.response_message or reason[:255]
        send_after_commit(signals.refund_failed, Refund, refund=record, reason=reason)
    save(record)
    return record


def settle_live_refund_of(payment: Payment) -> Refund | None:
    """DOKU says ``payment`` (locked) is refunded: settle our refund of it, if we have one."""
    record = payment.refunds.exclude(status=RefundStatus.FAILED).first()
    if record is None or record.status == RefundStatus.SUCCEEDED:
        return record
    return _settle_locked(lock(Refund, record.pk), RefundStatus.SUCCEEDED, reason="",
                          source="payment refunded")


def apply_refund_history(payment: Payment, status: CheckStatusResponse) -> None:
    """Settle our unsettled refunds of ``payment`` (locked) from a status answer."""
    for record in payment.refunds.filter(status__in=_UNSETTLED).select_for_update():
        remember(record)
        entry = next((e for e in status.refund_history
                      if e.partner_refund_no == record.partner_refund_no), None)
        if entry is not None and entry.refund_status == "00":
            record.refund_no = entry.refund_no or record.refund_no
            _settle_locked(record, RefundStatus.SUCCEEDED, reason="", source="status check",
                           payment=payment)
        elif entry is not None and entry.refund_status == "06":
            _settle_locked(record, RefundStatus.FAILED, source="status check",
                           reason="DOKU reports the refund failed.")
        elif entry is None and status.latest_transaction_status == TransactionStatus.SUCCESS \
                and _older_than_check_delay(record.created_at):
            # DOKU knows the payment as paid and holds no refund of ours: it never happened.
            _settle_locked(record, RefundStatus.FAILED, source="status check",
                           reason="DOKU has no record of this refund.")


def _older_than_check_delay(created_at: datetime) -> bool:
    age = timezone.now() - created_at
    return age.total_seconds() >= float(doku_settings.STATUS_CHECK_DELAY)


def sync_refund(record: Refund, *, claimed: bool = False) -> Refund:
    """Settle a requested or unknown refund by a status check of its payment.

    ``claimed=True``: as for :func:`~.payments.sync_payment` (no re-read, no stamp).
    """
    if not claimed:
        record = Refund.objects.get(pk=record.pk)
        Refund.objects.filter(pk=record.pk).update(last_checked_at=timezone.now())
    if record.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
        return record
    status = payments.check_status(record.payment)
    payments.apply_checked_status(record.payment_id, status)
    return Refund.objects.get(pk=record.pk)
