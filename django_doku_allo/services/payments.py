"""Every state change of a payment: charge (pay), settle, reconcile (sync_payment).

``initiated`` (saved before DOKU is called) becomes ``pending`` once DOKU created
the payment and the customer is confirming with OTP/PIN, then ``succeeded`` or
``failed``; an answer we never got is ``unknown`` until a status check settles
it; a succeeded payment becomes ``refunded``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .. import signals
from ..conf import doku_settings, get_client
from ..exceptions import (
    BindingNotActive,
    DeclinedError,
    OutcomeUnknownError,
    RetryableError,
    SnapError,
)
from ..models import Binding, BindingStatus, Payment, PaymentStatus, Refund
from ..snap.codes import TransactionStatus
from ..snap.signing import new_external_id
from ..snap.types import (
    CheckStatusRequest,
    CheckStatusResponse,
    CustomerContext,
    LineItem,
    PaymentRequest,
    format_amount,
)
from . import customer_tokens, refunds
from ._rows import check_later, lock, move_if_allowed, record_response, send_after_commit

__all__ = [
    "DOKU_TO_PAYMENT_STATUS",
    "apply_doku_status",
    "apply_status",
    "check_status",
    "new_partner_reference_no",
    "pay",
    "sync_payment",
]

logger = logging.getLogger(__name__)

#: DOKU's ``latestTransactionStatus`` -> our payment status.
DOKU_TO_PAYMENT_STATUS: dict[TransactionStatus, PaymentStatus] = {
    TransactionStatus.SUCCESS: PaymentStatus.SUCCEEDED,
    TransactionStatus.INITIATED: PaymentStatus.PENDING,
    TransactionStatus.PAYING: PaymentStatus.PENDING,
    TransactionStatus.PENDING: PaymentStatus.PENDING,
    TransactionStatus.REFUNDED: PaymentStatus.REFUNDED,
    TransactionStatus.CANCELED: PaymentStatus.FAILED,
    TransactionStatus.FAILED: PaymentStatus.FAILED,
}


def new_partner_reference_no() -> str:
    return "ALLO" + secrets.token_hex(14).upper()


def pay(
    *,
    binding: Binding,
    amount: Decimal | int | str,
    description: str,
    customer: CustomerContext,
    success_url: str,
    failure_url: str,
    line_items: Sequence[LineItem] | None = None,
    order_id: str = "",
    partner_reference_no: str | None = None,
    idempotency_key: str = "",
    idempotency_fingerprint: str = "",
) -> Payment:
    """Charge a bound Allo Bank account; returns the Payment, whatever happened.

    The payment is saved as ``initiated`` with its identifiers and exact body
    before DOKU is called. DOKU's success only *creates* the payment: it becomes
    ``pending`` with ``web_redirect_url``, where the customer confirms with OTP/PIN;
    the result arrives by notification or :func:`sync_payment`. A refusal makes it
    ``failed``; an answer we never got makes it ``unknown``.

    Mint ``partner_reference_no`` with :func:`new_partner_reference_no` first when
    the return URLs must name the payment (see ``views.payment_return_url``).
    """
    value = Decimal(format_amount(amount))
    partner_reference_no = partner_reference_no or new_partner_reference_no()
    items = list(line_items) if line_items else [LineItem(name=description[:32], price=value)]
    request = PaymentRequest(
        partner_reference_no=partner_reference_no, amount=value, remarks=description[:40],
        success_payment_url=success_url, failed_payment_url=failure_url, line_items=items,
    )
    client = get_client()
    with transaction.atomic():
        binding = lock(Binding, binding.pk)
        if binding.status != BindingStatus.ACTIVE:
            raise BindingNotActive("The Allo Bank account is not linked (or was unlinked).")
        payment = Payment.objects.create(
            binding=binding, user_id=binding.user_id,
            partner_reference_no=partner_reference_no, order_id=order_id,
            external_id=new_external_id(), amount=value, description=description[:40],
            request_body=request.to_body(client.config.channel),
            customer_ip=customer.ip_address, device_id=customer.device_id or "",
            idempotency_key=idempotency_key, idempotency_fingerprint=idempotency_fingerprint,
        )
    try:
        response = customer_tokens.with_customer_token(binding, lambda token: client.pay(
            request, customer_token=token, customer=customer, external_id=payment.external_id))
    except BindingNotActive as exc:
        return _settle(payment.pk, PaymentStatus.FAILED, reason=str(exc))
    except OutcomeUnknownError as exc:
        return check_later(_settle(payment.pk, PaymentStatus.UNKNOWN, error=exc, reason=str(exc)))
    except (DeclinedError, RetryableError) as exc:
        # Refused, or provably never processed: no money moved.
        return _settle(payment.pk, PaymentStatus.FAILED, error=exc, reason=str(exc))
    with transaction.atomic():
        locked = lock(Payment, payment.pk)
        locked.reference_no = response.reference_no or locked.reference_no
        locked.web_redirect_url = response.web_redirect_url or ""
        record_response(locked, raw=response.response)
        return check_later(apply_status(locked, PaymentStatus.PENDING, source="payment answer"))


def _settle(pk: int, target: PaymentStatus, *, reason: str = "",
            error: SnapError | None = None) -> Payment:
    with transaction.atomic():
        payment = lock(Payment, pk)
        if error is not None:
            record_response(payment, error)
        return apply_status(payment, target, source="payment answer", reason=reason)


def apply_status(payment: Payment, target: PaymentStatus, *, source: str,
                 reason: str = "", refund: Refund | None = None) -> Payment:
    """Move ``payment`` (locked by the caller) to ``target`` if allowed; save it either way.

    A stale or out-of-order event (a ``pending`` after ``succeeded``, a ``failed``
    after ``refunded``) is logged and ignored: terminal states never regress.
    """
    if target == PaymentStatus.REFUNDED and payment.status in (
            PaymentStatus.INITIATED, PaymentStatus.PENDING, PaymentStatus.UNKNOWN):
        # DOKU reports the end of a story we missed the middle of: paid, then refunded.
        apply_status(payment, PaymentStatus.SUCCEEDED, source=source)
    changed = move_if_allowed(payment, target, source=source)
    if changed and target == PaymentStatus.SUCCEEDED:
        payment.paid_at = payment.paid_at or timezone.now()
        send_after_commit(signals.payment_succeeded, Payment, payment=payment)
    elif changed and target == PaymentStatus.FAILED:
        payment.failure_reason = reason[:255]
        send_after_commit(signals.payment_failed, Payment, payment=payment, reason=reason)
    elif changed and target == PaymentStatus.REFUNDED:
        send_after_commit(signals.payment_refunded, Payment, payment=payment, refund=refund)
    payment.save()
    return payment


def apply_doku_status(payment: Payment, status: TransactionStatus, *, source: str,
                      description: str = "") -> Payment:
    """Apply DOKU's ``latestTransactionStatus`` to ``payment`` (locked by the caller)."""
    payment.doku_status = status.value
    target = DOKU_TO_PAYMENT_STATUS.get(status)
    if target is None:
        payment.save()
        return payment
    refund = None
    if target == PaymentStatus.REFUNDED:
        refund = refunds.settle_live_refund_of(payment)
    return apply_status(payment, target, source=source, refund=refund,
                        reason=description or f"DOKU status {status.value}")


def sync_payment(payment: Payment, *, claimed: bool = False) -> Payment:
    """Ask DOKU for the payment's status and apply it (the reconciliation path).

    Raises the SNAP error when DOKU could not answer; the payment is unchanged then.
    ``claimed=True``: the caller just read this row and stamped ``last_checked_at``
    (``doku_allo_sync``'s claim), so it is neither re-read nor stamped again.
    """
    if not claimed:
        payment = Payment.objects.get(pk=payment.pk)
        Payment.objects.filter(pk=payment.pk).update(last_checked_at=timezone.now())
    try:
        status = check_status(payment)
    except DeclinedError as exc:
        code = exc.code
        if code is not None and code.http_status == 404 and code.case == "01":
            return _not_found(payment.pk)
        raise
    return apply_checked_status(payment.pk, status)


def check_status(payment: Payment) -> CheckStatusResponse:
    """DOKU's status answer for ``payment`` (no state change)."""
    return get_client().check_status(CheckStatusRequest(
        original_partner_reference_no=payment.partner_reference_no,
        original_reference_no=payment.reference_no or None,
        original_external_id=payment.external_id or None,
        amount=payment.amount,
    ))


def _not_found(pk: int) -> Payment:
    """DOKU has no such payment. Only an old, unconfirmed one can be declared failed."""
    with transaction.atomic():
        payment = lock(Payment, pk)
        age = timezone.now() - payment.created_at
        if payment.status in (PaymentStatus.INITIATED, PaymentStatus.UNKNOWN) and \
                age.total_seconds() >= float(doku_settings.STATUS_CHECK_DELAY):
            return apply_status(payment, PaymentStatus.FAILED, source="status check",
                                reason="DOKU has no record of this payment.")
        payment.save()
        return payment


def apply_checked_status(pk: int, status: CheckStatusResponse) -> Payment:
    """Apply a status answer to payment ``pk`` and its unsettled refunds."""
    with transaction.atomic():
        payment = lock(Payment, pk)
        payment.raw = dict(status.response.raw)
        if status.original_reference_no and not payment.reference_no:
            payment.reference_no = status.original_reference_no
        if status.latest_transaction_status in (None, TransactionStatus.NOT_FOUND):
            payment.save()
            return payment
        payment = apply_doku_status(payment, status.latest_transaction_status,
                                    source="status check",
                                    description=status.transaction_status_desc or "")
        refunds.apply_refund_history(payment, status)
        return payment
