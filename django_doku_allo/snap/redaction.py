"""Keep secrets out of logs, admin pages and stored records."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "SECRET_FIELDS", "SECRET_HEADERS", "mask_phone", "redact_body",
           "redact_headers"]

REDACTED = "[redacted]"

#: Headers whose values authenticate a caller; stored or logged, they would let anyone replay.
SECRET_HEADERS = frozenset({
    "authorization", "authorization-customer", "x-signature", "cookie", "x-client-secret",
})


#: Body fields (compared lower-case, without ``_`` or ``-``) whose values let anyone act as
#: the customer or the merchant: DOKU's authCode, the token pair, secrets, OTP and PIN.
SECRET_FIELDS = frozenset({
    "authcode", "accesstoken", "refreshtoken", "token", "customertoken", "idtoken",
    "clientsecret", "secret", "password", "otp", "pin", "signature", "xsignature",
    "authorization", "authorizationcustomer",
})

_SEPARATORS = re.compile(r"[_\-\s]")


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


def redact_body(value: Any) -> Any:
    """A copy of a JSON value with every secret field's value replaced by ``[redacted]``.

    For what we keep of DOKU's answers and our requests (``raw``, ``request_body``):
    nested objects and lists are searched too, so ``additionalInfo.authCode`` goes.
    An empty value stays empty, so "no token was sent" is still visible.
    """
    if isinstance(value, Mapping):
        return {key: (REDACTED if _is_secret(key) and item not in (None, "")
                      else redact_body(item))
                for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_body(item) for item in value]
    return value


def _is_secret(key: Any) -> bool:
    return isinstance(key, str) and _SEPARATORS.sub("", key).lower() in SECRET_FIELDS
