"""Every state change of bindings, payments and refunds, and nothing else.

The pattern of each money-moving service:
1. in a short transaction, lock the row, check the transition is allowed and
   persist the intent (our identifiers, X-EXTERNAL-ID and the exact body) so a
   crash leaves a record a status check can settle;
2. call DOKU outside any lock (a slow bank never holds a row lock);
3. in another short transaction, lock the row again and apply the result along
   the transition table; signals go out with ``transaction.on_commit``.

An outcome we could not learn (timeout after sending, 5xx, 409) becomes
``unknown`` and is settled by :func:`sync_payment` / :func:`sync_refund`, never
by resending.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from . import signals, transitions
from .conf import doku_settings, get_client
from .exceptions import (
    BindingNotActive,
    DeclinedError,
    DokuAlloError,
    InvalidCustomerTokenError,
    InvalidNotification,
    InvalidRequestError,
    InvalidState,
    NotRefundable,
    OutcomeUnknownError,
    RetryableError,
    SnapError,
)
from .models import (
    BINDING_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    REFUND_TRANSITIONS,
    Binding,
    BindingStatus,
    Notification,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from .snap.codes import TransactionStatus
from .snap.signing import new_external_id
from .snap.types import (
    AccountBindingRequest,
    B2B2CToken,
    BalanceInquiryResponse,
    CheckStatusRequest,
    CheckStatusResponse,
    CustomerContext,
    LineItem,
    PaymentRequest,
    RefundRequest,
    SnapAnswer,
    format_amount,
)

__all__ = [
    "BindingStart",
    "NotificationOutcome",
    "balance_inquiry",
    "begin_binding",
    "complete_binding",
    "fail_binding",
    "handle_binding_return",
    "pay",
    "process_notification",
    "refund",
    "reprocess_notification",
    "sync_payment",
    "sync_refund",
    "unbind",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

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


# --------------------------------------------------------------------------- plumbing
def _send_after_commit(signal: Signal, sender: type, **kwargs: Any) -> None:
    def send() -> None:
        # A receiver's failure must not undo or repeat a committed state change.
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error("doku_allo signal receiver %r failed", receiver, exc_info=result)

    transaction.on_commit(send)


def _move(obj: Binding | Payment | Refund, table: transitions.Table, target: str) -> bool:
    """Set ``obj.status`` to ``target`` if the table allows it; True when it changed."""
    changed = transitions.check(table, type(obj).__name__, obj.status, target)
    obj.status = target
    return changed


def _allowed(table: transitions.Table, current: str, target: str) -> bool:
    return current == target or target in table.get(current, frozenset())


def _locked(model: type[_T], pk: int) -> _T:
    return model._default_manager.select_for_update().get(pk=pk)  # type: ignore[attr-defined]


def _record_response(obj: Binding | Payment | Refund, error: SnapError | None = None,
                     raw: Any = None) -> None:
    if error is not None:
        obj.response_code = error.response_code or ""
        obj.response_message = (error.response_message or str(error))[:255]
        if error.response is not None:
            obj.raw = dict(error.response.raw)
    elif raw is not None:
        obj.raw = dict(raw.raw)
        obj.response_code = raw.response_code or ""
        obj.response_message = (raw.response_message or "")[:255]


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- bindings
@dataclass(frozen=True)
class BindingStart:
    binding: Binding
    #: Send the customer's browser here: Allo Bank's OTP and PIN page.
    redirect_url: str


def begin_binding(
    *,
    user: Any,
    phone_number: str,
    customer: CustomerContext,
    return_url: str,
    cust_id_merchant: str | None = None,
    customer_name: str | None = None,
    email: str | None = None,
    device_model: str = "web",
    os_type: str = "android",
    channel_id: str = "web",
) -> BindingStart:
    """Ask DOKU to link the customer's Allo Bank account; returns where to send them.

    ``return_url`` is the absolute URL of the binding return view; a fresh,
    single-use ``state`` is appended to it for both the success and failure leg.
    Raises :class:`~django_doku_allo.exceptions.InvalidRequestError` before anything
    is stored when an input is malformed, and the SNAP error when DOKU refuses
    (the binding is then saved as failed).
    """
    if not customer.device_id:
        raise InvalidRequestError("Allo Bank binding requires the customer's device id "
                                  "(X-DEVICE-ID).", field="device_id")
    state = secrets.token_urlsafe(32)
    separator = "&" if "?" in return_url else "?"
    request = AccountBindingRequest(
        phone_no=phone_number,
        cust_id_merchant=cust_id_merchant or str(user.pk),
        success_registration_url=f"{return_url}{separator}state={state}&result=success",
        failed_registration_url=f"{return_url}{separator}state={state}&result=failed",
        device_model=device_model, os_type=os_type, channel_id=channel_id,
        customer_name=customer_name, email=email,
    )
    binding = Binding.objects.create(
        user=user,
        phone_number=phone_number,
        cust_id_merchant=request.cust_id_merchant,
        external_id=new_external_id(),
        state_digest=_digest(state),
        state_expires_at=timezone.now() + timedelta(seconds=doku_settings.BINDING_STATE_MAX_AGE),
        customer_ip=customer.ip_address,
        device_id=customer.device_id or "",
    )
    try:
        response = get_client().bind_account(request, customer=customer,
                                             external_id=binding.external_id)
    except DokuAlloError as exc:
        # Nothing the customer could finish came back: the binding cannot complete.
        _fail_binding(binding.pk, f"DOKU did not register the binding: {exc}",
                      error=exc if isinstance(exc, SnapError) else None)
        raise
    with transaction.atomic():
        binding = _locked(Binding, binding.pk)
        binding.reference_no = response.reference_no or ""
        binding.redirect_url = response.redirect_url or ""
        binding.auth_code = response.auth_code or ""
        _record_response(binding, raw=response.response)
        binding.save()
    if not response.redirect_url or not response.auth_code:
        _fail_binding(binding.pk, "DOKU's binding answer had no redirectUrl or authCode")
        raise OutcomeUnknownError(
            "DOKU accepted the binding but sent no redirectUrl/authCode; start again.",
            operation="account_binding", external_id=binding.external_id,
            response=response.response)
    return BindingStart(binding=binding, redirect_url=response.redirect_url)


def handle_binding_return(state: str, *, succeeded: bool) -> Binding:
    """The customer's browser came back from Allo's page with our ``state``.

    The state is single use: of any number of concurrent returns exactly one
    proceeds. The redirect itself proves nothing; on success the binding is
    proven by exchanging its authCode for the customer's token.
    """
    if not state or len(state) > 128:
        raise InvalidState("The binding link is missing its state; start linking again.")
    now = timezone.now()
    binding = Binding.objects.filter(state_digest=_digest(state)).first()
    if binding is None:
        raise InvalidState("This binding link is not valid; start linking again.")
    if binding.state_expires_at is None or binding.state_expires_at < now:
        raise InvalidState("This binding link has expired; start linking again.")
    claimed = Binding.objects.filter(pk=binding.pk, state_used_at__isnull=True).update(
        state_used_at=now)
    if not claimed:
        raise InvalidState("This binding link was already used.")
    if not succeeded:
        return fail_binding(binding, "The customer did not complete OTP/PIN at Allo Bank.")
    return complete_binding(binding)


def complete_binding(binding: Binding) -> Binding:
    """Exchange the binding's authCode for the customer's token and activate it.

    Idempotent: a binding that is no longer pending is returned unchanged. A
    refusal fails the binding; a transient error leaves it pending and is raised,
    so the exchange can be tried again.
    """
    binding = Binding.objects.get(pk=binding.pk)
    if binding.status != BindingStatus.PENDING:
        return binding
    if not binding.auth_code:
        return _fail_binding(binding.pk, "No authCode was received for this binding.")
    try:
        token = get_client().exchange_auth_code(binding.auth_code)
    except DeclinedError as exc:
        return _fail_binding(binding.pk, f"Allo Bank did not confirm the binding: {exc}",
                             error=exc)
    with transaction.atomic():
        binding = _locked(Binding, binding.pk)
        if binding.status != BindingStatus.PENDING:
            return binding
        _store_customer_token(binding, token)
        _move(binding, BINDING_TRANSITIONS, BindingStatus.ACTIVE)
        binding.activated_at = timezone.now()
        try:
            with transaction.atomic():
                binding.save()
        except IntegrityError:
            binding = _locked(Binding, binding.pk)
            return _fail_locked_binding(binding, "This Allo Bank account is already linked.")
        _send_after_commit(signals.binding_activated, Binding, binding=binding)
    return binding


def fail_binding(binding: Binding, reason: str) -> Binding:
    """Mark a pending binding failed (no-op for one that already ended)."""
    return _fail_binding(binding.pk, reason)


def _fail_binding(pk: int, reason: str, error: SnapError | None = None) -> Binding:
    with transaction.atomic():
        binding = _locked(Binding, pk)
        if error is not None:
            _record_response(binding, error)
        return _fail_locked_binding(binding, reason)


def _fail_locked_binding(binding: Binding, reason: str) -> Binding:
    if binding.status != BindingStatus.PENDING:
        binding.save()
        return binding
    _move(binding, BINDING_TRANSITIONS, BindingStatus.FAILED)
    binding.failure_reason = reason[:255]
    binding.auth_code = ""
    binding.save()
    _send_after_commit(signals.binding_failed, Binding, binding=binding, reason=reason)
    return binding


def _store_customer_token(binding: Binding, token: B2B2CToken) -> None:
    binding.access_token = token.access_token
    binding.access_token_expires_at = token.access_token_expires_at
    binding.refresh_token = token.refresh_token or ""
    binding.refresh_token_expires_at = token.refresh_token_expires_at


def _mark_unbound(pk: int, reason: str) -> Binding:
    """The binding is gone at DOKU (unbound by us or revoked by the customer)."""
    with transaction.atomic():
        binding = _locked(Binding, pk)
        if binding.status in (BindingStatus.ACTIVE, BindingStatus.UNBINDING):
            _move(binding, BINDING_TRANSITIONS, BindingStatus.UNBOUND)
            binding.unbound_at = timezone.now()
            binding.failure_reason = reason[:255]
            binding.access_token = binding.refresh_token = binding.auth_code = ""
            binding.access_token_expires_at = binding.refresh_token_expires_at = None
            binding.save()
            _send_after_commit(signals.binding_unbound, Binding, binding=binding)
        return binding


def _require_active(binding: Binding) -> Binding:
    binding = Binding.objects.get(pk=binding.pk)
    if binding.status != BindingStatus.ACTIVE:
        raise BindingNotActive(
            f"The Allo Bank binding is {binding.get_status_display().lower()}; "
            "the customer must link the account first.")
    return binding


def _customer_token(binding: Binding, *, renew: bool = False) -> str:
    margin = timedelta(seconds=float(doku_settings.TOKEN_REFRESH_MARGIN))
    expires = binding.access_token_expires_at
    if binding.access_token and not renew and (expires is None
                                              or expires - margin > timezone.now()):
        return binding.access_token
    return _renew_customer_token(binding)


def _renew_customer_token(binding: Binding) -> str:
    client = get_client()
    token: B2B2CToken | None = None
    try:
        if binding.refresh_token:
            try:
                token = client.refresh_customer_token(binding.refresh_token)
            except DeclinedError:
                token = None  # an expired refresh token; the authCode may still serve
        if token is None:
            token = client.exchange_auth_code(binding.auth_code)
    except InvalidCustomerTokenError as exc:
        _mark_unbound(binding.pk, "The customer revoked the binding at Allo Bank.")
        raise BindingNotActive(
            "The customer's Allo Bank binding was revoked; ask them to link it again.") from exc
    with transaction.atomic():
        locked = _locked(Binding, binding.pk)
        _store_customer_token(locked, token)
        locked.save(update_fields=["access_token", "access_token_expires_at", "refresh_token",
                                   "refresh_token_expires_at", "updated_at"])
    binding.access_token = token.access_token
    return token.access_token


def _with_customer_token(binding: Binding, call: Callable[[str], _T]) -> _T:
    """Run ``call`` with the customer's token; renew it once if DOKU calls it invalid."""
    try:
        return call(_customer_token(binding))
    except InvalidCustomerTokenError:
        # Refused before processing (401), so the same request may go again.
        return call(_customer_token(binding, renew=True))


def unbind(binding: Binding, *, customer: CustomerContext | None = None) -> Binding:
    """Unlink the Allo Bank account at DOKU, then forget its tokens.

    A refusal leaves the binding active and is raised; an unknown outcome leaves
    it ``unbinding`` (call again to retry) and is raised.
    """
    with transaction.atomic():
        binding = _locked(Binding, binding.pk)
        if binding.status == BindingStatus.UNBOUND:
            return binding
        if binding.status not in (BindingStatus.ACTIVE, BindingStatus.UNBINDING):
            raise BindingNotActive(
                f"A {binding.get_status_display().lower()} binding cannot be unbound.")
        _move(binding, BINDING_TRANSITIONS, BindingStatus.UNBINDING)
        binding.save()
    if customer is None and binding.customer_ip:
        customer = CustomerContext(ip_address=binding.customer_ip,
                                   device_id=binding.device_id or None)
    client = get_client()
    try:
        token = _customer_token(binding)
        response = client.unbind_account(customer_token=token, customer=customer,
                                         external_id=new_external_id())
    except BindingNotActive:
        return Binding.objects.get(pk=binding.pk)  # revoked meanwhile: already unbound
    except InvalidCustomerTokenError:
        return _mark_unbound(binding.pk, "DOKU no longer knows the customer's token.")
    except (DeclinedError, RetryableError) as exc:
        with transaction.atomic():
            locked = _locked(Binding, binding.pk)
            _record_response(locked, exc)
            if locked.status == BindingStatus.UNBINDING:
                _move(locked, BINDING_TRANSITIONS, BindingStatus.ACTIVE)
            locked.save()
        raise
    unbound = _mark_unbound(binding.pk, "Unbound by the merchant.")
    with transaction.atomic():
        locked = _locked(Binding, unbound.pk)
        _record_response(locked, raw=response.response)
        locked.save()
        return locked


def balance_inquiry(binding: Binding, *, customer: CustomerContext) -> BalanceInquiryResponse:
    """The customer's current Allo Bank balance (no state change)."""
    binding = _require_active(binding)
    client = get_client()
    return _with_customer_token(
        binding, lambda token: client.balance_inquiry(customer_token=token, customer=customer))


# --------------------------------------------------------------------------- payments
def new_partner_reference_no() -> str:
    return "ALLO" + secrets.token_hex(14).upper()


def new_partner_refund_no() -> str:
    """40 characters: within Allo Bank's 32 to 64."""
    return "RFND" + secrets.token_hex(18).upper()


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
        binding = _locked(Binding, binding.pk)
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
        response = _with_customer_token(binding, lambda token: client.pay(
            request, customer_token=token, customer=customer, external_id=payment.external_id))
    except BindingNotActive as exc:
        return _settle_payment(payment.pk, PaymentStatus.FAILED, reason=str(exc))
    except OutcomeUnknownError as exc:
        return _settle_payment(payment.pk, PaymentStatus.UNKNOWN, error=exc, reason=str(exc))
    except (DeclinedError, RetryableError) as exc:
        # Refused, or provably never processed: no money moved.
        return _settle_payment(payment.pk, PaymentStatus.FAILED, error=exc, reason=str(exc))
    with transaction.atomic():
        locked = _locked(Payment, payment.pk)
        locked.reference_no = response.reference_no or locked.reference_no
        locked.web_redirect_url = response.web_redirect_url or ""
        _record_response(locked, raw=response.response)
        return _apply_status(locked, PaymentStatus.PENDING, source="payment answer")


def _settle_payment(pk: int, target: PaymentStatus, *, reason: str = "",
                    error: SnapError | None = None) -> Payment:
    with transaction.atomic():
        payment = _locked(Payment, pk)
        if error is not None:
            _record_response(payment, error)
        return _apply_status(payment, target, source="payment answer", reason=reason)


def _apply_status(payment: Payment, target: PaymentStatus, *, source: str,
                  reason: str = "", refund: Refund | None = None) -> Payment:
    """Move a locked payment to ``target`` if allowed; save it either way.

    A stale or out-of-order event (a ``pending`` after ``succeeded``, a ``failed``
    after ``refunded``) is logged and ignored: terminal states never regress.
    """
    if target == PaymentStatus.REFUNDED and payment.status in (
            PaymentStatus.INITIATED, PaymentStatus.PENDING, PaymentStatus.UNKNOWN):
        # DOKU reports the end of a story we missed the middle of: paid, then refunded.
        _apply_status(payment, PaymentStatus.SUCCEEDED, source=source)
    if not _allowed(PAYMENT_TRANSITIONS, payment.status, target):
        logger.warning("doku_allo payment %s: ignored %s -> %s from %s",
                       payment.partner_reference_no, payment.status, target, source)
        payment.save()
        return payment
    changed = _move(payment, PAYMENT_TRANSITIONS, target)
    if changed and target == PaymentStatus.SUCCEEDED:
        payment.paid_at = payment.paid_at or timezone.now()
        _send_after_commit(signals.payment_succeeded, Payment, payment=payment)
    elif changed and target == PaymentStatus.FAILED:
        payment.failure_reason = reason[:255]
        _send_after_commit(signals.payment_failed, Payment, payment=payment, reason=reason)
    elif changed and target == PaymentStatus.REFUNDED:
        _send_after_commit(signals.payment_refunded, Payment, payment=payment, refund=refund)
    payment.save()
    return payment


def _apply_doku_status(payment: Payment, status: TransactionStatus, *, source: str,
                       description: str = "") -> Payment:
    payment.doku_status = status.value
    target = DOKU_TO_PAYMENT_STATUS.get(status)
    if target is None:
        payment.save()
        return payment
    refund = None
    if target == PaymentStatus.REFUNDED:
        refund = payment.refunds.exclude(status=RefundStatus.FAILED).first()
        if refund is not None and refund.status != RefundStatus.SUCCEEDED:
            refund = _settle_refund_locked(_locked(Refund, refund.pk), RefundStatus.SUCCEEDED,
                                           reason="", update_payment=False)
    return _apply_status(payment, target, source=source, refund=refund,
                         reason=description or f"DOKU status {status.value}")


def sync_payment(payment: Payment) -> Payment:
    """Ask DOKU for the payment's status and apply it (the reconciliation path).

    Raises the SNAP error when DOKU could not answer; the payment is unchanged then.
    """
    payment = Payment.objects.get(pk=payment.pk)
    Payment.objects.filter(pk=payment.pk).update(last_checked_at=timezone.now())
    try:
        status = _check_status(payment)
    except DeclinedError as exc:
        code = exc.code
        if code is not None and code.http_status == 404 and code.case == "01":
            return _payment_not_found(payment.pk)
        raise
    return _apply_checked_status(payment.pk, status)


def _check_status(payment: Payment) -> CheckStatusResponse:
    return get_client().check_status(CheckStatusRequest(
        original_partner_reference_no=payment.partner_reference_no,
        original_reference_no=payment.reference_no or None,
        original_external_id=payment.external_id or None,
        amount=payment.amount,
    ))


def _payment_not_found(pk: int) -> Payment:
    """DOKU has no such payment. Only an old, unconfirmed one can be declared failed."""
    with transaction.atomic():
        payment = _locked(Payment, pk)
        age = timezone.now() - payment.created_at
        if payment.status in (PaymentStatus.INITIATED, PaymentStatus.UNKNOWN) and \
                age.total_seconds() >= float(doku_settings.STATUS_CHECK_DELAY):
            return _apply_status(payment, PaymentStatus.FAILED, source="status check",
                                 reason="DOKU has no record of this payment.")
        payment.save()
        return payment


def _apply_checked_status(pk: int, status: CheckStatusResponse) -> Payment:
    with transaction.atomic():
        payment = _locked(Payment, pk)
        payment.raw = dict(status.response.raw)
        if status.original_reference_no and not payment.reference_no:
            payment.reference_no = status.original_reference_no
        if status.latest_transaction_status in (None, TransactionStatus.NOT_FOUND):
            payment.save()
            return payment
        payment = _apply_doku_status(payment, status.latest_transaction_status,
                                     source="status check",
                                     description=status.transaction_status_desc or "")
        _apply_refund_history(payment, status)
        return payment


# --------------------------------------------------------------------------- refunds
def refund(payment: Payment, *, reason: str = "", requested_by: Any = None,
           customer: CustomerContext | None = None) -> Refund:
    """Refund a succeeded payment in full; returns the Refund, whatever happened.

    At most one refund per payment is ever live: the payment row is locked while
    the refund is recorded, and a partial unique constraint backs that up, so
    concurrent clicks make one refund call. Raises
    :class:`~django_doku_allo.exceptions.NotRefundable` when the payment cannot be
    refunded.
    """
    with transaction.atomic():
        payment = _locked(Payment, payment.pk)
        if payment.status != PaymentStatus.SUCCEEDED:
            raise NotRefundable(
                f"Only a succeeded payment can be refunded; this one is "
                f"{payment.get_status_display().lower()}.")
        existing = payment.refunds.exclude(status=RefundStatus.FAILED).first()
        if existing is not None:
            raise NotRefundable(
                f"Payment {payment.partner_reference_no} already has refund "
                f"{existing.partner_refund_no} ({existing.get_status_display().lower()}).")
        binding = payment.binding
        if binding.status != BindingStatus.ACTIVE:
            raise NotRefundable(
                "The customer's Allo Bank account is no longer linked, so DOKU cannot "
                "refund it through the API; refund from DOKU's back office.")
        client = get_client()
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
                    request_body=request.to_body(client.config.channel),
                    requested_by=requested_by if getattr(requested_by, "pk", None) else None,
                )
        except IntegrityError as exc:
            raise NotRefundable(f"Payment {payment.partner_reference_no} is already being "
                                "refunded.") from exc
    if customer is None and payment.customer_ip:
        customer = CustomerContext(ip_address=payment.customer_ip,
                                   device_id=payment.device_id or None)
    try:
        response = _with_customer_token(binding, lambda token: client.refund(
            request, customer_token=token, customer=customer,  # type: ignore[arg-type]
            external_id=record.external_id))
    except BindingNotActive as exc:
        return _settle_refund(record.pk, RefundStatus.FAILED, reason=str(exc))
    except OutcomeUnknownError as exc:
        return _settle_refund(record.pk, RefundStatus.UNKNOWN, reason=str(exc), error=exc)
    except (DeclinedError, RetryableError) as exc:
        return _settle_refund(record.pk, RefundStatus.FAILED, reason=str(exc), error=exc)
    with transaction.atomic():
        locked = _locked(Refund, record.pk)
        locked.refund_no = response.refund_no or ""
        _record_response(locked, raw=response.response)
        if response.refund_time is not None:
            locked.refunded_at = response.refund_time
        return _settle_refund_locked(locked, RefundStatus.SUCCEEDED, reason="")


def _settle_refund(pk: int, target: RefundStatus, *, reason: str,
                   error: SnapError | None = None) -> Refund:
    with transaction.atomic():
        record = _locked(Refund, pk)
        if error is not None:
            _record_response(record, error)
        return _settle_refund_locked(record, target, reason=reason)


def _settle_refund_locked(record: Refund, target: RefundStatus, *, reason: str,
                          update_payment: bool = True) -> Refund:
    if not _allowed(REFUND_TRANSITIONS, record.status, target):
        logger.warning("doku_allo refund %s: ignored %s -> %s", record.partner_refund_no,
                       record.status, target)
        record.save()
        return record
    changed = _move(record, REFUND_TRANSITIONS, target)
    if changed and target == RefundStatus.SUCCEEDED:
        record.refunded_at = record.refunded_at or timezone.now()
        record.save()
        if update_payment:
            payment = _locked(Payment, record.payment_id)
            _apply_status(payment, PaymentStatus.REFUNDED, source="refund", refund=record)
        return record
    if changed and target == RefundStatus.FAILED:
        record.response_message = record.response_message or reason[:255]
        _send_after_commit(signals.refund_failed, Refund, refund=record, reason=reason)
    record.save()
    return record


def _apply_refund_history(payment: Payment, status: CheckStatusResponse) -> None:
    """Settle our unsettled refunds of ``payment`` from a status answer (payment locked)."""
    pending = payment.refunds.filter(status__in=(RefundStatus.REQUESTED, RefundStatus.UNKNOWN))
    for record in pending.select_for_update():
        entry = next((e for e in status.refund_history
                      if e.partner_refund_no == record.partner_refund_no), None)
        if entry is not None and entry.refund_status == "00":
            record.refund_no = entry.refund_no or record.refund_no
            _settle_refund_locked(record, RefundStatus.SUCCEEDED, reason="",
                                  update_payment=False)
            _apply_status(payment, PaymentStatus.REFUNDED, source="status check",
                          refund=record)
        elif entry is not None and entry.refund_status == "06":
            _settle_refund_locked(record, RefundStatus.FAILED,
                                  reason="DOKU reports the refund failed.")
        elif entry is None and status.latest_transaction_status == TransactionStatus.SUCCESS \
                and _older_than_check_delay(record.created_at):
            # DOKU knows the payment as paid and holds no refund of ours: it never happened.
            _settle_refund_locked(record, RefundStatus.FAILED,
                                  reason="DOKU has no record of this refund.")


def _older_than_check_delay(created_at: datetime) -> bool:
    age = timezone.now() - created_at
    return age.total_seconds() >= float(doku_settings.STATUS_CHECK_DELAY)


def sync_refund(record: Refund) -> Refund:
    """Settle a requested or unknown refund by a status check of its payment."""
    record = Refund.objects.get(pk=record.pk)
    Refund.objects.filter(pk=record.pk).update(last_checked_at=timezone.now())
    if record.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
        return record
    status = _check_status(record.payment)
    _apply_checked_status(record.payment_id, status)
    return Refund.objects.get(pk=record.pk)


# --------------------------------------------------------------------------- notifications
#: What to answer DOKU for a notification.
NotificationOutcome = SnapAnswer


PROCESSED = NotificationOutcome(200, "2005600", "Request has been processed successfully")


def _flag(notification: Notification, result: str, outcome: NotificationOutcome
          ) -> NotificationOutcome:
    notification.flagged = True
    notification.processed = True
    notification.processed_at = timezone.now()
    notification.result = result[:255]
    notification.save()
    logger.warning("doku_allo notification %s flagged: %s", notification.pk, result)
    return outcome


def process_notification(notification: Notification) -> NotificationOutcome:
    """Apply a verified notification to its payment, exactly once.

    Duplicates and stale events are recorded and answered as processed; a
    notification that names an unknown payment or a different amount changes
    nothing, is flagged, and is answered with a 404 SNAP code.
    """
    data = json.loads(notification.body)
    if not isinstance(data, dict):
        data = {}
    reference = data.get("originalPartnerReferenceNo")
    amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
    with transaction.atomic():
        notification = _locked(Notification, notification.pk)
        payment = (Payment.objects.select_for_update()
                   .filter(partner_reference_no=reference).first()
                   if isinstance(reference, str) and reference else None)
        if payment is None:
            return _flag(notification, "unknown originalPartnerReferenceNo",
                         NotificationOutcome(404, "4045601", "Transaction Not Found"))
        notification.payment = payment
        doku_reference = data.get("originalReferenceNo")
        if payment.reference_no and doku_reference and doku_reference != payment.reference_no:
            return _flag(notification, "originalReferenceNo does not match the payment",
                         NotificationOutcome(404, "4045601", "Transaction Not Found"))
        try:
            amount_matches = (Decimal(str(amount.get("value"))) == payment.amount
                              and amount.get("currency", "IDR") == payment.currency)
        except ArithmeticError:
            amount_matches = False
        if not amount_matches:
            return _flag(notification, "amount does not match the payment",
                         NotificationOutcome(404, "4045613", "Invalid Amount"))
        try:
            status = TransactionStatus(data.get("latestTransactionStatus"))
        except ValueError:
            return _flag(notification, "unknown latestTransactionStatus",
                         NotificationOutcome(400, "4005601",
                                             "Invalid Field Format latestTransactionStatus"))
        before = payment.status
        payment = _apply_doku_status(payment, status, source="notification",
                                     description=str(data.get("transactionStatusDesc") or ""))
        notification.processed = True
        notification.processed_at = timezone.now()
        notification.result = (f"{before} -> {payment.status}" if payment.status != before
                               else f"no change ({payment.status})")
        notification.error = notification.traceback = ""
        notification.save()
        _send_after_commit(signals.notification_received, Notification,
                           notification=notification)
    return PROCESSED


#: Answer to a delivery whose processing raised: DOKU retries, staff can reprocess.
PROCESSING_ERROR = NotificationOutcome(500, "5005601", "Internal Server Error")


def process_stored_notification(notification: Notification) -> NotificationOutcome:
    """Process a verified, stored delivery; an unexpected error is stored, not raised.

    The error and its traceback are kept on the notification so staff can fix
    the cause and reprocess it; the 500 answer makes DOKU retry meanwhile.
    """
    try:
        return process_notification(notification)
    except Exception as exc:
        logger.exception("doku_allo notification %s failed to process", notification.pk)
        Notification.objects.filter(pk=notification.pk).update(
            error=f"{exc.__class__.__name__}: {exc}"[:2000],
            traceback=traceback.format_exc()[-10000:])
        return PROCESSING_ERROR


def reprocess_notification(notification: Notification) -> NotificationOutcome:
    """Apply a stored notification again (admin action); idempotent like the first time.

    Unverified deliveries are never processed: they may be forged.
    """
    notification = Notification.objects.get(pk=notification.pk)
    if not notification.verified:
        raise InvalidNotification(
            "This delivery failed verification and is never processed: "
            f"{notification.verification_error or 'unverified'}.")
    return process_stored_notification(notification)


# --------------------------------------------------------------------------- for surfaces
def refund_refusal_reason(payment: Payment) -> str | None:
    """Why :func:`refund` would refuse ``payment`` now, or ``None``: for display only.

    It reads without a lock so that a confirmation page can say in advance what
    will be skipped; :func:`refund` checks again under the row lock and has the
    last word. Select ``binding`` and prefetch ``refunds`` to keep a list at one query.
    """
    if payment.status != PaymentStatus.SUCCEEDED:
        return (f"Only a succeeded payment can be refunded; this one is "
                f"{payment.get_status_display().lower()}.")
    live = [r for r in payment.refunds.all() if r.status != RefundStatus.FAILED]
    if live:
        return (f"It already has refund {live[0].partner_refund_no} "
                f"({live[0].get_status_display().lower()}).")
    if payment.binding.status != BindingStatus.ACTIVE:
        return ("The customer's Allo Bank account is no longer linked; refund it from "
                "DOKU's back office.")
    return None


# --------------------------------------------------------------------------- idempotent payments
def idempotency_fingerprint(data: dict[str, Any]) -> str:
    """SHA-256 of ``data`` as canonical JSON: the same request, the same fingerprint."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def pay_idempotently(
    *,
    idempotency_key: str,
    binding: Binding,
    amount: Decimal | int | str,
    description: str,
    customer: CustomerContext,
    success_url: str,
    failure_url: str,
    line_items: Sequence[LineItem] | None = None,
    order_id: str = "",
    partner_reference_no: str | None = None,
    fingerprint_extra: dict[str, Any] | None = None,
) -> tuple[Payment, bool]:
    """:func:`pay` at most once per ``(user, idempotency_key)``; returns ``(payment, created)``.

    A repeat of the same request (binding, amount, description, order, line items
    and ``fingerprint_extra``; not the return URLs, which embed a fresh reference)
    returns the first payment in its current state with ``created`` False, even
    while the first call is still with DOKU. Two concurrent requests with one key
    make one payment: the loser of the insert race answers with the winner's row.

    Raises :class:`~django_doku_allo.exceptions.IdempotencyKeyReused` for the same key
    with a different request, :class:`~django_doku_allo.exceptions.IdempotencyKeyExpired`
    for a key older than ``IDEMPOTENCY_KEY_TTL``, and, with or without a key,
    :class:`~django_doku_allo.exceptions.OrderHasLivePayment` when ``order_id``
    already has a live payment. An empty key makes this plain :func:`pay`.
    """
    from .exceptions import InvalidRequestError, OrderHasLivePayment
    from .models import LIVE_PAYMENT_STATUSES

    if len(idempotency_key) > 255:
        raise InvalidRequestError("An idempotency key is at most 255 characters.",
                                  field="idempotency_key")
    fingerprint = ""
    if idempotency_key:
        fingerprint = idempotency_fingerprint({
            "binding": binding.pk,
            "amount": format_amount(amount),
            "description": description,
            "order_id": order_id,
            "line_items": [item.to_wire() for item in line_items or ()],
            "extra": fingerprint_extra or {},
        })
        existing = _idempotent_replay(binding.user_id, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
    try:
        payment = pay(binding=binding, amount=amount, description=description,
                      customer=customer, success_url=success_url, failure_url=failure_url,
                      line_items=line_items, order_id=order_id,
                      partner_reference_no=partner_reference_no,
                      idempotency_key=idempotency_key, idempotency_fingerprint=fingerprint)
    except IntegrityError:
        # Another request committed first: a concurrent retry with our key, or another
        # payment of our order. Nothing was sent to DOKU for this one.
        if idempotency_key:
            existing = _idempotent_replay(binding.user_id, idempotency_key, fingerprint)
            if existing is not None:
                return existing, False
        if order_id and Payment.objects.filter(
                order_id=order_id, status__in=LIVE_PAYMENT_STATUSES).exists():
            raise OrderHasLivePayment(
                f"Order {order_id} already has a payment in progress or paid; check its "
                "status instead of paying again.") from None
        raise
    return payment, True


def _idempotent_replay(user_id: Any, idempotency_key: str, fingerprint: str) -> Payment | None:
    """The payment made earlier with this key, if any, after checking it may be replayed."""
    from .exceptions import IdempotencyKeyExpired, IdempotencyKeyReused

    payment = Payment.objects.filter(user_id=user_id, idempotency_key=idempotency_key).first()
    if payment is None:
        return None
    ttl = doku_settings.IDEMPOTENCY_KEY_TTL
    if ttl is not None and timezone.now() - payment.created_at > timedelta(seconds=float(ttl)):
        raise IdempotencyKeyExpired(
            "This idempotency key was first used too long ago to be replayed; send a new "
            "key for a new payment.")
    if payment.idempotency_fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "This idempotency key was already used for a different payment request; send "
            "a new key for a new payment, or repeat the first request exactly.")
    return payment


__all__ += ["idempotency_fingerprint", "pay_idempotently", "refund_refusal_reason"]
