"""``settings.DOKU_ALLO``, read once, with defaults, and wired into the SNAP client.

``doku_settings`` is a lazy view refreshed on ``setting_changed``, so
``override_settings(DOKU_ALLO=...)`` works in tests. :func:`get_client` builds the
process-wide :class:`~django_doku_allo.snap.client.AlloClient` with the B2B token
cached in Django's cache, so every process and host shares one token.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver

from .snap.client import AlloClient
from .snap.config import PATH_PRESETS, PRODUCTION_BASE_URL, SANDBOX_BASE_URL, SnapConfig
from .snap.errors import ConfigurationError

__all__ = ["DEFAULTS", "doku_settings", "get_client", "load_pem", "reset"]

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
    "CACHE_ALIAS": "default",
    # What we keep.
    "TOKEN_ENCRYPTION_KEYS": [],
    # DOKU's notifications to us.
    "NOTIFICATION_VERIFY_TOKEN": True,
    "NOTIFICATION_VERIFY_SIGNATURE": True,
    "NOTIFICATION_ACCEPT_ASYMMETRIC_SIGNATURE": False,
    "NOTIFICATION_TIMESTAMP_TOLERANCE": 300,
    "NOTIFICATION_MAX_BODY_BYTES": 64 * 1024,
    "NOTIFICATION_TOKEN_LIFETIME": 900,
    "NOTIFICATION_TOKEN_ISSUER": "django-doku-allo",
    # The customer's browser.
    "PUBLIC_BASE_URL": None,
    "BINDING_STATE_MAX_AGE": 1800,
    "BINDING_SUCCESS_REDIRECT": "/",
    "BINDING_FAILURE_REDIRECT": "/",
    "PAYMENT_SUCCESS_REDIRECT": "/",
    "PAYMENT_FAILURE_REDIRECT": "/",
    "PAYMENT_RETURN_STATUS_CHECK": True,
    "ALLOWED_REDIRECT_HOSTS": [],
    # Reconciliation.
    "STATUS_CHECK_DELAY": 60,
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


def get_client() -> AlloClient:
    """The process-wide client, built from settings on first use."""
    global _client
    client = _client
    if client is None:
        with _client_lock:
            if _client is None:
                _client = AlloClient(build_snap_config(),
                                     DjangoCacheTokenStore(doku_settings.CACHE_ALIAS))
            client = _client
    return client


def reset() -> None:
    """Forget the cached settings and client (settings changed)."""
    global _client
    doku_settings.reset()
    _read_key_file.cache_clear()
    with _client_lock:
        if _client is not None:
            _client.close()
        _client = None


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("DOKU_ALLO", "CACHES"):
        reset()
