"""Explicit configuration of the SNAP client: hosts, paths, credentials, timeouts, channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from .channels import ALLO, ChannelProfile
from .errors import ConfigurationError
from .paths import Paths
from .signing import load_private_key

__all__ = [
    "ALLO_CHANNEL",
    "PATH_PRESETS",
    "PRODUCTION_BASE_URL",
    "SANDBOX_BASE_URL",
    "Paths",
    "SnapConfig",
]

SANDBOX_BASE_URL = "https://api-sandbox.doku.com"
PRODUCTION_BASE_URL = "https://api.doku.com"

#: ``additionalInfo.channel`` of every Allo Bank direct debit call. Kept for the callers
#: that import it from here; the channel id's home is :data:`.channels.ALLO`.
ALLO_CHANNEL = ALLO.channel


#: DOKU_ALLO['PATH_PRESET'] name -> paths, from the Allo profile: ``current`` (DOKU's
#: current guide and SDKs) and ``archive`` (DOKU's archived Allobank page).
PATH_PRESETS: Mapping[str, Paths] = ALLO.path_presets


@dataclass(frozen=True)
class SnapConfig:
    """Everything the client needs to talk to DOKU; no Django involved."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    private_key: rsa.RSAPrivateKey = field(repr=False)
    paths: Paths = field(default_factory=Paths)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    #: Overall budget of one HTTP exchange, however slowly the bytes trickle in.
    deadline: float = 45.0
    #: How often a call is re-sent after a connect failure (the only provably safe retry).
    connect_retries: int = 2
    connect_retry_backoff: float = 0.2
    channel_id: str = "H2H"
    #: The direct debit channel: its id, field rules, device rules and hints.
    profile: ChannelProfile = ALLO
    #: ``serviceCode`` of a status inquiry: DOKU's SDKs send "55", SNAP says "54".
    status_service_code: str = "55"
    #: Refresh the B2B token this many seconds before DOKU says it expires.
    token_refresh_margin: float = 60.0
    #: Resend with a new X-EXTERNAL-ID after DOKU refused our B2B token (401xx01), as
    #: SNAP's table advises: DOKU may have recorded the refused id, and a replay of it
    #: would then be a 409. The caller stores the id that was finally answered.
    new_external_id_after_token_refresh: bool = True
    #: The single-flight lock outlives the slowest token refresh (deadline + slack).
    token_lock_timeout: float = 60.0
    max_response_bytes: int = 1_000_000
    user_agent: str = "django-doku-allo"
    #: Keep-alive connections kept per host: at least the threads calling at once.
    pool_size: int = 10

    @classmethod
    def build(cls, *, private_key: Any, **kwargs: Any) -> SnapConfig:
        """Like the constructor, but ``private_key`` may be PEM text or bytes."""
        try:
            key = load_private_key(private_key)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                "The merchant private key could not be loaded: give an unencrypted RSA key "
                "in PEM (PKCS#8 or PKCS#1)."
            ) from exc
        return cls(private_key=key, **kwargs)

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("https://", "http://")):
            raise ConfigurationError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if min(self.connect_timeout, self.read_timeout, self.deadline) <= 0:
            raise ConfigurationError("timeouts and the deadline must be positive")
        if self.connect_retries < 0 or self.connect_retry_backoff < 0:
            raise ConfigurationError("connect_retries and connect_retry_backoff must not be "
                                     "negative")
        if self.max_response_bytes <= 0:
            raise ConfigurationError("max_response_bytes must be positive")
        if self.token_refresh_margin < 0 or self.token_lock_timeout <= 0:
            raise ConfigurationError("token_refresh_margin must not be negative and "
                                     "token_lock_timeout must be positive")

    @property
    def channel(self) -> str:
        """``additionalInfo.channel`` of every call: the profile's channel id."""
        return self.profile.channel

    @property
    def base_path(self) -> str:
        """The path part of ``base_url`` (``/doku-simulator`` for the simulator), or ``""``."""
        rest = self.base_url.split("://", 1)[1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else ""

    def signed_path(self, operation: str) -> str:
        """The path actually requested, without host but with any prefix: what is signed."""
        return self.base_path + getattr(self.paths, operation)

    def url(self, operation: str) -> str:
        return self.base_url + getattr(self.paths, operation)
