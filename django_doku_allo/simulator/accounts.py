"""Test Allo Bank accounts, created on first use.

=================  ================  ==========================================================
phone              balance (IDR)     behaviour
=================  ================  ==========================================================
``6281100000001``  10,000,000.00     happy path
``6281100000002``  5,000.00          insufficient funds for ordinary purchases (``4035414``)
``6281100000003``  1,000,000.00      every OTP is refused: a binding ends at the failed URL
                                     after three tries, a payment ends ``06`` Failed
``6281100000004``  10,000,000.00     the bank times out: the payment call debits the account
                                     at once (status ``00``, notification queued) and then
                                     answers HTTP 504 ``5045400``; check status tells the truth
any other          1,000,000.00      normal
``62...`` phone
=================  ================  ==========================================================

Every account's OTP and PIN are ``123456``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .models import Account

__all__ = [
    "DEFAULT_BALANCE",
    "OTP",
    "PIN",
    "TEST_ACCOUNTS",
    "TestAccount",
    "get_or_create_account",
    "set_balance",
]

OTP = "123456"
PIN = "123456"
DEFAULT_BALANCE = Decimal("1000000.00")


@dataclass(frozen=True)
class TestAccount:
    phone_no: str
    name: str
    balance: Decimal
    behaviour: str


TEST_ACCOUNTS: dict[str, TestAccount] = {
    a.phone_no: a
    for a in (
        TestAccount("6281100000001", "Happy Path", Decimal("10000000.00"),
                    Account.Behaviour.NORMAL),
        TestAccount("6281100000002", "Low Balance", Decimal("5000.00"), Account.Behaviour.NORMAL),
        TestAccount("6281100000003", "OTP Always Fails", DEFAULT_BALANCE,
                    Account.Behaviour.OTP_FAILS),
        TestAccount("6281100000004", "Bank Timeout", Decimal("10000000.00"),
                    Account.Behaviour.BANK_TIMEOUT),
    )
}


def get_or_create_account(phone_no: str) -> Account:
    """The account of ``phone_no``, opened with its table entry (or the default) if new."""
    known = TEST_ACCOUNTS.get(phone_no)
    defaults = {
        "name": known.name if known else f"Customer {phone_no[-4:]}",
        "balance": known.balance if known else DEFAULT_BALANCE,
        "behaviour": known.behaviour if known else Account.Behaviour.NORMAL,
    }
    account, _ = Account.objects.get_or_create(phone_no=phone_no, defaults=defaults)
    return account


def set_balance(phone_no: str, balance: Decimal | str) -> Account:
    """Top up or drain an account (tests and the control API use this)."""
    account = get_or_create_account(phone_no)
    account.balance = Decimal(balance).quantize(Decimal("0.01"))
    account.save(update_fields=["balance"])
    return account
