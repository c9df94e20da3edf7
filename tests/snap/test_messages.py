"""snap.messages: one module per operation, every name re-exported by the package."""

from __future__ import annotations

import dataclasses

import pytest

from django_doku_allo.snap import messages
from django_doku_allo.snap.messages import (
    balance,
    binding,
    common,
    payment,
    refund,
    status,
    tokens,
)


@pytest.mark.parametrize(("module", "names"), [
    (binding, {"AccountBindingRequest", "AccountBindingResponse", "AccountUnbindingResponse"}),
    (payment, {"LineItem", "PayOption", "PaymentRequest", "PaymentResponse"}),
    (refund, {"RefundRequest", "RefundResponse"}),
    (status, {"CheckStatusRequest", "CheckStatusResponse", "RefundHistoryEntry"}),
    (tokens, {"AccessToken", "B2B2CToken"}),
    (balance, {"AccountBalance", "BalanceInquiryResponse"}),
])
def test_each_operation_has_one_home(module: object, names: set[str]) -> None:
    assert set(module.__all__) == names  # type: ignore[attr-defined]
    for name in names:
        assert getattr(messages, name).__module__ == module.__name__  # type: ignore[attr-defined]


def test_every_response_field_but_response_is_declared_with_a_wire_reader() -> None:
    for cls in (messages.AccountBindingResponse, messages.AccountUnbindingResponse,
                messages.B2B2CToken, messages.BalanceInquiryResponse,
                messages.CheckStatusResponse, messages.PaymentResponse,
                messages.RefundResponse):
        assert issubclass(cls, common.FromResponse)
        undeclared = {f.name for f in dataclasses.fields(cls) if "wire" not in f.metadata}
        assert undeclared == {"response"}, cls


def test_read_takes_the_first_truthy_alias_and_first_takes_the_first_parsed_value() -> None:
    aliases = common.read("amount", "transAmount", parse=common.parse_amount)
    assert aliases({"amount": {}, "transAmount": {"value": "1.00"}}) is not None
    assert aliases({"amount": {"value": "x"}, "transAmount": {"value": "1.00"}}) is None
    either = common.first(common.read("a"), common.read("b"))
    assert either({"a": 7, "b": "B"}) == "B"
    assert either({"a": "A", "b": "B"}) == "A"
    assert common.read("k", info=True)({"additionalInfo": "junk"}) is None
