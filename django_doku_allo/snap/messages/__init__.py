"""Typed requests and responses of the SNAP direct debit operations, one module each.

Requests validate their fields on construction (the spec's length and format
rules, plus the channel profile's, :data:`~django_doku_allo.snap.channels.ALLO` by
default), so a bad input fails before anything is signed or sent. Responses keep
DOKU's raw JSON in ``response.raw`` and promote only the fields callers need;
unknown fields are ignored, because DOKU adds fields without notice.
"""

from __future__ import annotations

from .balance import AccountBalance, BalanceInquiryResponse
from .binding import AccountBindingRequest, AccountBindingResponse, AccountUnbindingResponse
from .common import (
    CustomerContext,
    Money,
    SnapAnswer,
    SnapResponse,
    format_amount,
    parse_amount,
)
from .payment import LineItem, PaymentRequest, PaymentResponse, PayOption
from .refund import RefundRequest, RefundResponse
from .status import CheckStatusRequest, CheckStatusResponse, RefundHistoryEntry
from .tokens import AccessToken, B2B2CToken

__all__ = [
    "AccessToken",
    "AccountBalance",
    "AccountBindingRequest",
    "AccountBindingResponse",
    "AccountUnbindingResponse",
    "B2B2CToken",
    "BalanceInquiryResponse",
    "CheckStatusRequest",
    "CheckStatusResponse",
    "CustomerContext",
    "LineItem",
    "Money",
    "PayOption",
    "PaymentRequest",
    "PaymentResponse",
    "RefundHistoryEntry",
    "RefundRequest",
    "RefundResponse",
    "SnapAnswer",
    "SnapResponse",
    "format_amount",
    "parse_amount",
]
