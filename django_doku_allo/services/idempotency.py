"""At most one payment per ``(user, idempotency key)``: the API's safe retries."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from ..conf import doku_settings
from ..exceptions import (
    IdempotencyKeyExpired,
    IdempotencyKeyReused,
    InvalidRequestError,
    OrderHasLivePayment,
)
from ..models import LIVE_PAYMENT_STATUSES, Payment
from ..snap.messages import format_amount
from . import payments

__all__ = ["idempotency_fingerprint", "pay_idempotently"]


def idempotency_fingerprint(data: dict[str, Any]) -> str:
    """SHA-256 of ``data`` as canonical JSON: the same request, the same fingerprint."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def pay_idempotently(*, idempotency_key: str, fingerprint_extra: dict[str, Any] | None = None,
                     **payment: Any) -> tuple[Payment, bool]:
    """:func:`~.payments.pay` at most once per ``(user, idempotency_key)``.

    ``payment`` takes the keyword arguments of :func:`~.payments.pay` (``binding``,
    ``amount``, ``description``, ``customer``, ``success_url``, ``failure_url``,
    ``line_items``, ``order_id``, ``partner_reference_no``). Returns ``(payment,
    created)``.

    A repeat of the same request (binding, amount, description, order, line items
    and ``fingerprint_extra``; not the return URLs, which embed a fresh reference)
    returns the first payment in its current state with ``created`` False, even
    while the first call is still with DOKU. Two concurrent requests with one key
    make one payment: the loser of the insert race answers with the winner's row.

    Raises :class:`~django_doku_allo.exceptions.IdempotencyKeyReused` for the same key
    with a different request, :class:`~django_doku_allo.exceptions.IdempotencyKeyExpired`
    for a key older than ``IDEMPOTENCY_KEY_TTL``, and, with or without a key,
    :class:`~django_doku_allo.exceptions.OrderHasLivePayment` when ``order_id``
    already has a live payment. An empty key makes this plain :func:`~.payments.pay`.
    """
    if len(idempotency_key) > 255:
        raise InvalidRequestError("An idempotency key is at most 255 characters.",
                                  field="idempotency_key")
    binding = payment["binding"]
    order_id = payment.get("order_id", "")
    fingerprint = ""
    if idempotency_key:
        fingerprint = idempotency_fingerprint({
            "binding": binding.pk,
            "amount": format_amount(payment["amount"]),
            "description": payment["description"],
            "order_id": order_id,
            "line_items": [item.to_wire() for item in payment.get("line_items") or ()],
            "extra": fingerprint_extra or {},
        })
        existing = _idempotent_replay(binding.user_id, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
    try:
        made = payments.pay(**payment, idempotency_key=idempotency_key,
                            idempotency_fingerprint=fingerprint)
    except IntegrityError:
        # Another request committed first: a concurrent retry with our key, or another
        # payment of our order. Nothing was sent to DOKU for this one.
        if idempotency_key:
            existing = _idempotent_replay(binding.user_id, idempotency_key, fingerprint)
            if existing is not None:
                return existing, False
        if order_id and Payment.objects.filter(
                order_id=order_id, status__in=LIVE_PAYMENT_STATUSES).exists():
            raise OrderHasLivePayment(
                f"Order {order_id} already has a payment in progress or paid; check its "
                "status instead of paying again.") from None
        raise
    return made, True


def _idempotent_replay(user_id: Any, idempotency_key: str, fingerprint: str) -> Payment | None:
    """The payment made earlier with this key, if any, after checking it may be replayed."""
    payment = Payment.objects.filter(user_id=user_id, idempotency_key=idempotency_key).first()
    if payment is None:
        return None
    ttl = doku_settings.IDEMPOTENCY_KEY_TTL
    if ttl is not None and timezone.now() - payment.created_at > timedelta(seconds=float(ttl)):
        raise IdempotencyKeyExpired(
            "This idempotency key was first used too long ago to be replayed; send a new "
            "key for a new payment.")
    if payment.idempotency_fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "This idempotency key was already used for a different payment request; send "
            "a new key for a new payment, or repeat the first request exactly.")
    return payment
