"""Reading what DOKU sent: the size cap, a storable copy, and the strict parse.

The copy is what we keep of every delivery before anything is checked, so it
must always fit the columns, whatever arrives: PostgreSQL text and jsonb cannot
hold NUL, and ``remote_addr`` is a 45-character ``GenericIPAddressField``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ..conf import doku_settings
from ..snap.redaction import redact_headers
from ..snap.strict_json import MalformedJson, parse_json_object

__all__ = ["delivery_fields", "parse_object", "read_capped", "storable"]


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


def delivery_fields(request: HttpRequest, raw: bytes | None) -> dict[str, Any]:
    """The :class:`~django_doku_allo.models.Notification` columns for a delivery.

    ``raw`` is ``None`` for a body over the cap: the delivery is still recorded,
    with an empty body. Secrets in the headers are redacted before they are kept.
    """
    return {
        "remote_addr": _remote_addr(request),
        "path": storable(request.path)[:255],
        "headers": {storable(k): storable(v)
                    for k, v in redact_headers(dict(request.headers)).items()},
        "body": "" if raw is None else storable(raw.decode("utf-8", errors="replace")),
        "external_id": storable(request.headers.get("X-EXTERNAL-ID", ""))[:64],
    }


def parse_object(raw: bytes | None) -> dict[str, Any] | None:
    """The body as a strict JSON object, or ``None`` when it is not one (or was too big)."""
    if raw is None:
        return None
    try:
        return parse_json_object(raw)
    except MalformedJson:
        return None
