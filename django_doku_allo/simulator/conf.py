"""Settings of the DOKU simulator: ``settings.DOKU_ALLO_SIMULATOR``, a dict; every key optional.

The dict is read on first use and re-read whenever ``DOKU_ALLO_SIMULATOR``, ``DOKU_ALLO``
or ``DEBUG`` changes (``override_settings`` and pytest-django's ``settings`` fixture
work). An unknown key raises ``ImproperlyConfigured``: a typo would otherwise silently
fall back to a default.

``CLIENT_ID`` (default: ``DOKU_ALLO["CLIENT_ID"]``)
    The one merchant the simulator knows (``X-CLIENT-KEY``, ``X-PARTNER-ID``).
``CLIENT_SECRET`` (default: ``DOKU_ALLO["CLIENT_SECRET"]``)
    HMAC key of the symmetric signatures, in both directions.
``MERCHANT_PUBLIC_KEY`` (default: the public half of ``DOKU_ALLO["PRIVATE_KEY"]``)
    Verifies the merchant's token requests. PEM text or a file path.
``PRIVATE_KEY`` (default: none)
    DOKU's private key, PEM text or a file path. Signs the simulator's token request to
    the merchant and the JWTs it issues. Without it, tokens are opaque random strings and
    notifications cannot be sent.
``NOTIFICATION_URL`` (default: ``<scheme>://<host>/doku-allo/v1.0/debit/notify``)
    Absolute URL of the merchant's notification endpoint. The default takes scheme and
    host from the payment request, i.e. the merchant and the simulator share a host.
``MERCHANT_TOKEN_URL`` (default: ``<scheme>://<host>/doku-allo/authorization/v1/access-token/b2b``)
    Where the simulator asks the merchant for a token before each notification attempt.
``STRICT`` (default: ``False``)
    Also enforce what DOKU documents but may not check: X-IP-ADDRESS an IPv4 of 10 to 15
    characters, signatures over the canonical (re-serialised) body only, partnerRefundNo
    of 32 to 64 characters, ``payOptionDetails[].transAmount`` and the line items
    (price x quantity) adding up to ``amount`` (else ``4045413``).
``TIMESTAMP_TOLERANCE`` (default: ``300``)
    Seconds an X-TIMESTAMP may differ from the simulator's clock, either way.
``B2B_TOKEN_LIFETIME`` (default: ``900``)
    Seconds a B2B token lives; also the ``expiresIn`` answered.
``B2B2C_TOKEN_LIFETIME`` (default: ``86400``)
    Seconds a customer access token lives.
``REFRESH_TOKEN_LIFETIME`` (default: ``2592000``, 30 days)
    Seconds a customer refresh token lives.
``NOTIFICATION_RETRY_DELAYS`` (default: ``[0, 1.8, 21.6, 43.2]``)
    Offsets in seconds, from the first attempt, of every delivery attempt. DOKU tries at
    once, then +30 min, +6 h and +12 h; the default divides that by 1000.
``DELIVERY_MODE`` (default: ``"thread"``)
    ``"thread"``: a daemon thread delivers due notifications and retries on schedule.
    ``"manual"``: nothing is sent until code calls
    ``notifications.deliver_due_notifications()`` (deterministic tests).
``ENABLE_CONTROL_API`` (default: ``settings.DEBUG``)
    Serve the JSON control endpoints under ``<prefix>/_control/`` (see :mod:`.control`).
``HTTP_TIMEOUT`` (default: ``10``)
    Read timeout in seconds of every outbound call; the connect timeout is at most 5 s.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from django_doku_allo.snap.signing import load_private_key, load_public_key

__all__ = ["DELIVERY_MODES", "SimulatorSettings", "get_settings"]

DELIVERY_MODES = ("thread", "manual")

_KNOWN_KEYS = frozenset({
    "CLIENT_ID", "CLIENT_SECRET", "MERCHANT_PUBLIC_KEY", "PRIVATE_KEY", "NOTIFICATION_URL",
    "MERCHANT_TOKEN_URL", "STRICT", "TIMESTAMP_TOLERANCE", "B2B_TOKEN_LIFETIME",
    "B2B2C_TOKEN_LIFETIME", "REFRESH_TOKEN_LIFETIME", "NOTIFICATION_RETRY_DELAYS",
    "DELIVERY_MODE", "ENABLE_CONTROL_API", "HTTP_TIMEOUT",
})

DEFAULT_NOTIFY_PATH = "/doku-allo/v1.0/debit/notify"
DEFAULT_MERCHANT_TOKEN_PATH = "/doku-allo/authorization/v1/access-token/b2b"


@dataclass(frozen=True)
class SimulatorSettings:
    client_id: str
    client_secret: str
    merchant_public_key: rsa.RSAPublicKey | None
    private_key: rsa.RSAPrivateKey | None
    notification_url: str | None
    merchant_token_url: str | None
    strict: bool
    timestamp_tolerance: float
    b2b_token_lifetime: int
    b2b2c_token_lifetime: int
    refresh_token_lifetime: int
    notification_retry_delays: tuple[float, ...]
    delivery_mode: str
    enable_control_api: bool
    http_timeout: float

    def notification_url_for(self, merchant_base_url: str) -> str:
        return self.notification_url or merchant_base_url.rstrip("/") + DEFAULT_NOTIFY_PATH

    def merchant_token_url_for(self, merchant_base_url: str) -> str:
        default = merchant_base_url.rstrip("/") + DEFAULT_MERCHANT_TOKEN_PATH
        return self.merchant_token_url or default


def _pem_text(value: Any, key: str) -> str | bytes | None:
    """PEM text as given, or the content of the file a non-PEM string names."""
    if value in (None, ""):
        return None
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ImproperlyConfigured(f"DOKU_ALLO_SIMULATOR[{key!r}] must be PEM text or a path")
    if "-----BEGIN" in value:
        return value
    try:
        return Path(value).read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"DOKU_ALLO_SIMULATOR[{key!r}] is neither PEM text nor a readable file: {exc}"
        ) from exc


def _private_key(value: Any, key: str) -> rsa.RSAPrivateKey | None:
    pem = _pem_text(value, key)
    if pem is None:
        return None
    try:
        return load_private_key(pem)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{key} is not an RSA private key: {exc}") from exc


def _public_key(value: Any, key: str) -> rsa.RSAPublicKey | None:
    pem = _pem_text(value, key)
    if pem is None:
        return None
    try:
        return load_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{key} is not an RSA public key: {exc}") from exc


def _number(raw: dict[str, Any], key: str, default: float, *, minimum: float = 0) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ImproperlyConfigured(f"DOKU_ALLO_SIMULATOR[{key!r}] must be a number >= {minimum}")
    return float(value)


def _retry_delays(raw: dict[str, Any]) -> tuple[float, ...]:
    value = raw.get("NOTIFICATION_RETRY_DELAYS", (0, 1.8, 21.6, 43.2))
    try:
        delays = tuple(float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(
            "DOKU_ALLO_SIMULATOR['NOTIFICATION_RETRY_DELAYS'] must be a list of seconds"
        ) from exc
    if not delays or any(d < 0 for d in delays) or list(delays) != sorted(delays):
        raise ImproperlyConfigured(
            "DOKU_ALLO_SIMULATOR['NOTIFICATION_RETRY_DELAYS'] must be a non-empty, ascending "
            "list of offsets in seconds from the first attempt"
        )
    return delays


@functools.lru_cache(maxsize=1)
def get_settings() -> SimulatorSettings:
    """The validated simulator settings (cached until a relevant setting changes)."""
    raw: dict[str, Any] = dict(getattr(settings, "DOKU_ALLO_SIMULATOR", None) or {})
    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise ImproperlyConfigured(f"unknown DOKU_ALLO_SIMULATOR keys: {', '.join(unknown)}")
    merchant: dict[str, Any] = dict(getattr(settings, "DOKU_ALLO", None) or {})

    client_id = raw.get("CLIENT_ID") or merchant.get("CLIENT_ID")
    client_secret = raw.get("CLIENT_SECRET") or merchant.get("CLIENT_SECRET")
    if not client_id or not client_secret:
        raise ImproperlyConfigured(
            "the DOKU simulator needs a client: set DOKU_ALLO_SIMULATOR['CLIENT_ID'] and "
            "['CLIENT_SECRET'] (or DOKU_ALLO's)"
        )
    if "MERCHANT_PUBLIC_KEY" in raw:
        merchant_key = _public_key(raw["MERCHANT_PUBLIC_KEY"], "MERCHANT_PUBLIC_KEY")
    else:
        private = _private_key(merchant.get("PRIVATE_KEY"), "DOKU_ALLO['PRIVATE_KEY']")
        merchant_key = private.public_key() if private else None

    mode = raw.get("DELIVERY_MODE", "thread")
    if mode not in DELIVERY_MODES:
        raise ImproperlyConfigured(
            f"DOKU_ALLO_SIMULATOR['DELIVERY_MODE'] must be one of {', '.join(DELIVERY_MODES)}"
        )
    return SimulatorSettings(
        client_id=str(client_id),
        client_secret=str(client_secret),
        merchant_public_key=merchant_key,
        private_key=_private_key(raw.get("PRIVATE_KEY"), "PRIVATE_KEY"),
        notification_url=raw.get("NOTIFICATION_URL") or None,
        merchant_token_url=raw.get("MERCHANT_TOKEN_URL") or None,
        strict=bool(raw.get("STRICT", False)),
        timestamp_tolerance=_number(raw, "TIMESTAMP_TOLERANCE", 300),
        b2b_token_lifetime=int(_number(raw, "B2B_TOKEN_LIFETIME", 900, minimum=1)),
        b2b2c_token_lifetime=int(_number(raw, "B2B2C_TOKEN_LIFETIME", 86400, minimum=1)),
        refresh_token_lifetime=int(_number(raw, "REFRESH_TOKEN_LIFETIME", 30 * 86400, minimum=1)),
        notification_retry_delays=_retry_delays(raw),
        delivery_mode=mode,
        enable_control_api=bool(raw.get("ENABLE_CONTROL_API", settings.DEBUG)),
        http_timeout=_number(raw, "HTTP_TIMEOUT", 10, minimum=0.001),
    )


@receiver(setting_changed)
def _reset_cache(*, setting: str, **kwargs: Any) -> None:
    if setting in ("DOKU_ALLO_SIMULATOR", "DOKU_ALLO", "DEBUG"):
        get_settings.cache_clear()
