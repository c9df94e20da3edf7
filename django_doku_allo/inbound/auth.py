"""Authenticating DOKU when it calls us: its token request, our token, its notification.

DOKU first asks the merchant for a B2B token, signing ``clientId|X-TIMESTAMP``
with DOKU's private key; we answer with a short-lived RS256 JWT signed with the
merchant's key. DOKU then sends the notification with that token as Bearer and a
symmetric X-SIGNATURE over the notification path, the token, the body and the
timestamp (spec section 6; reference 8.2 and 8.4). Each check can be switched off
in settings, for the parts of this flow DOKU documents least.

Each ``verify_*`` returns ``None`` for a genuine call, or the
:class:`~django_doku_allo.snap.messages.SnapAnswer` to refuse it with: the view
sends it as is, so the response code is decided here, next to the check.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import jwt
from django.core.signals import setting_changed
from django.dispatch import receiver

from ..conf import doku_settings, load_pem, merchant_private_key
from ..snap import codes
from ..snap.messages import SnapAnswer
from ..snap.signing import (
    load_public_key,
    parse_snap_timestamp,
    verify_asymmetric_request_signature,
    verify_asymmetric_signature,
    verify_symmetric_signature,
)
from . import limits

__all__ = [
    "issue_token",
    "verify_notification",
    "verify_token",
    "verify_token_request",
]


def _timestamp_rejection(value: str | None, service: str, *,
                         max_age: float | None = None) -> SnapAnswer | None:
    """Refuse a missing or malformed X-TIMESTAMP, or one outside the accepted window.

    The window is ``NOTIFICATION_TIMESTAMP_TOLERANCE`` seconds either way, or, with
    ``max_age``, up to that many seconds in the past (and the tolerance ahead).
    """
    if not value:
        return SnapAnswer(400, f"400{service}02", "Invalid Mandatory Field X-TIMESTAMP")
    try:
        sent = parse_snap_timestamp(value)
    except ValueError:
        return SnapAnswer(400, f"400{service}01", "Invalid Field Format X-TIMESTAMP")
    tolerance = float(doku_settings.NOTIFICATION_TIMESTAMP_TOLERANCE)
    age = (datetime.now(timezone.utc) - sent).total_seconds()
    if -age > tolerance or age > (tolerance if max_age is None else max(max_age, tolerance)):
        return SnapAnswer(401, f"401{service}00",
                         "Unauthorized. X-TIMESTAMP outside the accepted window")
    return None


@functools.lru_cache(maxsize=8)
def _public_key(pem: str) -> Any:
    # Parsed once per key, not once per notification.
    return load_public_key(pem)


def _doku_public_key() -> Any | None:
    pem = load_pem(doku_settings.DOKU_PUBLIC_KEY)
    return _public_key(pem) if pem else None


def verify_token_request(headers: Mapping[str, str]) -> SnapAnswer | None:
    """Check DOKU's request for a B2B token from us; ``None`` when it is genuine.

    Genuine means: our client id, a timestamp within the window and DOKU's
    signature. A replay of the same signed request is genuine too (DOKU signs
    ``clientId|X-TIMESTAMP`` deterministically, so two of its requests within one
    second are byte-identical): :func:`token_for_request` answers it with the token
    the first one got, so a captured request mints one token, however often it is sent.
    """
    client_key = headers.get("X-CLIENT-KEY", "")
    timestamp = headers.get("X-TIMESTAMP", "")
    signature = headers.get("X-SIGNATURE", "")
    if not secrets.compare_digest(client_key.encode(), str(doku_settings.CLIENT_ID).encode()):
        return SnapAnswer(401, codes.B2B_TOKEN_UNAUTHORIZED, "Unauthorized. Unknown client")
    rejection = _timestamp_rejection(timestamp, "73")
    if rejection is not None:
        return rejection
    public_key = _doku_public_key()
    if public_key is None or not verify_asymmetric_signature(public_key, client_key, timestamp,
                                                             signature):
        return SnapAnswer(401, codes.B2B_TOKEN_UNAUTHORIZED, "Unauthorized. Invalid Signature")
    return None


def token_for_request(headers: Mapping[str, str]) -> tuple[str, int]:
    """The token for a verified token request: one per signed request, replays included.

    A captured request stays valid for its whole timestamp window (either side of
    now), so its token is remembered that long and given again to every replay.
    """
    window = 2 * float(doku_settings.NOTIFICATION_TIMESTAMP_TOLERANCE) + 1
    request = f"{headers.get('X-TIMESTAMP', '')}|{headers.get('X-SIGNATURE', '')}"
    return limits.remembered("token-request", request, window, issue_token)


def issue_token() -> tuple[str, int]:
    """A new token for DOKU's notifications: (JWT, lifetime in seconds)."""
    lifetime = int(doku_settings.NOTIFICATION_TOKEN_LIFETIME)
    now = int(time.time())
    claims = {
        "iss": doku_settings.NOTIFICATION_TOKEN_ISSUER,
        "clientId": doku_settings.CLIENT_ID,
        "iat": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(12),
    }
    return jwt.encode(claims, merchant_private_key(), algorithm="RS256"), lifetime


#: Tokens already verified, with their expiry: DOKU presents one token on many
#: notifications, and decoding it again (RS256 and base64 in Python) was the larger
#: part of verification. Forgotten whenever settings change, so a new key, issuer
#: or client id never accepts a token verified under the old ones.
_verified_tokens: dict[tuple[str, str, str], float] = {}
_VERIFIED_TOKENS_MAX = 256


@receiver(setting_changed)
def _forget_verified_tokens(*, setting: str, **kwargs: Any) -> None:
    if setting == "DOKU_ALLO":
        _verified_tokens.clear()


def verify_token(token: str, *, leeway: float = 0) -> bool:
    """True when ``token`` is a JWT we issued for our client id, expired at most ``leeway`` s ago.
    """
    key = merchant_private_key()
    issuer, client_id = doku_settings.NOTIFICATION_TOKEN_ISSUER, doku_settings.CLIENT_ID
    remembered = (token, issuer, client_id)
    expires = _verified_tokens.get(remembered)
    if expires is not None:
        return time.time() <= expires + leeway
    try:
        claims = jwt.decode(token, key.public_key(), algorithms=["RS256"], issuer=issuer,
                            options={"require": ["exp", "iss"]}, leeway=leeway)
    except (jwt.PyJWTError, ValueError, TypeError):
        return False
    if claims.get("clientId") != client_id:
        return False
    if len(_verified_tokens) >= _VERIFIED_TOKENS_MAX:
        _verified_tokens.clear()  # a handful are live at once; forgetting only costs a decode
    _verified_tokens[remembered] = float(claims["exp"])
    return True


def _bearer(value: str | None) -> str:
    if not value:
        return ""
    return value[7:].strip() if value[:7].lower() == "bearer " else value.strip()


def verify_notification(headers: Mapping[str, str], path: str, body: bytes) -> SnapAnswer | None:
    """Check a notification's partner id, timestamp, bearer token and signature."""
    s = doku_settings
    partner_id = headers.get("X-PARTNER-ID", "")
    if partner_id and partner_id != s.CLIENT_ID:
        return SnapAnswer(401, codes.NOTIFICATION_UNAUTHORIZED,
                          "Unauthorized. Unknown X-PARTNER-ID")
    timestamp = headers.get("X-TIMESTAMP", "")
    # DOKU retries an unanswered notification up to 12 hours later, possibly with its
    # first X-TIMESTAMP and token. The signature (our client secret) proves it is
    # DOKU's, and processing is idempotent, so a replay changes nothing: the age of the
    # timestamp and of our token is bounded by DOKU's retry window, not by minutes.
    retry_window = float(s.NOTIFICATION_RETRY_WINDOW)
    rejection = _timestamp_rejection(timestamp, "56", max_age=retry_window)
    if rejection is not None:
        return rejection
    token = _bearer(headers.get("Authorization"))
    if s.NOTIFICATION_VERIFY_TOKEN and not verify_token(token, leeway=retry_window):
        return SnapAnswer(401, codes.NOTIFICATION_INVALID_TOKEN, "Invalid Token (B2B)")
    if s.NOTIFICATION_VERIFY_SIGNATURE:
        signature = headers.get("X-SIGNATURE", "")
        valid = any(
            verify_symmetric_signature(secret, "POST", path, token, body, timestamp, signature)
            for secret in s.client_secrets
        )
        if not valid and s.NOTIFICATION_ACCEPT_ASYMMETRIC_SIGNATURE:
            public_key = _doku_public_key()
            valid = public_key is not None and verify_asymmetric_request_signature(
                public_key, "POST", path, body, timestamp, signature)
        if not valid:
            return SnapAnswer(401, codes.NOTIFICATION_UNAUTHORIZED,
                              "Unauthorized. Invalid Signature")
    return None
