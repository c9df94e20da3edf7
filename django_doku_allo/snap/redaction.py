"""Keep secrets out of logs, admin pages and stored records."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["REDACTED", "SECRET_HEADERS", "mask_phone", "redact_headers"]

REDACTED = "[redacted]"

#: Headers whose values authenticate a caller; stored or logged, they would let anyone replay.
SECRET_HEADERS = frozenset({
    "authorization", "authorization-customer", "x-signature", "cookie", "x-client-secret",
})


def mask_phone(phone: str | None) -> str:
    """``6281234567890`` -> ``6281*****7890``: enough to recognise, not to dial."""
    if not phone:
        return ""
    if len(phone) <= 6:
        return "*" * len(phone)
    return f"{phone[:4]}{'*' * (len(phone) - 8)}{phone[-4:]}" if len(phone) > 8 else (
        f"{phone[:2]}{'*' * (len(phone) - 4)}{phone[-2:]}")


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with credential values replaced by ``[redacted]``."""
    return {
        name: (REDACTED if name.lower() in SECRET_HEADERS else value)
        for name, value in headers.items()
    }
