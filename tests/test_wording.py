"""Two audiences: the customer's short text, and staff's text with DOKU's code and hint."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from django_doku_allo.models import Binding, BindingStatus, Payment, PaymentStatus
from django_doku_allo.wording import (
    customer_message,
    customer_message_for_code,
    customer_status,
    staff_message,
)

pytestmark = pytest.mark.django_db

INSUFFICIENT = dict(status=PaymentStatus.FAILED, response_code="4035414",
                    response_message="Insufficient Funds",
                    failure_reason="DOKU answered payment with 4035414 Insufficient Funds. The "
                                   "customer's Allo Bank balance is too low; ask them to top up.")


def test_insufficient_funds_tells_the_customer_to_top_up_without_codes(
        make_payment: Callable[..., Payment]) -> None:
    text = customer_message(make_payment(**INSUFFICIENT))

    assert "Top up" in text
    assert "4035414" not in text
    assert "ask them" not in text


def test_insufficient_funds_tells_staff_the_code_and_hint(
        make_payment: Callable[..., Payment]) -> None:
    text = staff_message(make_payment(**INSUFFICIENT))

    assert "4035414" in text
    assert text.count("4035414") == 1
    assert "ask them to top up" in text


def test_an_unknown_outcome_is_being_checked_for_the_customer(
        make_payment: Callable[..., Payment]) -> None:
    payment = make_payment(status=PaymentStatus.UNKNOWN)

    assert customer_status(payment) == "Being checked"
    assert "do not pay again" in customer_message(payment)
    assert "awaiting status check" in staff_message(payment)


def test_a_pending_payment_waits_for_the_customer(make_payment: Callable[..., Payment]) -> None:
    assert customer_status(make_payment()) == "Waiting for your confirmation"


def test_a_refused_otp_says_why_the_account_was_not_linked(
        make_binding: Callable[..., Binding]) -> None:
    binding = make_binding(status=BindingStatus.FAILED,
                           failure_reason="The customer did not complete OTP/PIN at Allo Bank.")

    assert "OTP/PIN was not completed" in customer_message(binding)


def test_an_expired_customer_token_asks_to_link_again() -> None:
    text = customer_message_for_code("declined", "4017400")

    assert "Link your Allo Bank account again" in text


@pytest.mark.parametrize("code", ["declined", "doku_unavailable", "outcome_unknown",
                                  "binding_not_active", "something_new"])
def test_every_api_code_has_customer_words(code: str) -> None:
    text = customer_message_for_code(code)

    assert text
    assert "DOKU" not in text
