"""What every SNAP message shares: money, the customer context, the reply envelope,
the validation helpers of requests, and the one mechanism that reads responses.

Responses declare each field with ``field(metadata=wire(...))`` (which JSON key, how
to parse it) and inherit :meth:`FromResponse.from_response`, so reading DOKU's JSON
is written once.
Readers are lenient by design: a missing or malformed field reads as ``None`` and
unknown fields are ignored, because DOKU adds fields without notice.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from ..codes import Outcome, ResponseCode, classify
from ..errors import InvalidRequestError
from ..signing import JAKARTA

__all__ = [
    "CURRENCY",
    "CustomerContext",
    "FromMapping",
    "FromResponse",
    "Money",
    "SnapAnswer",
    "SnapResponse",
    "as_datetime",
    "as_enum",
    "as_text",
    "each",
    "first",
    "format_amount",
    "original_identifiers",
    "parse_amount",
    "read",
    "require",
    "require_http_urls",
    "wire",
]

CURRENCY = "IDR"
# Matched with fullmatch and ASCII classes: ``$`` lets a trailing newline through (a
# header-injection vector for X-DEVICE-ID) and ``\d`` accepts any Unicode digit.
_AMOUNT_RE = re.compile(r"[0-9]{1,16}\.[0-9]{2}")
_DEVICE_ID_RE = re.compile(r"[A-Za-z0-9]{1,64}")
#: More digits than this cannot be quantised to cents in the default decimal context.
_MAX_AMOUNT = Decimal("1e16")
_CENT = Decimal("0.01")

_E = TypeVar("_E", bound=Enum)
_M = TypeVar("_M", bound="FromMapping")
_R = TypeVar("_R", bound="FromResponse")
#: Turns one raw JSON value into a field value (``None`` when absent or malformed).
Parser = Callable[[Any], Any]
#: Reads one field value out of a JSON object.
Reader = Callable[[Mapping[str, Any]], Any]


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


# --------------------------------------------------------------------------- parsers
def as_text(value: object) -> str | None:
    """A non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None


def as_datetime(value: object) -> datetime | None:
    """An ISO 8601 time as aware UTC; ``None`` when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # DOKU sometimes omits the offset (e.g. refundTime); its clocks run on Jakarta time.
        parsed = parsed.replace(tzinfo=JAKARTA)
    return parsed.astimezone(timezone.utc)


def as_enum(enum: type[_E]) -> Callable[[object], _E | None]:
    """A parser to a member of ``enum``; an unknown value reads as ``None``."""
    def parse(value: object) -> _E | None:
        try:
            return enum(value)
        except ValueError:
            return None
    return parse


def each(entry: type[_M]) -> Callable[[object], tuple[_M, ...]]:
    """A parser of a JSON list of objects into ``entry`` objects; non-objects are skipped."""
    def parse(value: object) -> tuple[_M, ...]:
        items = value if isinstance(value, list) else []
        return tuple(entry.from_mapping(item) for item in items if isinstance(item, Mapping))
    return parse


# --------------------------------------------------------------------------- readers
def read(*keys: str, parse: Parser = as_text, info: bool = False) -> Reader:
    """Read the first of ``keys`` that holds a truthy value, then ``parse`` it.

    Several keys are aliases of one raw value (DOKU's SDKs and SNAP disagree on some
    names); ``info=True`` reads inside ``additionalInfo``.
    """
    def reader(data: Mapping[str, Any]) -> Any:
        if info:
            nested = data.get("additionalInfo")
            data = nested if isinstance(nested, Mapping) else {}
        raw = None
        for key in keys:
            raw = data.get(key)
            if raw:
                break
        return parse(raw)
    return reader


def first(*readers: Reader) -> Reader:
    """The first reader's value that is not ``None``: alternatives parsed one by one."""
    def reader(data: Mapping[str, Any]) -> Any:
        for each_reader in readers:
            value = each_reader(data)
            if value is not None:
                return value
        return None
    return reader


def wire(*keys: str, parse: Parser = as_text, info: bool = False,
         reader: Reader | None = None) -> dict[str, Reader]:
    """Field metadata saying how to read the field from DOKU's JSON.

    ``field(metadata=wire("refundNo"))`` reads ``read("refundNo")``; pass ``reader``
    for anything :func:`read` alone cannot say (e.g. :func:`first` of two keys).
    """
    return {"wire": reader if reader is not None else read(*keys, parse=parse, info=info)}


class FromMapping:
    """Builds a dataclass from a JSON object, field by field, with the :func:`wire` readers."""

    @classmethod
    def read_fields(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {f.name: f.metadata["wire"](data)
                for f in fields(cls)  # type: ignore[arg-type]
                if "wire" in f.metadata}

    @classmethod
    def from_mapping(cls: type[_M], data: Mapping[str, Any]) -> _M:
        return cls(**cls.read_fields(data))


class FromResponse(FromMapping):
    """A typed reply: the :func:`wire` fields plus ``response``, the whole :class:`SnapResponse`.

    Subclasses are dataclasses that declare ``response: SnapResponse`` as a field.
    """

    @classmethod
    def from_response(cls: type[_R], response: SnapResponse) -> _R:
        return cls(**cls.read_fields(response.raw), response=response)


# --------------------------------------------------------------------------- requests
def require(condition: bool, message: str, field_name: str) -> None:
    if not condition:
        raise InvalidRequestError(message, field=field_name)


def require_http_urls(message: object, *names: str) -> None:
    """Each named attribute of ``message`` is an absolute http(s) URL."""
    for name in names:
        require(str(getattr(message, name) or "").startswith(("https://", "http://")),
                f"{name} must be an absolute http(s) URL", name)


def original_identifiers(partner_reference_no: str, reference_no: str | None,
                         external_id: str | None) -> dict[str, Any]:
    """The body's opening: which payment a refund or status inquiry is about."""
    body: dict[str, Any] = {"originalPartnerReferenceNo": partner_reference_no}
    if reference_no:
        body["originalReferenceNo"] = reference_no
    if external_id:
        body["originalExternalId"] = external_id
    return body


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
            require(isinstance(self.device_id, str)
                    and bool(_DEVICE_ID_RE.fullmatch(self.device_id)),
                    "X-DEVICE-ID must be 1 to 64 letters or digits, no symbols", "device_id")

    def headers(self) -> dict[str, str]:
        headers = {"X-IP-ADDRESS": self.ip_address}
        if self.device_id:
            headers["X-DEVICE-ID"] = self.device_id
        return headers


# --------------------------------------------------------------------------- envelopes
@dataclass(frozen=True)
class SnapResponse:
    """A reply from DOKU: its code, message, HTTP status and raw JSON."""

    http_status: int
    response_code: str | None
    response_message: str | None
    raw: Mapping[str, Any] = field(repr=False)
    #: The X-EXTERNAL-ID of the request DOKU answered (a resend may use a new one).
    external_id: str | None = None

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
        return cls(http_status=http_status, response_code=as_text(data.get("responseCode")),
                   response_message=as_text(data.get("responseMessage")), raw=data)

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
