"""Body field checks: absent or null is ``400xx02``, present but malformed is ``400xx01``.

Fields are named by their JSON path (``additionalInfo.remarks``) in the responseMessage,
the way DOKU's "Invalid Field Format {field name}" does.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django_doku_allo.snap.channels import ALLO
from django_doku_allo.snap.signing import minify

from . import codes

__all__ = [
    "fingerprint",
    "money",
    "optional_str",
    "require_amount",
    "require_channel",
    "require_list",
    "require_object",
    "require_str",
    "require_url",
]

_AMOUNT_RE = re.compile(r"^\d{1,16}\.\d{2}$")
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*$")
#: Schemes a browser would execute or read locally instead of navigating to a merchant page.
_UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript", "file"})


def _get(data: dict[str, Any], path: str) -> Any:
    return data.get(path.rsplit(".", 1)[-1])


def require_object(data: dict[str, Any], path: str) -> dict[str, Any]:
    value = _get(data, path)
    if value is None:
        raise codes.missing_field(path)
    if not isinstance(value, dict):
        raise codes.invalid_format(path)
    return value


def require_list(data: dict[str, Any], path: str, *, non_empty: bool = True) -> list[Any]:
    value = _get(data, path)
    if value is None:
        raise codes.missing_field(path)
    if not isinstance(value, list):
        raise codes.invalid_format(path)
    if non_empty and not value:
        raise codes.missing_field(path)
    return value


def require_str(data: dict[str, Any], path: str, *, max_len: int | None = None,
                min_len: int = 1, pattern: re.Pattern[str] | None = None) -> str:
    value = _get(data, path)
    if value is None or value == "":
        raise codes.missing_field(path)
    if not isinstance(value, str):
        raise codes.invalid_format(path)
    if len(value) < min_len or (max_len is not None and len(value) > max_len):
        raise codes.invalid_format(path)
    if pattern is not None and not pattern.match(value):
        raise codes.invalid_format(path)
    return value


def optional_str(data: dict[str, Any], path: str, *, max_len: int | None = None,
                 pattern: re.Pattern[str] | None = None) -> str | None:
    """A string that may be absent or null (DOKU's Python SDK sends nulls for unset fields)."""
    if _get(data, path) is None:
        return None
    return require_str(data, path, max_len=max_len, min_len=0, pattern=pattern)


def require_url(data: dict[str, Any], path: str) -> str:
    """An absolute URL the customer's browser can be sent to (apps may use custom schemes)."""
    value = require_str(data, path, max_len=2048)
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if not _SCHEME_RE.match(scheme) or scheme in _UNSAFE_SCHEMES:
        raise codes.invalid_format(path)
    if scheme in ("http", "https") and not parts.netloc:
        raise codes.invalid_format(path)
    return value


def require_amount(data: dict[str, Any], path: str) -> Decimal:
    """An amount object ``{"value": "10000.00", "currency": "IDR"}``; return the value."""
    amount = require_object(data, path)
    value = require_str(amount, f"{path}.value", pattern=_AMOUNT_RE)
    currency = require_str(amount, f"{path}.currency")
    if currency != "IDR":
        raise codes.invalid_format(f"{path}.currency")
    return Decimal(value)


def require_channel(body: dict[str, Any]) -> dict[str, Any]:
    """``additionalInfo`` with ``channel`` = ``DIRECT_DEBIT_ALLO_SNAP``; return additionalInfo."""
    info = require_object(body, "additionalInfo")
    channel = require_str(info, "additionalInfo.channel")
    if channel != ALLO.channel:
        raise codes.invalid_format("additionalInfo.channel")
    return info


def money(value: Decimal) -> dict[str, str]:
    return {"value": f"{value:.2f}", "currency": "IDR"}


def fingerprint(*parts: Any) -> str:
    """Digest of the canonical JSON of ``parts``: "the same parameters" means the same digest.

    SDK telemetry (``additionalInfo.origin``) is dropped first; it says nothing about the
    request and may differ between a request and its retry from another SDK version.
    """
    cleaned = [_without_origin(part) for part in parts]
    return hashlib.sha256(minify(cleaned).encode("utf-8")).hexdigest()


def _without_origin(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_origin(v) for k, v in value.items() if k != "origin"}
    if isinstance(value, list):
        return [_without_origin(v) for v in value]
    return value
