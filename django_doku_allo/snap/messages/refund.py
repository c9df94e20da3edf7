"""Refund of a paid payment (Allo Bank refunds only in full)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..channels import ALLO, ChannelProfile
from .common import (
    FromResponse,
    Money,
    SnapResponse,
    as_datetime,
    format_amount,
    original_identifiers,
    parse_amount,
    require,
    wire,
)

__all__ = ["RefundRequest", "RefundResponse"]


@dataclass(frozen=True)
class RefundRequest:
    original_partner_reference_no: str
    original_reference_no: str | None
    original_external_id: str | None
    refund_amount: Decimal
    partner_refund_no: str
    reason: str | None = None
    #: The channel whose rules this request is checked against.
    profile: ChannelProfile = field(default=ALLO, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        profile = self.profile
        require(0 < len(self.original_partner_reference_no or "") <= 64,
                "originalPartnerReferenceNo must be 1 to 64 characters",
                "original_partner_reference_no")
        if self.original_external_id is not None:
            require(0 < len(self.original_external_id) <= 36,
                    "originalExternalId must be 1 to 36 characters", "original_external_id")
        low, high = profile.partner_refund_no_min_length, profile.partner_refund_no_max_length
        require(low <= len(self.partner_refund_no or "") <= high,
                f"partnerRefundNo must be {low} to {high} characters for "
                f"{profile.display_name}", "partner_refund_no")
        format_amount(self.refund_amount)
        if self.reason is not None:
            require(len(self.reason) <= 255, "reason is at most 255 characters", "reason")

    def to_body(self, channel: str) -> dict[str, Any]:
        body = original_identifiers(self.original_partner_reference_no,
                                    self.original_reference_no, self.original_external_id)
        body["refundAmount"] = Money(self.refund_amount).to_wire()
        body["partnerRefundNo"] = self.partner_refund_no
        if self.reason:
            body["reason"] = self.reason
        body["additionalInfo"] = {"channel": channel}
        return body


@dataclass(frozen=True)
class RefundResponse(FromResponse):
    refund_no: str | None = field(metadata=wire("refundNo"))
    partner_refund_no: str | None = field(metadata=wire("partnerRefundNo"))
    refund_amount: Money | None = field(metadata=wire("refundAmount", parse=parse_amount))
    refund_time: datetime | None = field(metadata=wire("refundTime", parse=as_datetime))
    original_reference_no: str | None = field(metadata=wire("originalReferenceNo"))
    response: SnapResponse
