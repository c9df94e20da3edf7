"""What the customer's pages say: wrong codes, and how a binding or payment ended.

Customer words, in the active language: what happened and what to do next (try
again, top up, use another account), never a SNAP code. The protocol's own
``responseMessage`` texts stay English on the wire and do not come from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, ngettext

from ..amounts import format_amount
from .models import Binding, Payment

__all__ = [
    "MAX_ATTEMPTS",
    "Outcome",
    "binding_outcome",
    "payment_outcome",
    "too_many_wrong",
    "wrong_code",
]

#: Three wrong OTPs, or three wrong PINs, end the attempt.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Outcome:
    """The heading and sentence of a finished binding's or payment's page."""

    succeeded: bool
    heading: str
    message: str


def wrong_code(kind: str, failures: int) -> str:
    """The inline error after a wrong ``kind`` (``OTP`` or ``PIN``), with the tries left."""
    left = MAX_ATTEMPTS - failures
    if kind == "PIN":
        return ngettext("Wrong PIN. %(left)d attempt left.",
                        "Wrong PIN. %(left)d attempts left.", left) % {"left": left}
    return ngettext("Wrong OTP. %(left)d attempt left.",
                    "Wrong OTP. %(left)d attempts left.", left) % {"left": left}


def too_many_wrong(kind: str, purpose: str) -> str:
    """Why the attempt ended after the last wrong ``kind``, for a ``binding`` or ``payment``."""
    if purpose == "binding":
        if kind == "PIN":
            return gettext("The PIN was wrong three times, so linking was stopped. "
                           "Return to the merchant and link your account again.")
        return gettext("The OTP was wrong three times, so linking was stopped. "
                       "Return to the merchant and link your account again.")
    if kind == "PIN":
        return gettext("The PIN was wrong three times, so the payment was stopped and no "
                       "money was taken. Return to the merchant and try again.")
    return gettext("The OTP was wrong three times, so the payment was stopped and no "
                   "money was taken. Return to the merchant and try again.")


def bound_elsewhere() -> str:
    return gettext("This Allo Bank account is already linked to another customer of this "
                   "merchant. Use another Allo Bank account.")


def binding_canceled() -> str:
    return gettext("You cancelled linking your Allo Bank account. You can link it again "
                   "from the merchant's page.")


def payment_canceled() -> str:
    return gettext("You cancelled the payment and no money was taken. Return to the "
                   "merchant to pay again or choose another way to pay.")


def insufficient_balance() -> str:
    return gettext("Your Allo Bank balance is not enough for this payment, so no money was "
                   "taken. Top up your balance and try again, or use another account.")


def _binding_failure(binding: Binding) -> str:
    if binding.otp_failures >= MAX_ATTEMPTS:
        return too_many_wrong("OTP", "binding")
    if binding.pin_failures >= MAX_ATTEMPTS:
        return too_many_wrong("PIN", "binding")
    # The simulator keeps no reason: a right PIN that ended failed met another
    # customer's active binding of the same account; anything else was a cancel.
    taken = (Binding.objects.filter(client_id=binding.client_id, account_id=binding.account_id,
                                    status=Binding.Status.ACTIVE)
             .exclude(cust_id_merchant=binding.cust_id_merchant).exists())
    return bound_elsewhere() if taken and binding.otp_verified else binding_canceled()


def binding_outcome(binding: Binding) -> Outcome:
    """How the finished ``binding`` reads on its page."""
    if binding.activated_at is not None:
        return Outcome(True, gettext("Account linked"),
                       gettext("Your Allo Bank account is linked. Return to the merchant "
                               "to continue."))
    return Outcome(False, gettext("Account not linked"), _binding_failure(binding))


def payment_outcome(payment: Payment) -> Outcome:
    """How the finished ``payment`` reads on its page."""
    amount = format_amount(payment.amount, payment.currency)
    if payment.status == Payment.Status.SUCCESS:
        return Outcome(True, gettext("Payment successful"),
                       gettext("You paid %(amount)s. Return to the merchant to see your "
                               "order.") % {"amount": amount})
    if payment.status == Payment.Status.REFUNDED:
        return Outcome(True, gettext("Payment refunded"),
                       gettext("You paid %(amount)s; the merchant has refunded it to your "
                               "Allo Bank account.") % {"amount": amount})
    if payment.status == Payment.Status.CANCELED:
        return Outcome(False, gettext("Payment cancelled"), payment_canceled())
    if payment.otp_failures >= MAX_ATTEMPTS:
        message = too_many_wrong("OTP", "payment")
    elif payment.pin_failures >= MAX_ATTEMPTS:
        message = too_many_wrong("PIN", "payment")
    else:
        # Both codes were right: only the balance check fails a payment then.
        message = insufficient_balance()
    return Outcome(False, gettext("Payment not completed"), message)
