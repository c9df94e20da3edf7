"""Channel profiles: Allo Bank's rules live in one profile, and a second channel is one more."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from django_doku_allo.snap import codes
from django_doku_allo.snap.channels import ALLO, ChannelProfile
from django_doku_allo.snap.client import AlloClient
from django_doku_allo.snap.config import ALLO_CHANNEL, PATH_PRESETS
from django_doku_allo.snap.errors import DeclinedError, InvalidRequestError
from django_doku_allo.snap.messages import (
    AccountBindingRequest,
    CustomerContext,
    LineItem,
    PaymentRequest,
    RefundRequest,
)
from tests.support.fake_doku import FakeDoku, snap_reply

from .conftest import ClientFactory

HEX = re.compile(r"[0-9A-F]+")


def demo_profile(**overrides: Any) -> ChannelProfile:
    """A made-up second channel with looser rules than Allo Bank's."""
    options: dict[str, Any] = {
        "channel": "DIRECT_DEBIT_DEMO_SNAP", "display_name": "Bank Demo",
        "partner_reference_prefix": "DEMO", "partner_reference_random_bytes": 8,
        "partner_refund_prefix": "DR", "partner_refund_random_bytes": 8,
        "partner_refund_no_min_length": 10, "remarks_max_length": 20,
        "line_item_name_max_length": 16, "requires_device_model": True,
        "requires_line_items": False, "binding_requires_device_id": True,
        "hints": {"4035414": "Ask the customer to top up their Bank Demo wallet."},
    }
    options.update(overrides)
    return ChannelProfile(**options)


def refund(partner_refund_no: str, **overrides: Any) -> RefundRequest:
    return RefundRequest(original_partner_reference_no="INV-1", original_reference_no=None,
                         original_external_id=None, refund_amount=Decimal("10000"),
                         partner_refund_no=partner_refund_no, **overrides)


def payment(**overrides: Any) -> PaymentRequest:
    options: dict[str, Any] = {
        "partner_reference_no": "INV-1", "amount": Decimal("10000"), "remarks": "Order",
        "success_payment_url": "https://shop.example/ok",
        "failed_payment_url": "https://shop.example/fail", "line_items": [],
    }
    options.update(overrides)
    return PaymentRequest(**options)


def binding(**overrides: Any) -> AccountBindingRequest:
    options: dict[str, Any] = {
        "phone_no": "6281234567890", "cust_id_merchant": "c1",
        "success_registration_url": "https://shop.example/ok",
        "failed_registration_url": "https://shop.example/fail",
    }
    options.update(overrides)
    return AccountBindingRequest(**options)


# --------------------------------------------------------------------------- Allo Bank
def test_allo_partner_reference_numbers_are_allo_and_28_random_hex_digits() -> None:
    numbers = {ALLO.new_partner_reference_no() for _ in range(50)}
    assert len(numbers) == 50
    for number in numbers:
        assert number.startswith("ALLO")
        assert len(number) == 32
        assert HEX.fullmatch(number[4:])


def test_allo_refund_numbers_are_rfnd_and_36_random_hex_digits_within_allo_bounds() -> None:
    numbers = {ALLO.new_partner_refund_no() for _ in range(50)}
    assert len(numbers) == 50
    for number in numbers:
        assert number.startswith("RFND")
        assert len(number) == 40
        assert HEX.fullmatch(number[4:])
        assert refund(number)  # accepted by the profile's own refund rule


def test_allo_profile_carries_the_limits_the_services_cut_to() -> None:
    assert ALLO.channel == ALLO_CHANNEL == "DIRECT_DEBIT_ALLO_SNAP"
    assert (ALLO.remarks_max_length, ALLO.line_item_name_max_length) == (40, 32)
    assert ALLO.binding_requires_device_id
    assert PATH_PRESETS is ALLO.path_presets
    assert set(PATH_PRESETS) == {"current", "archive"}


def test_allo_hints_name_what_to_do_next() -> None:
    assert "top up" in (ALLO.hint(codes.PAYMENT_INSUFFICIENT_FUNDS) or "")
    assert "link the account again" in (ALLO.hint(codes.B2B2C_TOKEN_UNAUTHORIZED) or "")
    assert ALLO.hint(None) is None
    assert ALLO.hint("2005400") is None


@pytest.mark.parametrize(("build", "field"), [
    (lambda: binding(device_model=""), "device_model"),
    (lambda: payment(), "line_items"),
    (lambda: refund("R" * 31), "partner_refund_no"),
])
def test_allo_validation_messages_name_allo_bank(build: Any, field: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        build()
    assert caught.value.field == field
    assert "Allo Bank" in str(caught.value)


def test_a_profile_cannot_be_changed_after_it_is_defined() -> None:
    with pytest.raises(TypeError):
        ALLO.hints["4035414"] = "changed"  # type: ignore[index]


# --------------------------------------------------------------------------- a second one
def test_messages_validate_against_the_profile_they_are_given() -> None:
    demo = demo_profile()
    assert payment(profile=demo).line_items == []  # Bank Demo needs no line items
    assert refund("R" * 10, profile=demo)
    with pytest.raises(InvalidRequestError) as caught:
        refund("R" * 9, profile=demo)
    assert str(caught.value) == "partnerRefundNo must be 10 to 64 characters for Bank Demo"
    with pytest.raises(InvalidRequestError) as caught:
        binding(device_model="", profile=demo)
    assert "Bank Demo" in str(caught.value)
    with pytest.raises(InvalidRequestError) as caught:
        payment(remarks="r" * 21, line_items=[LineItem("Bag", Decimal("1"))], profile=demo)
    assert str(caught.value) == "remarks must be 1 to 20 characters"


def test_a_profile_mints_references_with_its_own_prefix() -> None:
    demo = demo_profile()
    assert re.fullmatch(r"DEMO[0-9A-F]{16}", demo.new_partner_reference_no())
    assert re.fullmatch(r"DR[0-9A-F]{16}", demo.new_partner_refund_no())


@pytest.mark.parametrize("overrides", [
    {"partner_refund_random_bytes": 2},  # 6 characters, under its own minimum of 10
    {"partner_reference_random_bytes": 31},  # 66 characters, over SNAP's 64
    {"path_presets": {"archive": PATH_PRESETS["archive"]}},
])
def test_a_profile_that_contradicts_itself_is_refused_when_defined(
    overrides: dict[str, Any],
) -> None:
    with pytest.raises(ValueError, match="Bank Demo"):
        demo_profile(**overrides)


def test_the_client_sends_the_profile_channel_and_uses_its_hints(
    make_client: ClientFactory, fake_doku: FakeDoku,
) -> None:
    demo = demo_profile()
    client: AlloClient = make_client(profile=demo)
    assert client.config.channel == "DIRECT_DEBIT_DEMO_SNAP"
    assert replace(client.config, profile=ALLO).channel == ALLO_CHANNEL
    fake_doku.on("payment", snap_reply("4035414", "Insufficient Funds"))
    with pytest.raises(DeclinedError) as caught:
        client.pay(payment(profile=demo), customer_token="t",
                   customer=CustomerContext("10.0.0.1"))
    assert "Bank Demo wallet" in str(caught.value)
    [request] = fake_doku.requests_to("payment")
    assert request.json()["additionalInfo"]["channel"] == "DIRECT_DEBIT_DEMO_SNAP"


def test_the_client_names_the_profile_when_binding_needs_a_device_id(
    make_client: ClientFactory, fake_doku: FakeDoku,
) -> None:
    client = make_client(profile=demo_profile())
    with pytest.raises(InvalidRequestError) as caught:
        client.bind_account(binding(), customer=CustomerContext("10.0.0.1"))
    assert caught.value.field == "device_id"
    assert str(caught.value).startswith("Bank Demo binding requires")
    assert fake_doku.requests == []
