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
- :func:`check_later` schedules a status-check task for a payment or refund that
  DOKU's answer left unsettled (only with ``STATUS_CHECK_TASKS``).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.dispatch import Signal

from .. import transitions
from ..conf import doku_settings
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
from ._statements import update

__all__ = [
    "check_later",
    "digest",
    "lock",
    "lock_refund_with_payment",
    "move",
    "move_if_allowed",
    "record_response",
    "remember",
    "save",
    "send_after_commit",
    "send_now",
]

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=models.Model)
_S = TypeVar("_S", Payment, Refund)

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
            update(obj, [*changed, *_auto_now(obj)], using=obj._state.db or DEFAULT_DB_ALIAS)
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
    """Send ``signal`` once the surrounding transaction commits (never on rollback).

    With ``SIGNALS_VIA_TASKS`` a task sends it instead (see :mod:`..tasks`).
    """
    if doku_settings.SIGNALS_VIA_TASKS:
        from .. import tasks

        transaction.on_commit(lambda: tasks.enqueue_signal(signal, sender, kwargs))
        return
    transaction.on_commit(lambda: send_now(signal, sender, **kwargs))


def send_now(signal: Signal, sender: type, **kwargs: Any) -> list[tuple[Any, Any]]:
    """Send ``signal`` to every receiver; a receiver's exception is logged, not raised."""
    # A receiver's failure must not undo or repeat a committed state change.
    results = signal.send_robust(sender=sender, **kwargs)
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error("doku_allo signal receiver %r failed", receiver, exc_info=result)
    return results


def check_later(obj: _S) -> _S:
    """With ``STATUS_CHECK_TASKS``, enqueue a status check of ``obj`` on commit if unsettled.

    For a payment or refund just recorded from DOKU's answer; returns ``obj``.
    """
    if doku_settings.STATUS_CHECK_TASKS:
        from .. import tasks

        tasks.schedule_status_check(obj)  # type: ignore[arg-type]
    return obj


def digest(value: str) -> str:
    """SHA-256 hex of ``value``: what we store of a secret we only need to recognise."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
