"""Every state change of a payment: charge (pay), settle, reconcile (sync_payment).

``initiated`` (saved before DOKU is called) becomes ``pending`` once DOKU created
the payment and the customer is confirming with OTP/PIN, then ``succeeded`` or
``failed``; an answer we never got is ``unknown`` until a status check settles
it; a succeeded payment becomes ``refunded``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import signals
from ..conf import doku_settings, get_client
from ..exceptions import (
    BindingNotActive,
    DeclinedError,
    OutcomeUnknownError,
    RetryableError,
    SnapError,
)
from ..models import (
    LIVE_PAYMENT_STATUSES,
    UNSETTLED_PAYMENT_STATUSES,
    Binding,
    BindingStatus,
    Payment,
    PaymentStatus,
    Refund,
)
from ..snap.channels import ALLO
from ..snap.codes import TransactionStatus
from ..snap.messages import (
    CheckStatusRequest,
    CheckStatusResponse,
    CustomerContext,
    LineItem,
    PaymentRequest,
    PayOption,
    format_amount,
)
from ..snap.redaction import redact_body
from ..snap.signing import new_external_id
from ..wording import REASON_CANCELED_BY_CUSTOMER
from . import customer_tokens, refunds
from ._rows import (
    check_later,
    lock,
    move_if_allowed,
    record_response,
    save,
    send_after_commit,
)

__all__ = [
    "DOKU_TO_PAYMENT_STATUS",
    "apply_doku_status",
    "apply_status",
    "cancel_payment",
    "check_status",
    "expire",
    "new_partner_reference_no",
    "past_confirmation_window",
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


_NOT_YET_PAID = (PaymentStatus.INITIATED, PaymentStatus.PENDING, PaymentStatus.UNKNOWN,
                 PaymentStatus.EXPIRED)


def new_partner_reference_no() -> str:
    """A fresh, unguessable ``partnerReferenceNo`` in the channel's format."""
    return ALLO.new_partner_reference_no()


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
    pay_options: Sequence[PayOption] | None = None,
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
    the return URLs must name the payment (see ``returns.payment_return_url``), or
    let :func:`django_doku_allo.checkout.start_payment` do it. ``line_items``
    default to one item named after ``description``; ``pay_options`` are sent as
    DOKU's ``payOptionDetails``.
    """
    value = Decimal(format_amount(amount))
    partner_reference_no = partner_reference_no or new_partner_reference_no()
    remarks = description[:ALLO.remarks_max_length]
    items = list(line_items) if line_items else [
        LineItem(name=description[:ALLO.line_item_name_max_length].rstrip(), price=value)]
    request = PaymentRequest(
        partner_reference_no=partner_reference_no, amount=value, remarks=remarks,
        success_payment_url=success_url, failed_payment_url=failure_url, line_items=items,
        pay_options=tuple(pay_options or ()),
    )
    client = get_client()
    with transaction.atomic():
        binding = lock(Binding, binding.pk)
        if binding.status != BindingStatus.ACTIVE:
            raise BindingNotActive("The Allo Bank account is not linked (or was unlinked).")
        payment = Payment.objects.create(
            binding=binding, user_id=binding.user_id,
            partner_reference_no=partner_reference_no, order_id=order_id,
            external_id=new_external_id(), amount=value, description=remarks,
            request_body=redact_body(request.to_body(client.config.channel)),
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
    after ``refunded``) is logged and ignored: terminal states never regress. The one
    event that is never just ignored is a debit DOKU reports after the payment had
    failed: the customer paid and we said no, so staff are told (:func:`_needs_attention`).
    """
    if target == PaymentStatus.REFUNDED and payment.status in _NOT_YET_PAID:
        # DOKU reports the end of a story we missed the middle of: paid, then refunded.
        apply_status(payment, PaymentStatus.SUCCEEDED, source=source)
    if target == PaymentStatus.SUCCEEDED and payment.status == PaymentStatus.FAILED:
        _needs_attention(payment, _("DOKU reports this payment paid after it had failed: the "
                                    "customer was charged. Refund them from DOKU's back "
                                    "office, or fulfil the order."))
    before = payment.status
    changed = move_if_allowed(payment, target, source=source)
    if changed and target == PaymentStatus.SUCCEEDED:
        payment.paid_at = payment.paid_at or timezone.now()
        if before == PaymentStatus.EXPIRED:
            _reclaim_order(payment)
        send_after_commit(signals.payment_succeeded, Payment, payment=payment)
    elif changed and target == PaymentStatus.FAILED:
        payment.failure_reason = reason[:255]
        if before != PaymentStatus.EXPIRED:  # the order was told when it expired
            send_after_commit(signals.payment_failed, Payment, payment=payment, reason=reason)
    elif changed and target == PaymentStatus.REFUNDED:
        send_after_commit(signals.payment_refunded, Payment, payment=payment, refund=refund)
    save(payment)
    return payment


def expire(payment: Payment, *, reason: str, source: str = "confirmation window") -> Payment:
    """Presume ``payment`` (locked) failed: DOKU's window passed without its final word.

    Unlike ``failed``, ``expired`` is not terminal: the order is free again and
    ``payment_failed`` is sent, but a later success from DOKU still moves the payment
    to ``succeeded`` (and sends ``payment_succeeded``).
    """
    if move_if_allowed(payment, PaymentStatus.EXPIRED, source=source):
        payment.presumed_failed_at = timezone.now()
        payment.failure_reason = reason[:255]
        send_after_commit(signals.payment_failed, Payment, payment=payment, reason=reason)
    save(payment)
    return payment


def cancel_payment(payment: Payment) -> Payment:
    """The customer gives up on ``payment``: end it, unless DOKU says it was debited.

    DOKU is asked for the status first, so a payment the customer did confirm ends
    ``succeeded`` (and one DOKU failed ends ``failed``). Anything else ends ``expired``
    with the reason "canceled by the customer": the order is free again and
    ``payment_failed`` is sent, as for any expiry; DOKU's later success still wins.
    When DOKU cannot answer now the payment is ended all the same, for that reason.
    A payment that has already ended is returned unchanged.
    """
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status not in UNSETTLED_PAYMENT_STATUSES:
        return payment
    try:
        payment = sync_payment(payment)
    except SnapError as exc:
        logger.info("doku_allo payment %s canceled without DOKU's status: %s",
                    payment.partner_reference_no, exc)
    with transaction.atomic():
        locked = lock(Payment, payment.pk)
        if locked.status not in UNSETTLED_PAYMENT_STATUSES:
            return locked
        return expire(locked, reason=REASON_CANCELED_BY_CUSTOMER,
                      source="canceled by the customer")


def past_confirmation_window(payment: Payment) -> bool:
    """True once DOKU has had ``PAYMENT_CONFIRMATION_WINDOW`` to settle ``payment``."""
    age = timezone.now() - payment.created_at
    return age.total_seconds() >= float(doku_settings.PAYMENT_CONFIRMATION_WINDOW)


def _reclaim_order(payment: Payment) -> None:
    """An expired payment was debited after all: it holds its order again, if it can."""
    if not payment.order_id:
        payment.presumed_failed_at = None
        return
    other = (Payment.objects.filter(order_id=payment.order_id, status__in=LIVE_PAYMENT_STATUSES,
                                    presumed_failed_at__isnull=True)
             .exclude(pk=payment.pk).first())
    if other is None:
        payment.presumed_failed_at = None
        return
    _needs_attention(payment, _("DOKU debited this payment after it had expired, and order "
                                "%(order)s was paid again meanwhile (%(other)s): refund one "
                                "of them.") % {"order": payment.order_id,
                                               "other": other.partner_reference_no})


def _needs_attention(payment: Payment, reason: str) -> None:
    """Record, log and signal what only staff can settle; the caller saves ``payment``."""
    payment.attention = str(reason)[:255]
    logger.error("doku_allo payment %s needs attention: %s", payment.partner_reference_no,
                 payment.attention)
    send_after_commit(signals.payment_needs_attention, Payment, payment=payment,
                      reason=payment.attention)


def apply_doku_status(payment: Payment, status: TransactionStatus, *, source: str,
                      description: str = "") -> Payment:
    """Apply DOKU's ``latestTransactionStatus`` to ``payment`` (locked by the caller)."""
    payment.doku_status = status.value
    target = DOKU_TO_PAYMENT_STATUS.get(status)
    if target is None:
        save(payment)
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
    """DOKU has no such payment, yet: a slow DOKU may still create and debit it.

    "Not found" is never DOKU declaring a failure, so it is never ``failed``: the
    payment waits for DOKU's word until its confirmation window has passed, then
    it is presumed failed (``expired``).
    """
    with transaction.atomic():
        return _not_found_locked(lock(Payment, pk))


def _not_found_locked(payment: Payment) -> Payment:
    if payment.status in (PaymentStatus.INITIATED, PaymentStatus.UNKNOWN) and \
            past_confirmation_window(payment):
        return expire(payment, reason=_("DOKU has no record of this payment."))
    save(payment)
    return payment


def apply_checked_status(pk: int, status: CheckStatusResponse) -> Payment:
    """Apply a status answer to payment ``pk`` and its unsettled refunds."""
    with transaction.atomic():
        payment = lock(Payment, pk)
        payment.raw = redact_body(dict(status.response.raw))
        if status.original_reference_no and not payment.reference_no:
            payment.reference_no = status.original_reference_no
        if status.latest_transaction_status is None:
            save(payment)
            return payment
        if status.latest_transaction_status == TransactionStatus.NOT_FOUND:
            return _not_found_locked(payment)
        if not payment.web_redirect_url:
            # Our save of the payment answer may have been lost in a crash: take the
            # payment page back from DOKU if it says it.
            page = status.response.get("webRedirectUrl") or status.response.info(
                "webRedirectUrl")
            payment.web_redirect_url = page if isinstance(page, str) else ""
        payment = apply_doku_status(payment, status.latest_transaction_status,
                                    source="status check",
                                    description=status.transaction_status_desc or "")
        if payment.status == PaymentStatus.PENDING and past_confirmation_window(payment):
            return expire(payment, reason=_("The customer did not confirm the payment in "
                                            "time."))
        refunds.apply_refund_history(payment, status)
        return payment
