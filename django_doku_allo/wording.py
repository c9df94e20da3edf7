"""Two audiences, two texts: what the customer reads and what staff read.

The customer is told what happened and what to do (top up, try again, link the
account again, use another account), never a DOKU code nor "ask them". Staff
(admin, logs) get DOKU's response code, its message and the channel's hint.

Stored reasons (``failure_reason``) stay in English: they are data staff search
and DOKU's support reads. The texts here are built from the stored codes and
statuses at the time they are shown, so they follow the active language.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from .models import Binding, BindingStatus, Payment, PaymentStatus, Refund, RefundStatus
from .snap import codes
from .snap.channels import ALLO
from .snap.codes import Outcome, ResponseCode, classify

__all__ = [
    "REASON_ALREADY_LINKED",
    "REASON_CANCELED_BY_CUSTOMER",
    "REASON_OTP_NOT_COMPLETED",
    "REASON_TOKEN_REVOKED",
    "REASON_UNBOUND_BY_CUSTOMER",
    "REASON_UNBOUND_BY_MERCHANT",
    "customer_message",
    "customer_message_for_code",
    "customer_status",
    "staff_message",
]

# The stored (English) reasons the services write and the texts below recognise.
REASON_CANCELED_BY_CUSTOMER = "Canceled by the customer."
REASON_OTP_NOT_COMPLETED = "The customer did not complete OTP/PIN at Allo Bank."
REASON_ALREADY_LINKED = "This Allo Bank account is already linked."
REASON_TOKEN_REVOKED = "DOKU no longer knows the customer's token."
REASON_UNBOUND_BY_MERCHANT = "Unbound by the merchant."
REASON_UNBOUND_BY_CUSTOMER = "Unlinked by the customer."

#: Customer words for a status (the staff's are the models' choice labels).
_PAYMENT_STATUS = {
    PaymentStatus.INITIATED: pgettext_lazy("payment status", "Being checked"),
    PaymentStatus.PENDING: pgettext_lazy("payment status", "Waiting for your confirmation"),
    PaymentStatus.SUCCEEDED: pgettext_lazy("payment status", "Paid"),
    PaymentStatus.FAILED: pgettext_lazy("payment status", "Not paid"),
    PaymentStatus.UNKNOWN: pgettext_lazy("payment status", "Being checked"),
    PaymentStatus.EXPIRED: pgettext_lazy("payment status", "Not paid"),
    PaymentStatus.REFUNDED: pgettext_lazy("payment status", "Refunded"),
}
_BINDING_STATUS = {
    BindingStatus.PENDING: pgettext_lazy("binding status", "Waiting for your confirmation"),
    BindingStatus.ACTIVE: pgettext_lazy("binding status", "Linked"),
    BindingStatus.FAILED: pgettext_lazy("binding status", "Not linked"),
    BindingStatus.UNBINDING: pgettext_lazy("binding status", "Being unlinked"),
    BindingStatus.UNBOUND: pgettext_lazy("binding status", "Unlinked"),
}
_REFUND_STATUS = {
    RefundStatus.REQUESTED: pgettext_lazy("refund status", "Being processed"),
    RefundStatus.SUCCEEDED: pgettext_lazy("refund status", "Refunded"),
    RefundStatus.FAILED: pgettext_lazy("refund status", "Not refunded"),
    RefundStatus.UNKNOWN: pgettext_lazy("refund status", "Being checked"),
}

#: The channel's staff hints (snap/ knows no Django), translated here.
_STAFF_HINTS = {
    codes.B2B2C_TOKEN_UNAUTHORIZED: gettext_lazy(
        "The customer's Allo Bank binding is no longer valid; ask them to link the account "
        "again."),
    codes.PAYMENT_INSUFFICIENT_FUNDS: gettext_lazy(
        "The customer's Allo Bank balance is too low; ask them to top up."),
    codes.PAYMENT_EXCEEDS_TRANSACTION_LIMIT: gettext_lazy(
        "The amount exceeds the customer's transaction limit."),
    codes.PAYMENT_INVALID_AMOUNT: gettext_lazy(
        "Allo Bank refunds must be for the full paid amount."),
}


def customer_status(obj: Payment | Binding | Refund) -> str:
    """The status in the customer's words ("Waiting for your confirmation", "Paid")."""
    table: dict = (_PAYMENT_STATUS if isinstance(obj, Payment) else
                   _BINDING_STATUS if isinstance(obj, Binding) else _REFUND_STATUS)
    label = table.get(obj.status)
    return str(label) if label is not None else str(obj.get_status_display())


# --------------------------------------------------------------------------- by code
def _customer_text_for_doku_code(raw: str | None) -> str | None:
    """The customer's text for one of DOKU's response codes, if it says something specific."""
    if not raw:
        return None
    if raw == codes.PAYMENT_INSUFFICIENT_FUNDS:
        return _("Your Allo Bank balance is not enough. Top up your balance, then try again.")
    if raw == codes.PAYMENT_EXCEEDS_TRANSACTION_LIMIT:
        return _("The amount is over your Allo Bank transaction limit. Try a smaller amount "
                 "or use another account.")
    code = ResponseCode.parse(raw)
    if code is None:
        return None
    if raw == codes.B2B2C_TOKEN_UNAUTHORIZED or code.is_invalid_customer_token:
        return _("Your Allo Bank link is no longer valid. Link your Allo Bank account again, "
                 "then try again.")
    if code.http_status == 401 and code.service == codes.ServiceCode.ACCOUNT_BINDING.value:
        return _("Allo Bank did not accept the OTP/PIN, or it expired. Try linking again.")
    outcome = classify(code)
    if outcome is Outcome.RETRYABLE:
        return _("Allo Bank is busy right now. Nothing was charged. Please try again in a "
                 "few minutes.")
    if outcome is Outcome.UNKNOWN:
        return _("We are checking the result with Allo Bank. Please do not pay again; "
                 "this page will show the result soon.")
    return None


_BY_CODE = {
    "declined": gettext_lazy("Allo Bank declined this payment. Please try again or use "
                             "another account."),
    "doku_unavailable": gettext_lazy("Allo Bank could not be reached. Nothing was charged. "
                                     "Please try again in a few minutes."),
    "outcome_unknown": gettext_lazy("We are checking the result with Allo Bank. Please do "
                                    "not pay again; the result will show soon."),
    "binding_not_active": gettext_lazy("Your Allo Bank account is not linked. Link it "
                                       "first, then try again."),
    "order_has_live_payment": gettext_lazy("This order already has a payment in progress "
                                           "or is paid. Check your order before paying "
                                           "again."),
    "not_refundable": gettext_lazy("This payment cannot be refunded."),
    "invalid_transition": gettext_lazy("This cannot be done any more: it has already "
                                       "ended."),
    "idempotency_key_reused": gettext_lazy("This request was already made with other "
                                           "details. Reload the page and try again."),
    "idempotency_key_expired": gettext_lazy("This request is too old. Reload the page and "
                                            "try again."),
    "invalid_request": gettext_lazy("Some details are not valid. Check them and try "
                                    "again."),
    "ipv4_required": gettext_lazy("We could not identify your connection for Allo Bank. "
                                  "Please try again over another network."),
    "device_id_required": gettext_lazy("We could not identify your device for Allo Bank. "
                                       "Reload the page and try again."),
    "invalid_device_id": gettext_lazy("We could not identify your device for Allo Bank. "
                                      "Reload the page and try again."),
    "database_unavailable": gettext_lazy("Something went wrong on our side; nothing was "
                                         "lost. Please try again in a moment."),
}


def customer_message_for_code(code: str, doku_response_code: str | None = None) -> str:
    """The customer's text for an API error ``code``, refined by DOKU's response code."""
    specific = _customer_text_for_doku_code(doku_response_code)
    if specific:
        return specific
    text = _BY_CODE.get(code)
    if text is not None:
        return str(text)
    return _("Something went wrong. Please try again.")


# --------------------------------------------------------------------------- by object
def customer_message(obj: Payment | Binding | Refund) -> str:
    """What happened to ``obj`` and what to do now, in the customer's words."""
    if isinstance(obj, Payment):
        return _payment_message(obj)
    if isinstance(obj, Binding):
        return _binding_message(obj)
    return _refund_message(obj)


def _payment_message(payment: Payment) -> str:
    status = payment.status
    if status == PaymentStatus.SUCCEEDED:
        return _("Your payment was successful.")
    if status == PaymentStatus.REFUNDED:
        return _("This payment was refunded to your Allo Bank account.")
    if status == PaymentStatus.PENDING:
        return _("Confirm the payment with your OTP/PIN in Allo Bank.")
    if status in (PaymentStatus.INITIATED, PaymentStatus.UNKNOWN):
        return _("We are checking your payment with Allo Bank. Please do not pay again; "
                 "the result will show soon.")
    if status == PaymentStatus.EXPIRED:
        if payment.failure_reason == REASON_CANCELED_BY_CUSTOMER:
            return _("You canceled this payment. You can pay again whenever you are ready.")
        return _("The payment was not confirmed in time. You can pay again.")
    specific = _customer_text_for_doku_code(payment.response_code)
    if specific:
        return specific
    return _("The payment did not go through. Please try again or use another account.")


def _binding_message(binding: Binding) -> str:
    status = binding.status
    if status == BindingStatus.ACTIVE:
        return _("Your Allo Bank account is linked.")
    if status == BindingStatus.PENDING:
        return _("Confirm the link with your OTP/PIN in Allo Bank.")
    if status == BindingStatus.UNBINDING:
        return _("Your Allo Bank account is being unlinked.")
    if status == BindingStatus.UNBOUND:
        if binding.failure_reason == REASON_TOKEN_REVOKED:
            return _("Your Allo Bank account is no longer linked. Link it again to pay "
                     "with it.")
        return _("Your Allo Bank account is unlinked.")
    reason = binding.failure_reason
    if reason == REASON_OTP_NOT_COMPLETED:
        return _("Your Allo Bank account was not linked: the OTP/PIN was not completed. "
                 "Try linking again.")
    if reason == REASON_ALREADY_LINKED:
        return _("This Allo Bank account is already linked to your account.")
    specific = _customer_text_for_doku_code(binding.response_code)
    if specific:
        return specific
    return _("Your Allo Bank account was not linked. Please try again.")


def _refund_message(refund: Refund) -> str:
    if refund.status == RefundStatus.SUCCEEDED:
        return _("The money was refunded to your Allo Bank account.")
    if refund.status == RefundStatus.FAILED:
        return _("The refund did not go through. The shop will contact you.")
    return _("Your refund is being processed.")


# --------------------------------------------------------------------------- staff
def staff_message(obj: Payment | Binding | Refund) -> str:
    """The staff's text: the status, the stored reason, DOKU's code, message and hint."""
    parts = [str(obj.get_status_display())]
    reason = getattr(obj, "failure_reason", "") or getattr(obj, "attention", "")
    if reason:
        parts.append(reason)
    code = obj.response_code
    if code:
        if code not in reason:  # the reason of a refusal already quotes DOKU's answer
            parts.append(_("DOKU answered %(code)s %(message)s.") % {
                "code": code, "message": obj.response_message or "-"})
        hint = _STAFF_HINTS.get(code) or ALLO.hint(code)
        if hint:
            parts.append(_("Hint: %(hint)s") % {"hint": hint})
    return " — ".join(parts)
