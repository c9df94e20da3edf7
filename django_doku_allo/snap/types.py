"""Typed requests and responses of the Allo Bank operations.

Requests validate their fields on construction (the spec's length and format
rules), so a bad input fails before anything is signed or sent. Responses keep
DOKU's raw JSON in ``raw`` and promote only the fields callers need; unknown
fields are ignored, because DOKU adds fields without notice.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .codes import Outcome, ResponseCode, TransactionStatus, classify
from .errors import InvalidRequestError

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

CURRENCY = "IDR"
# Matched with fullmatch and ASCII classes: ``$`` lets a trailing newline through (a
# header-injection vector for X-DEVICE-ID) and ``\d`` accepts any Unicode digit.
_AMOUNT_RE = re.compile(r"[0-9]{1,16}\.[0-9]{2}")
_PHONE_RE = re.compile(r"62[0-9]{7,14}")
_DEVICE_ID_RE = re.compile(r"[A-Za-z0-9]{1,64}")
_DATE_RE = re.compile(r"[0-9]{8}")
#: More digits than this cannot be quantised to cents in the default decimal context.
_MAX_AMOUNT = Decimal("1e16")
_CENT = Decimal("0.01")


# --------------------------------------------------------------------------- money
def format_amount(value: Decimal | int | str) -> str:
    """``Decimal("10000")`` -> ``"10000.00"``; refuses floats, negatives and sub-cent values."""
    if isinstance(value, (float, bool)):
        raise InvalidRequestError("amounts must be Decimal, int or str, never float or bool")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidRequestError(f"not an amount: {value!r}") from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidRequestError(f"an amount must be a positive number, got {value!r}")
    if amount >= _MAX_AMOUNT:
        # Checked before quantize, which raises decimal.InvalidOperation past 28 digits.
        raise InvalidRequestError(f"amount out of range (16 digits, 2 decimals): {value!r}")
    if amount != amount.quantize(_CENT, rounding=ROUND_HALF_UP):
        raise InvalidRequestError(f"IDR amounts have at most two decimal places, got {value!r}")
    text = f"{amount.quantize(_CENT):f}"
    if not _AMOUNT_RE.fullmatch(text):
        raise InvalidRequestError(f"amount out of range (16 digits, 2 decimals): {value!r}")
    return text


@dataclass(frozen=True)
class Money:
    value: Decimal
    currency: str = CURRENCY

    def to_wire(self) -> dict[str, str]:
        return {"value": format_amount(self.value), "currency": self.currency}


def parse_amount(data: object) -> Money | None:
    """``{"value": "10000.00", "currency": "IDR"}`` -> Money; ``None`` when absent or bad."""
    if not isinstance(data, Mapping):
        return None
    try:
        value = Decimal(str(data.get("value")))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    return Money(value=value, currency=str(data.get("currency") or CURRENCY))


def _parse_datetime(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # DOKU sometimes omits the offset (e.g. refundTime); its clocks run on Jakarta time.
        from .signing import JAKARTA

        parsed = parsed.replace(tzinfo=JAKARTA)
    return parsed.astimezone(timezone.utc)


def _require(condition: bool, message: str, field_name: str) -> None:
    if not condition:
        raise InvalidRequestError(message, field=field_name)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# --------------------------------------------------------------------------- context
@dataclass(frozen=True)
class CustomerContext:
    """The end customer's device and IP address: headers X-DEVICE-ID and X-IP-ADDRESS."""

    ip_address: str
    device_id: str | None = None

    def __post_init__(self) -> None:
        try:
            if not isinstance(self.ip_address, str):
                raise ValueError("not text")  # IPv4Address would take an int
            ipaddress.IPv4Address(self.ip_address)
        except (ipaddress.AddressValueError, ValueError):
            raise InvalidRequestError(
                f"X-IP-ADDRESS must be the customer's IPv4 address, got {self.ip_address!r}",
                field="ip_address",
            ) from None
        if self.device_id is not None:
            _require(isinstance(self.device_id, str)
                     and bool(_DEVICE_ID_RE.fullmatch(self.device_id)),
                     "X-DEVICE-ID must be 1 to 64 letters or digits, no symbols", "device_id")

    def headers(self) -> dict[str, str]:
        headers = {"X-IP-ADDRESS": self.ip_address}
        if self.device_id:
            headers["X-DEVICE-ID"] = self.device_id
        return headers


# --------------------------------------------------------------------------- requests
@dataclass(frozen=True)
class AccountBindingRequest:
    phone_no: str
    cust_id_merchant: str
    success_registration_url: str
    failed_registration_url: str
    device_model: str = "web"
    os_type: str = "android"
    channel_id: str = "web"
    customer_name: str | None = None
    email: str | None = None
    id_card: str | None = None
    country: str | None = None
    address: str | None = None
    date_of_birth: str | None = None

    def __post_init__(self) -> None:
        _require(isinstance(self.phone_no, str) and bool(_PHONE_RE.fullmatch(self.phone_no)),
                 "phoneNo must be 9 to 16 digits starting with 62", "phone_no")
        _require(0 < len(self.cust_id_merchant or "") <= 64,
                 "custIdMerchant must be 1 to 64 characters", "cust_id_merchant")
        for name in ("success_registration_url", "failed_registration_url"):
            _require(str(getattr(self, name) or "").startswith(("https://", "http://")),
                     f"{name} must be an absolute http(s) URL", name)
        _require(self.os_type.lower() in {"ios", "android"}, "osType must be ios or android",
                 "os_type")
        _require(self.channel_id.lower() in {"app", "web"}, "channelId must be app or web",
                 "channel_id")
        _require(bool(self.device_model), "deviceModel is required for Allo Bank",
                 "device_model")
        if self.customer_name is not None:
            _require(len(self.customer_name) <= 70, "customerName is at most 70 characters",
                     "customer_name")
        if self.date_of_birth is not None:
            _require(bool(_DATE_RE.fullmatch(self.date_of_birth)),
                     "dateOfBirth must be yyyyMMdd", "date_of_birth")

    def to_body(self, channel: str) -> dict[str, Any]:
        info: dict[str, Any] = {"channel": channel, "custIdMerchant": self.cust_id_merchant}
        optional = {
            "customerName": self.customer_name, "email": self.email, "idCard": self.id_card,
            "country": self.country, "address": self.address, "dateOfBirth": self.date_of_birth,
        }
        info.update({k: v for k, v in optional.items() if v is not None})
        info.update({
            "successRegistrationUrl": self.success_registration_url,
            "failedRegistrationUrl": self.failed_registration_url,
            "deviceModel": self.device_model,
            "osType": self.os_type.lower(),
            "channelId": self.channel_id.lower(),
        })
        return {"phoneNo": self.phone_no, "additionalInfo": info}


@dataclass(frozen=True)
class LineItem:
    name: str
    price: Decimal
    quantity: int = 1

    def __post_init__(self) -> None:
        _require(isinstance(self.name, str) and bool(self.name.strip()),
                 "a line item needs a name", "line_items")
        format_amount(self.price)
        _require(isinstance(self.quantity, int) and not isinstance(self.quantity, bool)
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
        _require(bool(self.pay_method), "payMethod is required", "pay_options")
        format_amount(self.trans_amount)
        if self.fee_amount is not None:
            _fee_text(self.fee_amount)

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"payMethod": self.pay_method,
                                "transAmount": Money(self.trans_amount).to_wire()}
        if self.fee_amount is not None:
            wire["feeAmount"] = {"value": _fee_text(self.fee_amount), "currency": CURRENCY}
        return wire


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

    def __post_init__(self) -> None:
        _require(0 < len(self.partner_reference_no or "") <= 64,
                 "partnerReferenceNo must be 1 to 64 characters", "partner_reference_no")
        format_amount(self.amount)
        _require(0 < len(self.remarks or "") <= 40, "remarks must be 1 to 40 characters",
                 "remarks")
        _require(len(self.line_items) > 0, "Allo Bank requires at least one line item",
                 "line_items")
        _require(all(isinstance(item, LineItem) for item in self.line_items),
                 "line items must be LineItem objects", "line_items")
        _require(all(isinstance(option, PayOption) for option in self.pay_options),
                 "pay options must be PayOption objects", "pay_options")
        for name in ("success_payment_url", "failed_payment_url"):
            _require(str(getattr(self, name) or "").startswith(("https://", "http://")),
                     f"{name} must be an absolute http(s) URL", name)

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
class RefundRequest:
    original_partner_reference_no: str
    original_reference_no: str | None
    original_external_id: str | None
    refund_amount: Decimal
    partner_refund_no: str
    reason: str | None = None

    def __post_init__(self) -> None:
        _require(0 < len(self.original_partner_reference_no or "") <= 64,
                 "originalPartnerReferenceNo must be 1 to 64 characters",
                 "original_partner_reference_no")
        if self.original_external_id is not None:
            _require(0 < len(self.original_external_id) <= 36,
                     "originalExternalId must be 1 to 36 characters", "original_external_id")
        _require(32 <= len(self.partner_refund_no or "") <= 64,
                 "partnerRefundNo must be 32 to 64 characters for Allo Bank",
                 "partner_refund_no")
        format_amount(self.refund_amount)
        if self.reason is not None:
            _require(len(self.reason) <= 255, "reason is at most 255 characters", "reason")

    def to_body(self, channel: str) -> dict[str, Any]:
        body: dict[str, Any] = {"originalPartnerReferenceNo": self.original_partner_reference_no}
        if self.original_reference_no:
            body["originalReferenceNo"] = self.original_reference_no
        if self.original_external_id:
            body["originalExternalId"] = self.original_external_id
        body["refundAmount"] = Money(self.refund_amount).to_wire()
        body["partnerRefundNo"] = self.partner_refund_no
        if self.reason:
            body["reason"] = self.reason
        body["additionalInfo"] = {"channel": channel}
        return body


@dataclass(frozen=True)
class CheckStatusRequest:
    original_partner_reference_no: str
    original_reference_no: str | None = None
    original_external_id: str | None = None
    amount: Decimal | None = None
    transaction_date: datetime | None = None

    def __post_init__(self) -> None:
        _require(0 < len(self.original_partner_reference_no or "") <= 64,
                 "originalPartnerReferenceNo must be 1 to 64 characters",
                 "original_partner_reference_no")

    def to_body(self, channel: str, service_code: str) -> dict[str, Any]:
        from .signing import snap_timestamp

        body: dict[str, Any] = {"originalPartnerReferenceNo": self.original_partner_reference_no}
        if self.original_reference_no:
            body["originalReferenceNo"] = self.original_reference_no
        if self.original_external_id:
            body["originalExternalId"] = self.original_external_id
        body["serviceCode"] = service_code
        if self.transaction_date is not None:
            body["transactionDate"] = snap_timestamp(self.transaction_date)
        if self.amount is not None:
            body["amount"] = Money(self.amount).to_wire()
        body["additionalInfo"] = {"channel": channel}
        return body


# --------------------------------------------------------------------------- responses
@dataclass(frozen=True)
class SnapResponse:
    """A reply from DOKU: its code, message, HTTP status and raw JSON."""

    http_status: int
    response_code: str | None
    response_message: str | None
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def code(self) -> ResponseCode | None:
        return ResponseCode.parse(self.response_code)

    def outcome(self, *, write: bool) -> Outcome:
        code = self.code
        if code is None:
            return Outcome.UNKNOWN if write else Outcome.RETRYABLE
        return classify(code, write=write)

    @classmethod
    def from_json(cls, http_status: int, data: Mapping[str, Any]) -> SnapResponse:
        return cls(http_status=http_status, response_code=_text(data.get("responseCode")),
                   response_message=_text(data.get("responseMessage")), raw=data)

    def get(self, key: str) -> Any:
        return self.raw.get(key)

    def info(self, key: str) -> Any:
        info = self.raw.get("additionalInfo")
        return info.get(key) if isinstance(info, Mapping) else None


@dataclass(frozen=True)
class SnapAnswer:
    """A SNAP reply we send (to DOKU's calls): HTTP status, response code and message."""

    http_status: int
    response_code: str
    response_message: str

    @property
    def body(self) -> dict[str, str]:
        return {"responseCode": self.response_code, "responseMessage": self.response_message}


@dataclass(frozen=True, repr=False)
class AccessToken:
    """The B2B token; ``repr`` never shows it."""

    access_token: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"AccessToken(expires_at={self.expires_at.isoformat()})"


@dataclass(frozen=True, repr=False)
class B2B2CToken:
    """The customer's token pair from an authCode or refresh token exchange."""

    access_token: str
    access_token_expires_at: datetime | None
    refresh_token: str | None
    refresh_token_expires_at: datetime | None
    response: SnapResponse

    def __repr__(self) -> str:
        expiry = self.access_token_expires_at
        return f"B2B2CToken(expires_at={expiry.isoformat() if expiry else None})"

    @classmethod
    def from_response(cls, response: SnapResponse) -> B2B2CToken:
        return cls(
            access_token=str(response.get("accessToken") or ""),
            access_token_expires_at=_parse_datetime(response.get("accessTokenExpiryTime")),
            refresh_token=_text(response.get("refreshToken")),
            refresh_token_expires_at=_parse_datetime(response.get("refreshTokenExpiryTime")),
            response=response,
        )


@dataclass(frozen=True)
class AccountBindingResponse:
    reference_no: str | None
    redirect_url: str | None
    auth_code: str | None = field(repr=False)
    account_status: str | None
    response: SnapResponse

    @classmethod
    def from_response(cls, response: SnapResponse) -> AccountBindingResponse:
        return cls(
            reference_no=_text(response.get("referenceNo")),
            redirect_url=_text(response.get("redirectUrl")),
            auth_code=_text(response.info("authCode")),
            # The SDKs disagree on the key; DOKU's simulator-checked pages show both.
            account_status=_text(response.info("accountStatus")) or _text(response.info("status")),
            response=response,
        )


@dataclass(frozen=True)
class AccountBalance:
    balance_type: str | None
    amount: Money | None
    flat_amount: Money | None
    hold_amount: Money | None


@dataclass(frozen=True)
class BalanceInquiryResponse:
    accounts: tuple[AccountBalance, ...]
    response: SnapResponse

    @classmethod
    def from_response(cls, response: SnapResponse) -> BalanceInquiryResponse:
        infos = response.get("accountInfos")
        accounts = tuple(
            AccountBalance(
                balance_type=_text(info.get("balanceType")),
                amount=parse_amount(info.get("amount")),
                # DOKU's SDKs say flatAmount, SNAP says floatAmount: read either.
                flat_amount=parse_amount(info.get("flatAmount") or info.get("floatAmount")),
                hold_amount=parse_amount(info.get("holdAmount")),
            )
            for info in (infos if isinstance(infos, list) else [])
            if isinstance(info, Mapping)
        )
        return cls(accounts=accounts, response=response)

    @property
    def available(self) -> Money | None:
        """The first account's amount: Allo Bank answers with one balance."""
        return self.accounts[0].amount if self.accounts else None


@dataclass(frozen=True)
class PaymentResponse:
    reference_no: str | None
    partner_reference_no: str | None
    web_redirect_url: str | None
    approval_code: str | None
    response: SnapResponse

    @classmethod
    def from_response(cls, response: SnapResponse) -> PaymentResponse:
        return cls(
            reference_no=_text(response.get("referenceNo")),
            partner_reference_no=_text(response.get("partnerReferenceNo")),
            web_redirect_url=_text(response.get("webRedirectUrl")),
            approval_code=_text(response.get("approvalCode")),
            response=response,
        )


@dataclass(frozen=True)
class RefundResponse:
    refund_no: str | None
    partner_refund_no: str | None
    refund_amount: Money | None
    refund_time: datetime | None
    original_reference_no: str | None
    response: SnapResponse

    @classmethod
    def from_response(cls, response: SnapResponse) -> RefundResponse:
        return cls(
            refund_no=_text(response.get("refundNo")),
            partner_refund_no=_text(response.get("partnerRefundNo")),
            refund_amount=parse_amount(response.get("refundAmount")),
            refund_time=_parse_datetime(response.get("refundTime")),
            original_reference_no=_text(response.get("originalReferenceNo")),
            response=response,
        )


@dataclass(frozen=True)
class RefundHistoryEntry:
    refund_no: str | None
    partner_refund_no: str | None
    refund_amount: Money | None
    refund_status: str | None
    refund_date: datetime | None


@dataclass(frozen=True)
class CheckStatusResponse:
    latest_transaction_status: TransactionStatus | None
    transaction_status_desc: str | None
    original_reference_no: str | None
    original_partner_reference_no: str | None
    amount: Money | None
    paid_time: datetime | None
    refund_history: tuple[RefundHistoryEntry, ...]
    response: SnapResponse

    @classmethod
    def from_response(cls, response: SnapResponse) -> CheckStatusResponse:
        status_value = response.get("latestTransactionStatus")
        try:
            status = TransactionStatus(status_value)
        except ValueError:
            status = None
        history = response.get("refundHistory")
        entries = tuple(
            RefundHistoryEntry(
                refund_no=_text(item.get("refundNo")),
                # SNAP says partnerRefundNo, DOKU's SDK models partnerReferenceNo.
                partner_refund_no=_text(item.get("partnerRefundNo"))
                or _text(item.get("partnerReferenceNo")),
                refund_amount=parse_amount(item.get("refundAmount")),
                refund_status=_text(item.get("refundStatus")),
                refund_date=_parse_datetime(item.get("refundDate")),
            )
            for item in (history if isinstance(history, list) else [])
            if isinstance(item, Mapping)
        )
        return cls(
            latest_transaction_status=status,
            transaction_status_desc=_text(response.get("transactionStatusDesc")),
            original_reference_no=_text(response.get("originalReferenceNo")),
            original_partner_reference_no=_text(response.get("originalPartnerReferenceNo")),
            amount=parse_amount(response.get("amount") or response.get("transAmount")),
            paid_time=_parse_datetime(response.get("paidTime")),
            refund_history=entries,
            response=response,
        )


@dataclass(frozen=True)
class AccountUnbindingResponse:
    reference_no: str | None
    response: SnapResponse

    @classmethod
    def from_response(cls, response: SnapResponse) -> AccountUnbindingResponse:
        return cls(reference_no=_text(response.get("referenceNo")), response=response)
