"""Play the customer: what the OTP/PIN pages do, callable without a browser.

The HTML pages (:mod:`.pages`) call exactly these functions. Each returns a
:class:`PageResult`: the next step (``otp``, ``pin``) or ``done`` with the URL the
customer's browser is sent to, which is the merchant's success or failed URL exactly as
the merchant gave it (the merchant's own query parameters, e.g. ``state``, included;
the simulator appends nothing, as no source says what DOKU appends).

Three wrong OTPs, or three wrong PINs, end the attempt as failed; so does Cancel
(a payment then ends ``05`` Canceled, a failed verification ``06`` Failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import ledger, page_text
from .accounts import OTP, PIN
from .models import Account, Binding, Payment
from .page_text import MAX_ATTEMPTS, too_many_wrong, wrong_code
from .tokens import digest, revoke_binding_tokens

__all__ = [
    "MAX_ATTEMPTS",
    "PageResult",
    "binding_step",
    "cancel_binding",
    "cancel_payment",
    "complete_binding",
    "confirm_payment",
    "find_binding",
    "payment_step",
    "submit_binding_otp",
    "submit_binding_pin",
    "submit_payment_otp",
    "submit_payment_pin",
]

Step = Literal["otp", "pin", "done"]


@dataclass(frozen=True)
class PageResult:
    step: Step
    #: Set when ``step == "done"``: did the binding or payment succeed, and where to go.
    succeeded: bool | None = None
    redirect_url: str | None = None
    #: What to tell the customer on the page (wrong OTP, ...), in the active language.
    error: str = ""


def _otp_ok(account: Account, otp: str) -> bool:
    return account.behaviour != Account.Behaviour.OTP_FAILS and otp.strip() == OTP


# --------------------------------------------------------------------------- binding
def find_binding(auth_code_or_reference: str, *, lock: bool = False) -> Binding:
    """A binding by its referenceNo or its authCode (``Binding.DoesNotExist`` if none)."""
    bindings = Binding.objects.select_related("account")
    if lock:
        bindings = bindings.select_for_update()
    return bindings.get(Q(reference_no=auth_code_or_reference)
                        | Q(auth_code_hash=digest(auth_code_or_reference)))


def binding_step(binding: Binding) -> Step:
    if binding.status != Binding.Status.PENDING:
        return "done"
    return "pin" if binding.otp_verified else "otp"


def _binding_done(binding: Binding, error: str = "") -> PageResult:
    ok = binding.activated_at is not None
    return PageResult("done", ok, binding.success_url if ok else binding.failed_url, error)


def _resume_binding(binding: Binding, expected: Step) -> PageResult | None:
    """None when ``binding`` is at step ``expected``; else where the customer really is."""
    step = binding_step(binding)
    if step == expected:
        return None
    return _binding_done(binding) if step == "done" else PageResult(step)


def _fail_binding(binding: Binding, error: str) -> PageResult:
    binding.status = Binding.Status.FAILED
    binding.ended_at = timezone.now()
    binding.save()
    return _binding_done(binding, error)


def _activate(binding: Binding) -> PageResult:
    others = (Binding.objects.select_for_update()
              .filter(client_id=binding.client_id, account=binding.account,
                      status=Binding.Status.ACTIVE).exclude(pk=binding.pk))
    if any(other.cust_id_merchant != binding.cust_id_merchant for other in others):
        return _fail_binding(binding, page_text.bound_elsewhere())
    now = timezone.now()
    for replaced in others:
        # The same customer bound the same account again: the new binding replaces the old.
        replaced.status = Binding.Status.UNBOUND
        replaced.ended_at = now
        replaced.save(update_fields=["status", "ended_at"])
        revoke_binding_tokens(replaced)
    binding.status = Binding.Status.ACTIVE
    binding.activated_at = now
    binding.save()
    return _binding_done(binding)


def submit_binding_otp(auth_code_or_reference: str, otp: str) -> PageResult:
    with transaction.atomic():
        binding = find_binding(auth_code_or_reference, lock=True)
        resumed = _resume_binding(binding, "otp")
        if resumed is not None:
            return resumed
        if _otp_ok(binding.account, otp):
            binding.otp_verified = True
            binding.save()
            return PageResult("pin")
        binding.otp_failures += 1
        if binding.otp_failures >= MAX_ATTEMPTS:
            return _fail_binding(binding, too_many_wrong("OTP", "binding"))
        binding.save()
        return PageResult("otp", error=wrong_code("OTP", binding.otp_failures))


def submit_binding_pin(auth_code_or_reference: str, pin: str) -> PageResult:
    with transaction.atomic():
        binding = find_binding(auth_code_or_reference, lock=True)
        resumed = _resume_binding(binding, "pin")
        if resumed is not None:
            return resumed
        if pin.strip() == PIN:
            return _activate(binding)
        binding.pin_failures += 1
        if binding.pin_failures >= MAX_ATTEMPTS:
            return _fail_binding(binding, too_many_wrong("PIN", "binding"))
        binding.save()
        return PageResult("pin", error=wrong_code("PIN", binding.pin_failures))


def cancel_binding(auth_code_or_reference: str) -> PageResult:
    with transaction.atomic():
        binding = find_binding(auth_code_or_reference, lock=True)
        if binding_step(binding) == "done":
            return _binding_done(binding)
        return _fail_binding(binding, page_text.binding_canceled())


def complete_binding(auth_code_or_reference: str, otp: str = OTP, pin: str = PIN) -> PageResult:
    """Enter ``otp`` then ``pin``, as the customer does on the binding page."""
    result = submit_binding_otp(auth_code_or_reference, otp)
    if result.step != "pin":
        return result
    return submit_binding_pin(auth_code_or_reference, pin)


# --------------------------------------------------------------------------- payment
def _find_payment(reference_no: str) -> Payment:
    return (Payment.objects.select_for_update().select_related("account")
            .get(reference_no=reference_no))


def payment_step(payment: Payment) -> Step:
    if payment.status != Payment.Status.INITIATED:
        return "done"
    return "pin" if payment.otp_verified else "otp"


def _payment_done(payment: Payment, error: str = "") -> PageResult:
    ok = payment.status in (Payment.Status.SUCCESS, Payment.Status.REFUNDED)
    return PageResult("done", ok, payment.success_url if ok else payment.failed_url, error)


def _resume(payment: Payment, expected: Step) -> PageResult | None:
    """None when ``payment`` is at step ``expected``; else where the customer really is."""
    step = payment_step(payment)
    if step == expected:
        return None
    return _payment_done(payment) if step == "done" else PageResult(step)


def submit_payment_otp(reference_no: str, otp: str) -> PageResult:
    with transaction.atomic():
        payment = _find_payment(reference_no)
        resumed = _resume(payment, "otp")
        if resumed is not None:
            return resumed
        if _otp_ok(payment.account, otp):
            payment.otp_verified = True
            payment.save(update_fields=["otp_verified"])
            return PageResult("pin")
        payment.otp_failures += 1
        payment.save(update_fields=["otp_failures"])
        if payment.otp_failures >= MAX_ATTEMPTS:
            return _payment_done(ledger.fail_payment(payment, Payment.Status.FAILED),
                                 too_many_wrong("OTP", "payment"))
        return PageResult("otp", error=wrong_code("OTP", payment.otp_failures))


def submit_payment_pin(reference_no: str, pin: str) -> PageResult:
    with transaction.atomic():
        payment = _find_payment(reference_no)
        resumed = _resume(payment, "pin")
        if resumed is not None:
            return resumed
        if pin.strip() == PIN:
            payment = ledger.settle_payment(payment)
            error = ("" if payment.status == Payment.Status.SUCCESS
                     else page_text.insufficient_balance())
            return _payment_done(payment, error)
        payment.pin_failures += 1
        payment.save(update_fields=["pin_failures"])
        if payment.pin_failures >= MAX_ATTEMPTS:
            return _payment_done(ledger.fail_payment(payment, Payment.Status.FAILED),
                                 too_many_wrong("PIN", "payment"))
        return PageResult("pin", error=wrong_code("PIN", payment.pin_failures))


def cancel_payment(reference_no: str) -> PageResult:
    """The customer presses Cancel: the payment ends ``05`` Canceled."""
    with transaction.atomic():
        payment = _find_payment(reference_no)
        if payment_step(payment) == "done":
            return _payment_done(payment)
        payment = ledger.fail_payment(payment, Payment.Status.CANCELED)
        return _payment_done(payment, page_text.payment_canceled())


def confirm_payment(reference_no: str, otp: str = OTP, pin: str = PIN) -> PageResult:
    """Enter ``otp`` then ``pin`` on the payment page: debits the account when both are right."""
    result = submit_payment_otp(reference_no, otp)
    if result.step != "pin":
        return result
    return submit_payment_pin(reference_no, pin)
