"""Reading what DOKU sent: the size caps, a bounded storable copy, and the strict parse.

The copy is what we keep of every delivery before anything is checked, so it
must always fit the columns, whatever arrives: PostgreSQL text and jsonb cannot
hold NUL, and ``remote_addr`` is a 45-character ``GenericIPAddressField``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from ..conf import doku_settings
from ..snap.redaction import redact_headers
from ..snap.strict_json import MalformedJson, parse_json_object

__all__ = ["TRUNCATED_HEADER", "bounded_headers", "delivery_fields", "parse_object",
           "read_capped", "storable", "verified_body_fields"]


def read_capped(request: HttpRequest) -> bytes | None:
    """The body, or ``None`` when it exceeds the cap (then it is not read at all)."""
    cap = int(doku_settings.NOTIFICATION_MAX_BODY_BYTES)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > cap:
        return None
    # One byte over the cap is enough to know a body without Content-Length is too big.
    body = request.read(cap + 1)
    return None if len(body) > cap else body


def storable(text: str) -> str:
    """``text`` without NUL, which PostgreSQL text and jsonb columns cannot hold.

    A body with NUL is not UTF-8 JSON anyway (UTF-16, say): it is stored for the
    record and then refused as malformed.
    """
    return text.replace("\x00", "\ufffd")


def _remote_addr(request: HttpRequest) -> str | None:
    value = request.META.get("REMOTE_ADDR") or None
    return value if value and len(value) <= 45 else None


#: Stored in place of the headers that did not fit the caps, saying how many were dropped.
TRUNCATED_HEADER = "X-Doku-Allo-Truncated"


def bounded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` redacted, NUL-free and within ``NOTIFICATION_MAX_STORED_HEADERS`` /
    ``NOTIFICATION_MAX_STORED_HEADER_BYTES``; what did not fit is counted, not kept."""
    max_count = int(doku_settings.NOTIFICATION_MAX_STORED_HEADERS)
    budget = int(doku_settings.NOTIFICATION_MAX_STORED_HEADER_BYTES)
    kept: dict[str, str] = {}
    dropped = 0
    for name, value in redact_headers(headers).items():
        name, value = storable(name)[:256], storable(value)
        size = len(name.encode()) + len(value.encode())
        if len(kept) >= max_count or size > budget:
            dropped += 1
            continue
        kept[name] = value
        budget -= size
    if dropped:
        kept[TRUNCATED_HEADER] = f"{dropped} header(s) over the storage cap not kept"
    return kept


def delivery_fields(request: HttpRequest, raw: bytes | None) -> dict[str, Any]:
    """The :class:`~django_doku_allo.models.Notification` columns for an unverified delivery.

    Everything is bounded, because anyone can post here: the headers by
    :func:`bounded_headers`, the body to its first ``NOTIFICATION_UNVERIFIED_BODY_BYTES``
    (its length and SHA-256 say what arrived); :func:`verified_body_fields` stores the
    whole body once the delivery proves to be DOKU's. ``raw`` is ``None`` for a body
    over the cap: the delivery is still recorded, with an empty body.
    """
    raw = raw or b""
    prefix = raw[:int(doku_settings.NOTIFICATION_UNVERIFIED_BODY_BYTES)]
    return {
        "remote_addr": _remote_addr(request),
        "path": storable(request.path)[:255],
        "headers": bounded_headers(request.headers),
        "body": _text(prefix),
        "body_length": len(raw),
        "body_sha256": hashlib.sha256(raw).hexdigest(),
        "external_id": storable(request.headers.get("X-EXTERNAL-ID", ""))[:64],
    }


def verified_body_fields(raw: bytes) -> dict[str, Any]:
    """The whole body of a verified delivery (it may have been stored as a prefix)."""
    return {"body": _text(raw)}


def _text(raw: bytes) -> str:
    return storable(raw.decode("utf-8", errors="replace"))


def parse_object(raw: bytes | None) -> dict[str, Any] | None:
    """The body as a strict JSON object, or ``None`` when it is not one (or was too big)."""
    if raw is None:
        return None
    try:
        return parse_json_object(raw)
    except MalformedJson:
        return None
