"""Every state change of a binding: link (bind), the browser's return, unbind.

``pending`` (the customer is at Allo's OTP/PIN page) ends ``active`` once the
authCode was exchanged for the customer's token, or ``failed``; an active
binding is ``unbinding`` while DOKU is asked to unlink it, then ``unbound``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import signals
from ..conf import doku_settings, get_client
from ..exceptions import (
    BindingNotActive,
    DeclinedError,
    DokuAlloError,
    InvalidCustomerTokenError,
    InvalidState,
    OutcomeUnknownError,
    RetryableError,
    SnapError,
)
from ..models import Binding, BindingStatus
from ..snap.channels import ALLO
from ..snap.messages import AccountBindingRequest, BalanceInquiryResponse, CustomerContext
from ..snap.signing import new_external_id
from ..wording import (
    REASON_ALREADY_LINKED,
    REASON_OTP_NOT_COMPLETED,
    REASON_TOKEN_REVOKED,
    REASON_UNBOUND_BY_CUSTOMER,
    REASON_UNBOUND_BY_MERCHANT,
)
from . import customer_tokens
from ._rows import (
    digest,
    lock,
    move,
    move_if_allowed,
    record_response,
    save,
    send_after_commit,
)

__all__ = [
    "BindingStart",
    "balance_inquiry",
    "begin_binding",
    "complete_binding",
    "fail_binding",
    "handle_binding_return",
    "mark_unbound",
    "require_active",
    "unbind",
]


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
    ALLO.check_binding_customer(customer.device_id)
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
        state_digest=digest(state),
        state_expires_at=timezone.now() + timedelta(seconds=doku_settings.BINDING_STATE_MAX_AGE),
        customer_ip=customer.ip_address,
        device_id=customer.device_id or "",
    )
    try:
        response = get_client().bind_account(request, customer=customer,
                                             external_id=binding.external_id)
    except DokuAlloError as exc:
        # Nothing the customer could finish came back: the binding cannot complete.
        _fail(binding.pk, f"DOKU did not register the binding: {exc}",
              error=exc if isinstance(exc, SnapError) else None)
        raise
    with transaction.atomic():
        binding = lock(Binding, binding.pk)
        binding.reference_no = response.reference_no or ""
        binding.redirect_url = response.redirect_url or ""
        binding.auth_code = response.auth_code or ""
        record_response(binding, raw=response.response)
        save(binding)
    if not response.redirect_url or not response.auth_code:
        _fail(binding.pk, "DOKU's binding answer had no redirectUrl or authCode")
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
    binding = Binding.objects.filter(state_digest=digest(state)).first()
    if binding is None:
        raise InvalidState("This binding link is not valid; start linking again.")
    if binding.state_expires_at is None or binding.state_expires_at < now:
        raise InvalidState("This binding link has expired; start linking again.")
    claimed = Binding.objects.filter(pk=binding.pk, state_used_at__isnull=True).update(
        state_used_at=now)
    if not claimed:
        raise InvalidState("This binding link was already used.")
    if not succeeded:
        return fail_binding(binding, REASON_OTP_NOT_COMPLETED)
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
        return _fail(binding.pk, "No authCode was received for this binding.")
    try:
        token = get_client().exchange_auth_code(binding.auth_code)
    except DeclinedError as exc:
        return _fail(binding.pk, f"Allo Bank did not confirm the binding: {exc}", error=exc)
    with transaction.atomic():
        binding = lock(Binding, binding.pk)
        if binding.status != BindingStatus.PENDING:
            return binding
        customer_tokens.store_customer_token(binding, token)
        move(binding, BindingStatus.ACTIVE)
        binding.activated_at = timezone.now()
        try:
            with transaction.atomic():
                save(binding)
        except IntegrityError:
            binding = lock(Binding, binding.pk)
            return _fail_locked(binding, REASON_ALREADY_LINKED)
        send_after_commit(signals.binding_activated, Binding, binding=binding)
    return binding


def fail_binding(binding: Binding, reason: str) -> Binding:
    """Mark a pending binding failed (no-op for one that already ended)."""
    return _fail(binding.pk, reason)


def _fail(pk: int, reason: str, error: SnapError | None = None) -> Binding:
    with transaction.atomic():
        binding = lock(Binding, pk)
        if error is not None:
            record_response(binding, error)
        return _fail_locked(binding, reason)


def _fail_locked(binding: Binding, reason: str) -> Binding:
    """Fail ``binding``, which the caller has locked; a binding that ended stays as it is."""
    if binding.status == BindingStatus.PENDING:
        move(binding, BindingStatus.FAILED)
        binding.failure_reason = reason[:255]
        binding.auth_code = ""
        send_after_commit(signals.binding_failed, Binding, binding=binding, reason=reason)
    save(binding)
    return binding


def mark_unbound(pk: int, reason: str) -> Binding:
    """The binding is gone at DOKU (unbound by us or revoked by the customer)."""
    with transaction.atomic():
        binding = lock(Binding, pk)
        if move_if_allowed(binding, BindingStatus.UNBOUND, source=reason):
            binding.unbound_at = timezone.now()
            binding.failure_reason = reason[:255]
            binding.access_token = binding.refresh_token = binding.auth_code = ""
            binding.access_token_expires_at = binding.refresh_token_expires_at = None
            save(binding)
            send_after_commit(signals.binding_unbound, Binding, binding=binding)
        return binding


def require_active(binding: Binding) -> Binding:
    """``binding`` re-read; raises :class:`BindingNotActive` unless it is active."""
    binding = Binding.objects.get(pk=binding.pk)
    if binding.status != BindingStatus.ACTIVE:
        raise BindingNotActive(
            f"The Allo Bank binding is {binding.get_status_display().lower()}; "
            "the customer must link the account first.")
    return binding


def unbind(binding: Binding, *, customer: CustomerContext | None = None,
           initiated_by: str = "merchant") -> Binding:
    """Unlink the Allo Bank account at DOKU, then forget its tokens.

    ``initiated_by`` is ``"merchant"`` (staff, or the merchant's code) or
    ``"customer"`` (the customer unlinked it themselves); the stored reason says which,
    and the admin shows it.

    A refusal leaves the binding active and is raised; an unknown outcome leaves
    it ``unbinding`` (call again to retry) and is raised. A binding that is still
    pending raises :class:`BindingNotActive`; one that failed cannot move to
    ``unbinding`` and raises :class:`~django_doku_allo.exceptions.TransitionNotAllowed`.
    """
    if initiated_by not in ("merchant", "customer"):
        raise ValueError(f"initiated_by must be 'merchant' or 'customer', not {initiated_by!r}")
    with transaction.atomic():
        binding = lock(Binding, binding.pk)
        if binding.status == BindingStatus.UNBOUND:
            return binding
        if binding.status == BindingStatus.PENDING:
            raise BindingNotActive("A pending binding cannot be unbound: the customer has "
                                   "not finished linking it.")
        move(binding, BindingStatus.UNBINDING)
        save(binding)
    if customer is None and binding.customer_ip:
        customer = CustomerContext(ip_address=binding.customer_ip,
                                   device_id=binding.device_id or None)
    client = get_client()
    try:
        token = customer_tokens.customer_token(binding)
        response = client.unbind_account(customer_token=token, customer=customer,
                                         external_id=new_external_id())
    except BindingNotActive:
        return Binding.objects.get(pk=binding.pk)  # revoked meanwhile: already unbound
    except InvalidCustomerTokenError:
        return mark_unbound(binding.pk, REASON_TOKEN_REVOKED)
    except (DeclinedError, RetryableError) as exc:
        with transaction.atomic():
            locked = lock(Binding, binding.pk)
            record_response(locked, exc)
            move_if_allowed(locked, BindingStatus.ACTIVE, source="unbinding refused")
            save(locked)
        raise
    unbound = mark_unbound(binding.pk, REASON_UNBOUND_BY_CUSTOMER if initiated_by == "customer"
                           else REASON_UNBOUND_BY_MERCHANT)
    with transaction.atomic():
        locked = lock(Binding, unbound.pk)
        record_response(locked, raw=response.response)
        save(locked)
        return locked


def balance_inquiry(binding: Binding, *, customer: CustomerContext) -> BalanceInquiryResponse:
    """The customer's current Allo Bank balance (no state change)."""
    binding = require_active(binding)
    client = get_client()
    return customer_tokens.with_customer_token(
        binding, lambda token: client.balance_inquiry(customer_token=token, customer=customer))
