"""The test hint on each Allo Bank page is right for the test account it shows."""

from __future__ import annotations

from typing import Any

from django_doku_allo.simulator.accounts import set_balance
from django_doku_allo.simulator.models import Account

from .conftest import (
    HAPPY_PHONE,
    LOW_BALANCE_PHONE,
    OTP_FAILS_PHONE,
    TIMEOUT_PHONE,
    Snap,
    payment_body,
)


def _binding_page(snap: Snap, phone: str) -> str:
    url: str = snap.bind(phone=phone)["redirectUrl"]
    return snap.client.get(url.removeprefix("http://testserver")).content.decode()


def _payment_page(snap: Snap, phone: str, value: str = "10000.00") -> str:
    bound = snap.bound_customer(phone=phone)
    created: Any = snap.pay(bound, payment_body(value=value))
    url: str = created.json()["webRedirectUrl"]
    return snap.client.get(url.removeprefix("http://testserver")).content.decode()


def test_happy_account_hint_gives_the_test_otp(snap: Snap) -> None:
    page = _binding_page(snap, HAPPY_PHONE)

    assert "Test OTP: 123456." in page
    assert "refuses every OTP" not in page


def test_refusing_account_hint_says_every_otp_is_refused(snap: Snap) -> None:
    page = _binding_page(snap, OTP_FAILS_PHONE)

    assert "refuses every OTP, even 123456" in page
    assert "Test OTP: 123456." not in page


def test_refusing_account_payment_hint_says_the_payment_fails(snap: Snap) -> None:
    # The account cannot bind, so its payment page is reached with a normal binding
    # whose account later starts refusing OTPs: the hint follows the account.
    bound = snap.bound_customer(phone="6281100000099")
    Account.objects.filter(phone_no="6281100000099").update(
        behaviour=Account.Behaviour.OTP_FAILS)
    url: str = snap.pay(bound).json()["webRedirectUrl"]
    page = snap.client.get(url.removeprefix("http://testserver")).content.decode()

    assert "refuses every OTP, even 123456: after three tries the payment fails." in page


def test_low_balance_account_hint_says_the_balance_is_low(snap: Snap) -> None:
    page = _binding_page(snap, LOW_BALANCE_PHONE)

    assert "balance is low (Rp5,000)" in page
    assert "Test OTP: 123456." in page


def test_low_balance_payment_hint_names_the_balance(snap: Snap) -> None:
    page = _payment_page(snap, LOW_BALANCE_PHONE, value="4000.00")

    assert "balance is low (Rp5,000)" in page


def test_payment_above_the_balance_hint_says_allo_bank_will_refuse_it(snap: Snap) -> None:
    # Allo Bank refuses a payment above the balance at once; one still on its page
    # can outgrow the balance when another payment is debited first.
    bound = snap.bound_customer(phone=LOW_BALANCE_PHONE)
    url: str = snap.pay(bound, payment_body(value="4000.00")).json()["webRedirectUrl"]
    set_balance(LOW_BALANCE_PHONE, "1000.00")

    page = snap.client.get(url.removeprefix("http://testserver")).content.decode()

    assert "balance is only Rp1,000, less than this payment" in page


def test_bank_timeout_account_hint_says_the_bank_times_out(snap: Snap) -> None:
    # Its payments never reach a page (debited at once, answered 504): the binding
    # page is where the customer learns it.
    page = _binding_page(snap, TIMEOUT_PHONE)

    assert "Allo Bank times out on payments" in page
    assert "Test OTP: 123456." in page


def test_pin_step_hint_gives_the_test_pin(snap: Snap) -> None:
    url = snap.bind()["redirectUrl"].removeprefix("http://testserver")
    snap.client.post(url, {"otp": "123456", "action": "submit"})

    page = snap.client.get(url).content.decode()

    assert "Test PIN: 123456." in page


def test_topped_up_account_loses_the_low_balance_hint(snap: Snap) -> None:
    set_balance(LOW_BALANCE_PHONE, "10000000.00")

    page = _binding_page(snap, LOW_BALANCE_PHONE)

    assert "balance is low" not in page
