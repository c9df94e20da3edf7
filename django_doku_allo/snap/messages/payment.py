"""Host-to-host payment: debit a bound account; the customer confirms on the bank's page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..channels import ALLO, ChannelProfile
from ..errors import InvalidRequestError
from .common import (
    CURRENCY,
    FromResponse,
    Money,
    SnapResponse,
    format_amount,
    require,
    require_http_urls,
    wire,
)

__all__ = ["LineItem", "PayOption", "PaymentRequest", "PaymentResponse"]


@dataclass(frozen=True)
class LineItem:
    name: str
    price: Decimal
    quantity: int = 1

    def __post_init__(self) -> None:
        require(isinstance(self.name, str) and bool(self.name.strip()),
                "a line item needs a name", "line_items")
        format_amount(self.price)
        require(isinstance(self.quantity, int) and not isinstance(self.quantity, bool)
                and self.quantity > 0, "a line item's quantity must be a positive integer",
                "line_items")

    def to_wire(self) -> dict[str, str]:
        return {"name": self.name, "price": format_amount(self.price),
                "quantity": str(self.quantity)}


@dataclass(frozen=True)
class PayOption:
    pay_method: str
    trans_amount: Decimal
    fee_amount: Decimal | None = None

    def __post_init__(self) -> None:
        require(bool(self.pay_method), "payMethod is required", "pay_options")
        format_amount(self.trans_amount)
        if self.fee_amount is not None:
            _fee_text(self.fee_amount)

    def to_wire(self) -> dict[str, Any]:
        wire_form: dict[str, Any] = {"payMethod": self.pay_method,
                                     "transAmount": Money(self.trans_amount).to_wire()}
        if self.fee_amount is not None:
            wire_form["feeAmount"] = {"value": _fee_text(self.fee_amount), "currency": CURRENCY}
        return wire_form


def _fee_text(value: Decimal | int | str) -> str:
    """A fee may be zero, unlike an amount; otherwise the same rules (no float, cents)."""
    if isinstance(value, (float, bool)):
        raise InvalidRequestError("amounts must be Decimal, int or str, never float or bool",
                                  field="pay_options")
    try:
        fee = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidRequestError(f"not an amount: {value!r}", field="pay_options") from None
    if fee.is_finite() and fee == 0:
        return "0.00"
    return format_amount(fee)


@dataclass(frozen=True)
class PaymentRequest:
    partner_reference_no: str
    amount: Decimal
    remarks: str
    success_payment_url: str
    failed_payment_url: str
    line_items: Sequence[LineItem]
    pay_options: Sequence[PayOption] = field(default_factory=tuple)
    #: The channel whose rules this request is checked against.
    profile: ChannelProfile = field(default=ALLO, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        profile = self.profile
        require(0 < len(self.partner_reference_no or "") <= 64,
                "partnerReferenceNo must be 1 to 64 characters", "partner_reference_no")
        format_amount(self.amount)
        require(0 < len(self.remarks or "") <= profile.remarks_max_length,
                f"remarks must be 1 to {profile.remarks_max_length} characters", "remarks")
        if profile.requires_line_items:
            require(len(self.line_items) > 0,
                    f"{profile.display_name} requires at least one line item", "line_items")
        require(all(isinstance(item, LineItem) for item in self.line_items),
                "line items must be LineItem objects", "line_items")
        require(all(isinstance(option, PayOption) for option in self.pay_options),
                "pay options must be PayOption objects", "pay_options")
        require_http_urls(self, "success_payment_url", "failed_payment_url")

    def to_body(self, channel: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "partnerReferenceNo": self.partner_reference_no,
            "amount": Money(self.amount).to_wire(),
        }
        if self.pay_options:
            body["payOptionDetails"] = [option.to_wire() for option in self.pay_options]
        body["additionalInfo"] = {
            "channel": channel,
            "remarks": self.remarks,
            "successPaymentUrl": self.success_payment_url,
            "failedPaymentUrl": self.failed_payment_url,
            "lineItems": [item.to_wire() for item in self.line_items],
        }
        return body


@dataclass(frozen=True)
class PaymentResponse(FromResponse):
    reference_no: str | None = field(metadata=wire("referenceNo"))
    partner_reference_no: str | None = field(metadata=wire("partnerReferenceNo"))
    web_redirect_url: str | None = field(metadata=wire("webRedirectUrl"))
    approval_code: str | None = field(metadata=wire("approvalCode"))
    response: SnapResponse
