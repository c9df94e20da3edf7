"""``settings.DOKU_ALLO``, read once, with defaults, and wired into the SNAP client.

``doku_settings`` is a lazy view refreshed on ``setting_changed``, so
``override_settings(DOKU_ALLO=...)`` works in tests. :func:`get_client` builds the
process-wide :class:`~django_doku_allo.snap.client.AlloClient` with the B2B token
cached in Django's cache, so every process and host shares one token.
``DOKU_ALLO['CLIENT_FACTORY']`` replaces that client (a fake in tests) at this one
seam, so nothing needs patching where the client is used.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .snap.client import AlloClient
from .snap.config import PATH_PRESETS, PRODUCTION_BASE_URL, SANDBOX_BASE_URL, SnapConfig
from .snap.errors import ConfigurationError

__all__ = ["DEFAULTS", "build_client", "doku_settings", "get_client", "load_pem", "reset"]

ENVIRONMENTS = ("sandbox", "production", "simulator")

DEFAULTS: dict[str, Any] = {
    # Where DOKU is.
    "ENVIRONMENT": "sandbox",
    "BASE_URL": None,
    "PATH_PRESET": "current",
    "PATHS": {},
    # Who we are.
    "CLIENT_ID": "",
    "CLIENT_SECRET": "",
    "PREVIOUS_CLIENT_SECRETS": [],
    "PRIVATE_KEY": "",
    "PRIVATE_KEY_PASSWORD": None,
    "DOKU_PUBLIC_KEY": "",
    # How we call.
    "CONNECT_TIMEOUT": 5.0,
    "READ_TIMEOUT": 30.0,
    "DEADLINE": 45.0,
    "CONNECT_RETRIES": 2,
    "HTTP_POOL_SIZE": 10,
    "CHANNEL_ID": "H2H",
    "STATUS_SERVICE_CODE": "55",
    "TOKEN_REFRESH_MARGIN": 60,
    # After DOKU refuses our B2B token (401xx01) the request is sent again once with a
    # fresh token and, by default, a new X-EXTERNAL-ID (the answered one is stored).
    "NEW_EXTERNAL_ID_AFTER_TOKEN_REFRESH": True,
    "CACHE_ALIAS": "default",
    # What :func:`get_client` returns: ``None`` builds the real AlloClient from these
    # settings; a callable taking no arguments (or its dotted path) returns the client
    # to use instead, e.g. a fake in tests. Called once; the result is cached until
    # settings change.
    "CLIENT_FACTORY": None,
    # What we keep.
    "TOKEN_ENCRYPTION_KEYS": [],
    # DOKU's notifications to us.
    "NOTIFICATION_VERIFY_TOKEN": True,
    "NOTIFICATION_VERIFY_SIGNATURE": True,
    "NOTIFICATION_ACCEPT_ASYMMETRIC_SIGNATURE": False,
    "NOTIFICATION_TIMESTAMP_TOLERANCE": 300,
    # How old a notification's X-TIMESTAMP (and our token in it) may be: DOKU's retries
    # come up to 12 hours after the first attempt (reference 8.6). The token request
    # keeps the tolerance above, both ways.
    "NOTIFICATION_RETRY_WINDOW": 24 * 3600,
    "NOTIFICATION_MAX_BODY_BYTES": 64 * 1024,
    "NOTIFICATION_TOKEN_LIFETIME": 900,
    "NOTIFICATION_TOKEN_ISSUER": "django-doku-allo",
    # What anyone on the internet can make us store or do (docs/security.md).
    # Refused deliveries per NOTIFICATION_RATE_WINDOW seconds from one REMOTE_ADDR
    # after which the notification URL answers 429 (4295600) before storing or checking
    # anything, until the window ends; verified deliveries do not count. None: no bound.
    "NOTIFICATION_RATE_LIMIT": 60,
    "NOTIFICATION_RATE_WINDOW": 60,
    # Of a delivery's headers, at most this many, and this many bytes (names and
    # values) in all, are stored; the rest is dropped and counted in a marker header.
    "NOTIFICATION_MAX_STORED_HEADERS": 40,
    "NOTIFICATION_MAX_STORED_HEADER_BYTES": 4 * 1024,
    # Of a body that fails verification only this prefix is stored (with its length
    # and SHA-256); a verified delivery keeps its whole body.
    "NOTIFICATION_UNVERIFIED_BODY_BYTES": 2 * 1024,
    # Seconds an unverified delivery is kept; doku_allo_prune_notifications deletes
    # older ones (verified deliveries are never pruned).
    "NOTIFICATION_UNVERIFIED_RETENTION": 7 * 24 * 3600,
    # Requests per TOKEN_RATE_WINDOW seconds from one REMOTE_ADDR to our B2B token
    # endpoint before it answers 429 (4297300); None: no bound. A signed token request
    # (same X-TIMESTAMP and X-SIGNATURE) is accepted once: a replay is a 401.
    "TOKEN_RATE_LIMIT": 60,
    "TOKEN_RATE_WINDOW": 60,
    # The customer's browser.
    "PUBLIC_BASE_URL": None,
    "BINDING_STATE_MAX_AGE": 1800,
    "BINDING_SUCCESS_REDIRECT": "/",
    "BINDING_FAILURE_REDIRECT": "/",
    "PAYMENT_SUCCESS_REDIRECT": "/",
    "PAYMENT_FAILURE_REDIRECT": "/",
    "PAYMENT_RETURN_STATUS_CHECK": True,
    # Seconds a payment return link is valid after it was made; an older one is a 400.
    "PAYMENT_RETURN_MAX_AGE": 24 * 3600,
    # At most one status inquiry per payment per this many seconds from return visits.
    "PAYMENT_RETURN_STATUS_CHECK_INTERVAL": 15,
    # The "back to the shop" link on the page shown for an invalid or expired return link.
    "RETURN_FALLBACK_URL": "/",
    "ALLOWED_REDIRECT_HOSTS": [],
    # Reconciliation.
    "STATUS_CHECK_DELAY": 60,
    # Seconds after which a payment DOKU never confirmed (still pending there, or not
    # found) is presumed failed: it ends ``expired``, its order is free again and
    # ``payment_failed`` is sent. DOKU documents no payment expiry for Allo; 30 minutes
    # outlasts any OTP/PIN session we know of. DOKU's later word still wins.
    "PAYMENT_CONFIRMATION_WINDOW": 1800,
    # Background tasks (django.tasks; see docs/tasks.md). Off: inline signals, cron.
    "STATUS_CHECK_TASKS": False,
    "STATUS_CHECK_BACKOFF": [120, 300, 900, 3600],
    "STATUS_CHECK_MAX_ATTEMPTS": 30,
    "SIGNALS_VIA_TASKS": False,
    "TASK_BACKEND": "default",
    "TASK_QUEUE_NAME": "default",
    # The REST API.
    "API_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "API_REFUND_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "API_THROTTLE_CLASSES": [],
    "API_PAGINATION_CLASS": "django_doku_allo.api.pagination.DokuAlloCursorPagination",
    "IDEMPOTENCY_KEY_TTL": 24 * 3600,
}


def load_pem(value: str | bytes | None) -> str:
    """PEM text as given, or the contents of the file it names; ``""`` when unset."""
    if not value:
        return ""
    if isinstance(value, bytes):
        value = value.decode("ascii")
    if "-----BEGIN" in value:
        return value
    return _read_key_file(value)


@functools.lru_cache(maxsize=16)
def _read_key_file(value: str) -> str:
    # Read once, not on every notification; reset() forgets it when settings change.
    path = Path(value).expanduser()
    try:
        return path.read_text(encoding="ascii")
    except OSError as exc:
        raise ConfigurationError(f"cannot read the key file {str(path)!r}: {exc.strerror}") from exc


class DokuAlloSettings:
    """Attribute access to ``settings.DOKU_ALLO`` merged over :data:`DEFAULTS`."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] | None = None

    @property
    def user_settings(self) -> dict[str, Any]:
        from django.conf import settings

        value = getattr(settings, "DOKU_ALLO", {}) or {}
        if not isinstance(value, dict):
            raise ConfigurationError("settings.DOKU_ALLO must be a dict")
        return value

    def as_dict(self) -> dict[str, Any]:
        if self._cache is None:
            merged = dict(DEFAULTS)
            merged.update(self.user_settings)
            self._cache = merged
        return self._cache

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in DEFAULTS:
            raise AttributeError(f"DOKU_ALLO has no setting {name!r}")
        return self.as_dict()[name]

    @property
    def base_url(self) -> str:
        if self.BASE_URL:
            return str(self.BASE_URL).rstrip("/")
        if self.ENVIRONMENT == "production":
            return PRODUCTION_BASE_URL
        if self.ENVIRONMENT == "sandbox":
            return SANDBOX_BASE_URL
        raise ConfigurationError(
            "DOKU_ALLO['BASE_URL'] is required with ENVIRONMENT 'simulator' "
            "(e.g. 'http://127.0.0.1:8000/doku-simulator')."
        )

    @property
    def client_secrets(self) -> list[str]:
        """The current secret first, then those still accepted on inbound signatures."""
        return [s for s in [self.CLIENT_SECRET, *self.PREVIOUS_CLIENT_SECRETS] if s]

    def reset(self) -> None:
        self._cache = None


doku_settings = DokuAlloSettings()

_client: AlloClient | None = None
_client_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _load_private_key(pem: str, password: bytes | None) -> RSAPrivateKey:
    # Loading an RSA key validates it, which costs milliseconds: once per key.
    from .snap.signing import load_private_key

    return load_private_key(pem, password)


def merchant_private_key() -> RSAPrivateKey:
    """The merchant's RSA key from ``PRIVATE_KEY`` (and ``PRIVATE_KEY_PASSWORD``)."""
    pem = load_pem(doku_settings.PRIVATE_KEY)
    if not pem:
        raise ConfigurationError("DOKU_ALLO['PRIVATE_KEY'] (PEM text or file path) is required.")
    password = doku_settings.PRIVATE_KEY_PASSWORD
    try:
        return _load_private_key(pem, password.encode() if isinstance(password, str)
                                 else password)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            "DOKU_ALLO['PRIVATE_KEY'] is not a loadable RSA private key in PEM "
            "(check PRIVATE_KEY_PASSWORD if it is encrypted).") from exc


def build_snap_config() -> SnapConfig:
    s = doku_settings
    preset = PATH_PRESETS.get(s.PATH_PRESET)
    if preset is None:
        raise ConfigurationError(
            f"DOKU_ALLO['PATH_PRESET'] must be one of {', '.join(PATH_PRESETS)}, "
            f"got {s.PATH_PRESET!r}")
    if not s.CLIENT_ID or not s.CLIENT_SECRET:
        raise ConfigurationError("DOKU_ALLO['CLIENT_ID'] and ['CLIENT_SECRET'] are required.")
    key = merchant_private_key()
    return SnapConfig(
        base_url=s.base_url,
        client_id=s.CLIENT_ID,
        client_secret=s.CLIENT_SECRET,
        private_key=key,
        paths=preset.with_overrides(dict(s.PATHS)),
        connect_timeout=float(s.CONNECT_TIMEOUT),
        read_timeout=float(s.READ_TIMEOUT),
        deadline=float(s.DEADLINE),
        connect_retries=int(s.CONNECT_RETRIES),
        pool_size=int(s.HTTP_POOL_SIZE),
        channel_id=s.CHANNEL_ID,
        status_service_code=str(s.STATUS_SERVICE_CODE),
        token_refresh_margin=float(s.TOKEN_REFRESH_MARGIN),
        new_external_id_after_token_refresh=bool(s.NEW_EXTERNAL_ID_AFTER_TOKEN_REFRESH),
        token_lock_timeout=float(s.DEADLINE) + 15.0,
    )


class DjangoCacheTokenStore:
    """The token store over ``caches[alias]``, looked up per call.

    Django's cache handles are per thread; holding one thread's handle would share
    a client connection across threads, which some backends do not allow.
    """

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def get(self, key: str, default: Any = None) -> Any:
        return caches[self.alias].get(key, default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        caches[self.alias].set(key, value, timeout)

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        return bool(caches[self.alias].add(key, value, timeout))

    def delete(self, key: str) -> Any:
        return caches[self.alias].delete(key)


def build_client() -> AlloClient:
    """A new real client from settings (what ``CLIENT_FACTORY`` ``None`` means)."""
    return AlloClient(build_snap_config(), DjangoCacheTokenStore(doku_settings.CACHE_ALIAS))


def client_factory() -> Callable[[], AlloClient]:
    """``DOKU_ALLO['CLIENT_FACTORY']`` resolved: a dotted path is imported."""
    factory = doku_settings.CLIENT_FACTORY
    if factory is None:
        return build_client
    if isinstance(factory, str):
        try:
            factory = import_string(factory)
        except ImportError as exc:
            raise ConfigurationError(
                f"DOKU_ALLO['CLIENT_FACTORY'] {factory!r} cannot be imported: {exc}") from exc
    if not callable(factory):
        raise ConfigurationError(
            "DOKU_ALLO['CLIENT_FACTORY'] must be a callable or its dotted path, "
            f"got {factory!r}")
    return factory  # type: ignore[no-any-return]


def get_client() -> AlloClient:
    """The process-wide client from ``CLIENT_FACTORY``, built on first use."""
    global _client
    client = _client
    if client is None:
        with _client_lock:
            if _client is None:
                _client = client_factory()()
            client = _client
    return client


def reset() -> None:
    """Forget the cached settings and client (settings changed)."""
    global _client
    doku_settings.reset()
    _read_key_file.cache_clear()
    with _client_lock:
        close = getattr(_client, "close", None)
        if close is not None:
            close()
        _client = None


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("DOKU_ALLO", "CACHES"):
        reset()
