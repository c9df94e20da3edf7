"""Status inquiry: what happened to a payment (and its refunds), asked of DOKU."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..codes import TransactionStatus
from ..signing import snap_timestamp
from .common import (
    FromMapping,
    FromResponse,
    Money,
    SnapResponse,
    as_datetime,
    as_enum,
    each,
    first,
    original_identifiers,
    parse_amount,
    read,
    require,
    wire,
)

__all__ = ["CheckStatusRequest", "CheckStatusResponse", "RefundHistoryEntry"]


@dataclass(frozen=True)
class CheckStatusRequest:
    original_partner_reference_no: str
    original_reference_no: str | None = None
    original_external_id: str | None = None
    amount: Decimal | None = None
    transaction_date: datetime | None = None

    def __post_init__(self) -> None:
        require(0 < len(self.original_partner_reference_no or "") <= 64,
                "originalPartnerReferenceNo must be 1 to 64 characters",
                "original_partner_reference_no")

    def to_body(self, channel: str, service_code: str) -> dict[str, Any]:
        body = original_identifiers(self.original_partner_reference_no,
                                    self.original_reference_no, self.original_external_id)
        body["serviceCode"] = service_code
        if self.transaction_date is not None:
            body["transactionDate"] = snap_timestamp(self.transaction_date)
        if self.amount is not None:
            body["amount"] = Money(self.amount).to_wire()
        body["additionalInfo"] = {"channel": channel}
        return body


@dataclass(frozen=True)
class RefundHistoryEntry(FromMapping):
    refund_no: str | None = field(metadata=wire("refundNo"))
    # SNAP says partnerRefundNo, DOKU's SDK models partnerReferenceNo.
    partner_refund_no: str | None = field(metadata=wire(
        reader=first(read("partnerRefundNo"), read("partnerReferenceNo"))))
    refund_amount: Money | None = field(metadata=wire("refundAmount", parse=parse_amount))
    refund_status: str | None = field(metadata=wire("refundStatus"))
    refund_date: datetime | None = field(metadata=wire("refundDate", parse=as_datetime))


@dataclass(frozen=True)
class CheckStatusResponse(FromResponse):
    latest_transaction_status: TransactionStatus | None = field(metadata=wire(
        "latestTransactionStatus", parse=as_enum(TransactionStatus)))
    transaction_status_desc: str | None = field(metadata=wire("transactionStatusDesc"))
    original_reference_no: str | None = field(metadata=wire("originalReferenceNo"))
    original_partner_reference_no: str | None = field(metadata=wire("originalPartnerReferenceNo"))
    amount: Money | None = field(metadata=wire("amount", "transAmount", parse=parse_amount))
    paid_time: datetime | None = field(metadata=wire("paidTime", parse=as_datetime))
    refund_history: tuple[RefundHistoryEntry, ...] = field(metadata=wire(
        "refundHistory", parse=each(RefundHistoryEntry)))
    response: SnapResponse
