"""The row helpers every service uses: lock, move, record DOKU's answer, signal on commit.

Contracts the services rely on:
- :func:`lock` must run inside ``transaction.atomic()``; it re-reads the row with
  ``SELECT ... FOR UPDATE``.
- **One lock order, everywhere: payment before refund** (and a binding before the
  payment made with it, when both are needed). A service that settles a refund
  locks the refund's payment first, then the refund; a status check locks the
  payment, then its refunds. Two code paths that took them the other way round
  deadlocked on PostgreSQL. :func:`lock_refund_with_payment` is the only way to
  lock a refund for a state change.
- :func:`move` is the one caller of the transition tables: a move the table
  forbids raises :class:`~django_doku_allo.exceptions.TransitionNotAllowed` here
  and nowhere else. Events from DOKU that may arrive late or out of order go
  through :func:`move_if_allowed`, which records and ignores a refused move
  (terminal states never regress) instead of raising.
- :func:`send_after_commit` sends a signal once the surrounding transaction
  commits; a receiver's exception is logged and never undoes the change.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, TypeVar

from django.db import models, transaction
from django.dispatch import Signal

from .. import transitions
from ..exceptions import SnapError, TransitionNotAllowed
from ..models import (
    BINDING_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    REFUND_TRANSITIONS,
    Binding,
    Payment,
    Refund,
)
from ..snap.redaction import redact_body

__all__ = [
    "digest",
    "lock",
    "lock_refund_with_payment",
    "move",
    "move_if_allowed",
    "record_response",
    "remember",
    "save",
    "send_after_commit",
]

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=models.Model)

Stateful = Binding | Payment | Refund

_TABLES: dict[type[models.Model], transitions.Table] = {
    Binding: BINDING_TRANSITIONS,
    Payment: PAYMENT_TRANSITIONS,
    Refund: REFUND_TRANSITIONS,
}


def lock(model: type[_M], pk: Any) -> _M:
    """``model``'s row ``pk``, locked until the surrounding transaction ends."""
    return remember(model._default_manager.select_for_update().get(pk=pk))


def remember(obj: _M) -> _M:
    """Note ``obj``'s column values as read, so :func:`save` writes only what changed."""
    obj._doku_allo_read = _values(obj)  # type: ignore[attr-defined]
    return obj


def save(obj: models.Model) -> None:
    """Write the columns of ``obj`` that changed since :func:`remember` (all, if unknown).

    A status change rewrites a few of a payment's 30 columns, not the whole row: less
    WAL, and no lost update of a column another writer changed meanwhile.
    """
    read = getattr(obj, "_doku_allo_read", None)
    if read is None or obj.pk is None:
        obj.save()
    else:
        now = _values(obj)
        changed = [name for name, value in now.items() if read.get(name) != value]
        if changed:
            obj.save(update_fields=[*changed, *_auto_now(obj)])
    remember(obj)


def _values(obj: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields
            if not f.primary_key}


def _auto_now(obj: models.Model) -> list[str]:
    return [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]


def lock_refund_with_payment(refund_pk: Any) -> tuple[Payment, Refund]:
    """Lock a refund for a state change, its payment first (the one lock order)."""
    payment_id = Refund.objects.values_list("payment_id", flat=True).get(pk=refund_pk)
    payment = lock(Payment, payment_id)
    return payment, lock(Refund, refund_pk)


def move(obj: Stateful, target: str) -> bool:
    """Set ``obj.status`` to ``target``; True when it changed, False for a repeat.

    Raises :class:`TransitionNotAllowed` when the object's table forbids the move.
    """
    changed = transitions.check(_TABLES[type(obj)], type(obj).__name__, obj.status, target)
    obj.status = target
    return changed


def move_if_allowed(obj: Stateful, target: str, *, source: str) -> bool:
    """:func:`move` for events that may be stale: a refused move is logged, not raised.

    Returns True only when the status changed.
    """
    try:
        return move(obj, target)
    except TransitionNotAllowed:
        logger.warning("doku_allo %s %s: ignored %s -> %s from %s", type(obj).__name__.lower(),
                       _reference(obj), obj.status, target, source)
        return False


def _reference(obj: Stateful) -> str:
    if isinstance(obj, Payment):
        return obj.partner_reference_no
    if isinstance(obj, Refund):
        return obj.partner_refund_no
    return str(obj.pk)


def record_response(obj: Stateful, error: SnapError | None = None, raw: Any = None) -> None:
    """Keep DOKU's answer (or the error that carried it) on ``obj``; does not save.

    The answer is kept redacted (:func:`~django_doku_allo.snap.redaction.redact_body`):
    an authCode or token in it is never at rest in clear. The X-EXTERNAL-ID DOKU
    answered replaces the one stored before the call: a resend after a token refresh
    goes with a new id, and status checks must name that one.
    """
    answered = error.external_id if error is not None else getattr(raw, "external_id", None)
    if answered and isinstance(obj, Payment | Refund):
        obj.external_id = answered
    if error is not None:
        obj.response_code = error.response_code or ""
        obj.response_message = (error.response_message or str(error))[:255]
        if error.response is not None:
            obj.raw = redact_body(dict(error.response.raw))
    elif raw is not None:
        obj.raw = redact_body(dict(raw.raw))
        obj.response_code = raw.response_code or ""
        obj.response_message = (raw.response_message or "")[:255]


def send_after_commit(signal: Signal, sender: type, **kwargs: Any) -> None:
    """Send ``signal`` once the surrounding transaction commits (never on rollback)."""
    def send() -> None:
        # A receiver's failure must not undo or repeat a committed state change.
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error("doku_allo signal receiver %r failed", receiver, exc_info=result)

    transaction.on_commit(send)


def digest(value: str) -> str:
    """SHA-256 hex of ``value``: what we store of a secret we only need to recognise."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
