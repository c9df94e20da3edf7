"""The test hint under the OTP/PIN field: what this test account will do.

The pages are a demo of Allo Bank's, so each shows the code to type and, for the
special test accounts (:mod:`.accounts`), what will happen instead: every OTP
refused, a balance too low, the bank timing out. The hint follows the account's
state (its behaviour and current balance), so a topped-up account loses its
low-balance hint.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext

from ..amounts import format_amount
from .accounts import OTP, PIN
from .models import Account

__all__ = ["LOW_BALANCE", "page_hints"]

#: Below this balance an ordinary purchase is refused, so the hint says the balance is low
#: (the low-balance test account holds Rp5.000).
LOW_BALANCE = Decimal("100000.00")

Purpose = Literal["binding", "payment"]


def _code_hint(account: Account, step: str, purpose: Purpose) -> str:
    if step == "pin":
        return gettext("Test PIN: %(pin)s.") % {"pin": PIN}
    if account.behaviour == Account.Behaviour.OTP_FAILS:
        if purpose == "binding":
            return gettext("This test account refuses every OTP, even %(otp)s: after three "
                           "tries the linking fails.") % {"otp": OTP}
        return gettext("This test account refuses every OTP, even %(otp)s: after three "
                       "tries the payment fails.") % {"otp": OTP}
    return gettext("Test OTP: %(otp)s.") % {"otp": OTP}


def _balance_hint(account: Account, amount: Decimal | None, currency: str) -> str | None:
    balance = format_amount(account.balance, currency)
    if amount is not None and account.balance < amount:
        return gettext("This test account's balance is only %(balance)s, less than this "
                       "payment: Allo Bank will refuse it for insufficient balance."
                       ) % {"balance": balance}
    if account.balance < LOW_BALANCE:
        return gettext("This test account's balance is low (%(balance)s): a payment above "
                       "it is refused for insufficient balance.") % {"balance": balance}
    return None


def _behaviour_hint(account: Account, purpose: Purpose) -> str | None:
    # A timeout account's payment never reaches a page (debited at once, answered 504),
    # so only the binding page can warn about it.
    if account.behaviour == Account.Behaviour.BANK_TIMEOUT and purpose == "binding":
        return gettext("On this test account Allo Bank times out on payments: linking works; "
                       "a payment is debited, then the bank's answer to the shop times out "
                       "and the shop learns the result by checking the payment status.")
    return None


def page_hints(account: Account, *, step: str, purpose: Purpose,
               amount: Decimal | None = None, currency: str = "IDR") -> list[str]:
    """The sentences under the field at ``step`` (``otp`` or ``pin``), in the active language."""
    hints = [_code_hint(account, step, purpose),
             _balance_hint(account, amount, currency),
             _behaviour_hint(account, purpose)]
    return [hint for hint in hints if hint]
