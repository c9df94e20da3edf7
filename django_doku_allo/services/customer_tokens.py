"""The customer's B2B2C token of a binding: use it, renew it, store it encrypted.

A binding's token is needed by every customer-authorised call (balance, payment,
refund, unbinding). It is renewed with the refresh token, or with the binding's
authCode when the refresh token is gone; a token DOKU calls invalid means the
customer revoked the binding at Allo Bank, and the binding ends ``unbound``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from ..conf import doku_settings, get_client
from ..exceptions import BindingNotActive, DeclinedError, InvalidCustomerTokenError
from ..models import Binding
from ..snap.messages import B2B2CToken
from . import bindings
from ._rows import lock

__all__ = ["customer_token", "store_customer_token", "with_customer_token"]

_T = TypeVar("_T")

_TOKEN_FIELDS = ["access_token", "access_token_expires_at", "refresh_token",
                 "refresh_token_expires_at", "updated_at"]


def store_customer_token(binding: Binding, token: B2B2CToken) -> None:
    """Put ``token`` on ``binding`` (encrypted by its fields on save); does not save."""
    binding.access_token = token.access_token
    binding.access_token_expires_at = token.access_token_expires_at
    binding.refresh_token = token.refresh_token or ""
    binding.refresh_token_expires_at = token.refresh_token_expires_at


def customer_token(binding: Binding, *, renew: bool = False) -> str:
    """The binding's access token, renewed first when it is about to expire or ``renew``."""
    margin = timedelta(seconds=float(doku_settings.TOKEN_REFRESH_MARGIN))
    expires = binding.access_token_expires_at
    if binding.access_token and not renew and (expires is None
                                              or expires - margin > timezone.now()):
        return binding.access_token
    return _renew(binding)


def _renew(binding: Binding) -> str:
    client = get_client()
    token: B2B2CToken | None = None
    try:
        if binding.refresh_token:
            try:
                token = client.refresh_customer_token(binding.refresh_token)
            except DeclinedError:
                token = None  # an expired refresh token; the authCode may still serve
        if token is None:
            token = client.exchange_auth_code(binding.auth_code)
    except InvalidCustomerTokenError as exc:
        bindings.mark_unbound(binding.pk, "The customer revoked the binding at Allo Bank.")
        raise BindingNotActive(
            "The customer's Allo Bank binding was revoked; ask them to link it again.") from exc
    with transaction.atomic():
        locked = lock(Binding, binding.pk)
        store_customer_token(locked, token)
        locked.save(update_fields=_TOKEN_FIELDS)
    binding.access_token = token.access_token
    return token.access_token


def with_customer_token(binding: Binding, call: Callable[[str], _T]) -> _T:
    """Run ``call`` with the customer's token; renew it once if DOKU calls it invalid."""
    try:
        return call(customer_token(binding))
    except InvalidCustomerTokenError:
        # Refused before processing (401), so the same request may go again.
        return call(customer_token(binding, renew=True))
