"""Background work on Django's tasks API: status checks with backoff, signals off the request.

``django.tasks`` (Django 6.0) is used when present, else the ``django-tasks``
backport (``django_tasks``); run a backend's worker (e.g. django-tasks-db's
``manage.py db_worker``). Everything here is opt-in and off by default (see
docs/tasks.md):

- ``DOKU_ALLO["STATUS_CHECK_TASKS"]``: once a payment is recorded ``pending`` or
  ``unknown`` (a refund ``unknown``), :func:`check_payment` / :func:`check_refund` is
  enqueued ``STATUS_CHECK_DELAY`` seconds later (DOKU's 60 s advice), on commit. While
  the row stays unsettled the task enqueues itself again after
  ``STATUS_CHECK_BACKOFF[attempt - 1]`` seconds (the last entry repeats: by default
  60 s, then +2 min, +5 min, +15 min, then hourly), at most
  ``STATUS_CHECK_MAX_ATTEMPTS`` checks in all; ``doku_allo_sync`` from cron stays the
  safety net for anything a queue lost.
- ``DOKU_ALLO["SIGNALS_VIA_TASKS"]``: :func:`~.services._rows.send_after_commit`
  enqueues :func:`send_signal` on commit instead of calling receivers in the request,
  so a slow receiver never delays DOKU's notification answer. The task receives the
  model label and primary key of each row (JSON arguments) and re-reads the rows, so
  a receiver sees the row as it is when the task runs. Receivers become
  at-least-once: make them idempotent.

Without a tasks backend nothing here is imported and everything works inline, as
before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from types import ModuleType
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

from . import signals
from .conf import doku_settings
from .exceptions import DokuAlloError
from .models import UNSETTLED_PAYMENT_STATUSES, Payment, Refund, RefundStatus

__all__ = [
    "check_payment",
    "check_refund",
    "enqueue_signal",
    "schedule_status_check",
    "send_signal",
    "tasks_api",
]

logger = logging.getLogger(__name__)

_UNSETTLED_REFUND = (RefundStatus.REQUESTED, RefundStatus.UNKNOWN)


def tasks_api() -> ModuleType | None:
    """``django.tasks`` when Django has it (6.0), else ``django_tasks``, else ``None``."""
    try:
        import django.tasks as api  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        try:
            import django_tasks as api  # type: ignore[import-not-found, no-redef, unused-ignore]
        except ImportError:
            return None
    return api


def _task(function: Callable[..., Any]) -> Any:
    # Without a tasks API the functions stay plain (callable, not enqueueable).
    api = tasks_api()
    return api.task()(function) if api is not None else function


def _enqueue(task: Any, *args: Any, delay: float = 0) -> bool:
    """Enqueue ``task(*args)`` after ``delay`` seconds; log and return False on failure."""
    options: dict[str, Any] = {"backend": doku_settings.TASK_BACKEND,
                               "queue_name": doku_settings.TASK_QUEUE_NAME}
    if delay > 0:
        options["run_after"] = timezone.now() + timedelta(seconds=delay)
    try:
        task.using(**options).enqueue(*args)
    except Exception:
        # The state change is committed; a lost task is what doku_allo_sync is for.
        logger.exception("doku_allo could not enqueue %s%r",
                         getattr(task, "name", task), args)
        return False
    return True


# --------------------------------------------------------------- status checks
def _backoff(attempt: int) -> float:
    """Seconds to wait after check number ``attempt`` (1-based) left the row unsettled."""
    schedule = list(doku_settings.STATUS_CHECK_BACKOFF)
    return float(schedule[min(attempt, len(schedule)) - 1])


def _again(task: Any, pk: int, attempt: int) -> bool:
    if not doku_settings.STATUS_CHECK_TASKS:
        return False
    if attempt >= int(doku_settings.STATUS_CHECK_MAX_ATTEMPTS):
        logger.warning("doku_allo %s %s still unsettled after %d checks; left to "
                       "doku_allo_sync", getattr(task, "name", task), pk, attempt)
        return False
    return _enqueue(task, pk, attempt + 1, delay=_backoff(attempt))


@_task
def check_payment(payment_pk: int, attempt: int = 1) -> str:
    """Check one payment's status with DOKU; again later (backoff) while it is unsettled.

    Returns the payment's status. A settled payment is left alone (no call to DOKU);
    DOKU being unreachable counts as a check that left it unsettled.
    """
    from . import services

    return _check(check_payment, Payment, payment_pk, attempt, UNSETTLED_PAYMENT_STATUSES,
                  services.sync_payment)


@_task
def check_refund(refund_pk: int, attempt: int = 1) -> str:
    """:func:`check_payment` for a refund (a status check of its payment)."""
    from . import services

    return _check(check_refund, Refund, refund_pk, attempt, _UNSETTLED_REFUND,
                  services.sync_refund)


def _check(task: Any, model: type[Payment] | type[Refund], pk: int, attempt: int,
           unsettled: Any, sync: Any) -> str:
    row = model._default_manager.filter(pk=pk).first()
    if row is None:
        return "gone"
    if row.status in unsettled:
        try:
            row = sync(row)
        except DokuAlloError as exc:
            logger.warning("doku_allo status check %d of %s %s failed: %s", attempt,
                           model.__name__.lower(), row, exc)
        if row.status in unsettled:
            _again(task, pk, attempt)
    return str(row.status)


def schedule_status_check(obj: Payment | Refund) -> None:
    """On commit, enqueue the first status check of ``obj`` if it is still unsettled.

    It runs ``STATUS_CHECK_DELAY`` seconds later (DOKU asks for 60 s). Callers check
    ``STATUS_CHECK_TASKS`` first (:func:`~.services._rows.check_later`).
    """
    if isinstance(obj, Payment):
        if obj.status not in UNSETTLED_PAYMENT_STATUSES:
            return
        task: Any = check_payment
    else:
        if obj.status not in _UNSETTLED_REFUND:
            return
        task = check_refund
    pk = obj.pk
    delay = float(doku_settings.STATUS_CHECK_DELAY)
    transaction.on_commit(lambda: _enqueue(task, pk, 1, delay=delay))


# --------------------------------------------------------------------- signals
def _signal_names() -> dict[Signal, str]:
    return {value: name for name, value in vars(signals).items() if isinstance(value, Signal)}


def _encode(value: Any) -> Any:
    if isinstance(value, models.Model):
        return {"model": value._meta.label, "pk": value.pk}
    if value is None or isinstance(value, (str, int, float, bool)):
        return {"value": value}
    raise TypeError(f"cannot send {type(value).__name__} through a task")


def _decode(value: dict[str, Any]) -> tuple[bool, Any]:
    """(found, value): a row is re-read; ``found`` is False when it no longer exists."""
    if "model" in value:
        row = apps.get_model(value["model"])._default_manager.filter(pk=value["pk"]).first()
        return row is not None, row
    return True, value["value"]


def enqueue_signal(signal: Signal, sender: type[models.Model], kwargs: dict[str, Any]) -> None:
    """Enqueue :func:`send_signal`; if that fails, send inline rather than lose it."""
    from .services._rows import send_now

    name = _signal_names().get(signal)
    if name is None:  # not one of ours: no name to send it by
        send_now(signal, sender, **kwargs)
        return
    arguments = {key: _encode(value) for key, value in kwargs.items()}
    if not _enqueue(send_signal, name, sender._meta.label, arguments):
        send_now(signal, sender, **kwargs)


@_task
def send_signal(name: str, sender: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Send ``django_doku_allo.signals.<name>`` with the rows re-read from the database.

    Every receiver runs; a receiver's exception is logged (as inline) and counted in
    the result. When a row has since been deleted nothing is sent.
    """
    from .services._rows import send_now

    signal = getattr(signals, name)
    kwargs: dict[str, Any] = {}
    for key, value in arguments.items():
        found, kwargs[key] = _decode(value)
        if not found:
            logger.warning("doku_allo signal %s not sent: %s %s no longer exists", name,
                           value["model"], value["pk"])
            return {"sent": False, "receivers": 0, "failed": 0}
    results = send_now(signal, apps.get_model(sender), **kwargs)
    failed = sum(isinstance(result, Exception) for _, result in results)
    return {"sent": True, "receivers": len(results), "failed": failed}
