"""Access tokens: the merchant's B2B token and the customer's B2B2C token pair."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .common import FromResponse, SnapResponse, as_datetime, wire

__all__ = ["AccessToken", "B2B2CToken"]


def _text_or_empty(value: object) -> str:
    # An empty token is refused by the client with a clear error, so no None here.
    return str(value or "")


@dataclass(frozen=True, repr=False)
class AccessToken:
    """The B2B token; ``repr`` never shows it."""

    access_token: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"AccessToken(expires_at={self.expires_at.isoformat()})"


@dataclass(frozen=True, repr=False)
class B2B2CToken(FromResponse):
    """The customer's token pair from an authCode or refresh token exchange."""

    access_token: str = field(metadata=wire("accessToken", parse=_text_or_empty))
    access_token_expires_at: datetime | None = field(
        metadata=wire("accessTokenExpiryTime", parse=as_datetime))
    refresh_token: str | None = field(metadata=wire("refreshToken"))
    refresh_token_expires_at: datetime | None = field(
        metadata=wire("refreshTokenExpiryTime", parse=as_datetime))
    response: SnapResponse

    def __repr__(self) -> str:
        expiry = self.access_token_expires_at
        return f"B2B2CToken(expires_at={expiry.isoformat() if expiry else None})"
