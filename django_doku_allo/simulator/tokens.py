"""Minting and recognising the tokens and identifiers the simulator hands out."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import jwt
from django.db.models import Q
from django.utils import timezone

from .conf import get_settings
from .models import Binding, IssuedToken

__all__ = [
    "digest",
    "find_token",
    "issue_token",
    "new_auth_code",
    "new_reference_no",
    "revoke_binding_tokens",
]


def digest(secret: str) -> str:
    """What is stored instead of a token or authCode."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_reference_no() -> str:
    """A DOKU-style numeric reference: 20 digits, unguessable (it also addresses a page)."""
    return str(10**19 + secrets.randbelow(9 * 10**19))


def new_auth_code() -> str:
    """40 digits, the shape of DOKU's sandbox authCodes."""
    return str(10**39 + secrets.randbelow(9 * 10**39))


def _mint(kind: str, client_id: str, expires_at: datetime, binding: Binding | None) -> str:
    conf = get_settings()
    if conf.private_key is None:
        return secrets.token_urlsafe(48)
    # DOKU's tokens are RS256 JWTs (exp, iss, clientId; accountId for a customer); mirror that
    # so client code that peeks at them meets the real shape. ``jti`` keeps each one unique.
    claims: dict[str, object] = {
        "exp": int(expires_at.timestamp()),
        "iss": "DOKU",
        "clientId": client_id,
        "jti": secrets.token_urlsafe(16),
    }
    if binding is not None:
        claims["accountId"] = digest(f"{client_id}:{binding.account.phone_no}")[:32]
    if kind == IssuedToken.Kind.REFRESH:
        claims["typ"] = "refresh"
    return jwt.encode(claims, conf.private_key, algorithm="RS256")


def issue_token(kind: str, client_id: str, lifetime: int,
                binding: Binding | None = None) -> tuple[str, datetime]:
    """Mint a token of ``kind`` valid for ``lifetime`` seconds; return it and its expiry."""
    expires_at = (timezone.now() + timedelta(seconds=lifetime)).replace(microsecond=0)
    token = _mint(kind, client_id, expires_at, binding)
    IssuedToken.objects.create(kind=kind, token_hash=digest(token), client_id=client_id,
                               binding=binding, expires_at=expires_at)
    return token, expires_at


def find_token(token: str, kind: str, client_id: str) -> IssuedToken | None:
    """The live (unexpired, unrevoked) token record of ``kind``, or None."""
    if not token:
        return None
    return (
        IssuedToken.objects.select_related("binding", "binding__account")
        .filter(token_hash=digest(token), kind=kind, client_id=client_id,
                revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


def revoke_binding_tokens(binding: Binding) -> int:
    """Revoke every customer token of ``binding``; return how many were live."""
    return IssuedToken.objects.filter(
        Q(binding=binding), revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
