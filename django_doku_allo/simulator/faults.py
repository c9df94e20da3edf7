"""Fault injection: make the simulator slow, failing, lossy or out of order on purpose.

Faults are rows of the simulator's database (:class:`~.models.Fault`), so every process
serving the simulator sees them: a fault queued here, or by another process through the
control API (``<prefix>/_control/faults``), reaches whichever gunicorn worker or
``runserver`` takes the next matching request. Each fault applies ``times`` times and
then disappears; ``times=None`` keeps it until :func:`reset`.

Consumed once: a use is claimed by one conditional ``UPDATE ... SET remaining =
remaining - 1 WHERE id = %s AND remaining > 0``. PostgreSQL re-checks the condition
after the row lock, SQLite serialises writers, so of two processes racing for the last
use exactly one sees a row updated; the other moves on to the next matching fault or
finds none. A fault claimed inside a transaction that rolls back (e.g. a notification
fault taken while a payment is settled) is given back with it.

Setting or taking a fault touches the database, so (in tests) it needs database access.

Operations: ``token_b2b``, ``token_b2b2c``, ``binding``, ``balance``, ``payment``,
``status``, ``refund``, ``unbinding``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import F

from .codes import OPERATIONS
from .models import Fault

__all__ = [
    "DROP_MODES",
    "DropResponse",
    "ForcedError",
    "active",
    "add_latency",
    "armed",
    "drop_response",
    "duplicate_notifications",
    "force_error",
    "reorder_notifications",
    "reset",
    "take_drop",
    "take_forced_error",
    "take_latency",
    "take_notification_copies",
    "take_stale_status",
]

DropMode = Literal["html502", "truncated"]
DROP_MODES: tuple[str, ...] = ("html502", "truncated")


@dataclass(frozen=True)
class ForcedError:
    code: str
    message: str


@dataclass(frozen=True)
class DropResponse:
    mode: str
    delay: float


def _check_operation(operation: str) -> None:
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)}")


def _check_times(times: int | None) -> None:
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError("times must be a positive integer or None (until reset)")


def _add(kind: str, operation: str | None, times: int | None, params: dict[str, Any]) -> None:
    _check_times(times)
    Fault.objects.create(kind=kind, operation=operation or "", remaining=times, params=params)


def _take(kind: str, operation: str | None = None) -> dict[str, Any] | None:
    """Claim one use of the oldest matching fault; its parameters, or ``None``."""
    candidates = (Fault.objects.filter(kind=kind, operation=operation or "")
                  .exclude(remaining=0).order_by("pk")
                  .values_list("pk", "remaining", "params"))
    for pk, remaining, params in candidates:
        if remaining is None:
            return dict(params)
        claimed = (Fault.objects.filter(pk=pk, remaining__gt=0)
                   .update(remaining=F("remaining") - 1))
        if claimed:
            Fault.objects.filter(pk=pk, remaining=0).delete()
            return dict(params)
        # Another process took the last use first: try the next one.
    return None


def armed(operation: str | None = None) -> frozenset[str]:
    """The kinds of fault queued for ``operation`` (one query; nothing is consumed).

    The request path asks this first so that a request with no fault armed costs one
    indexed read, not one per kind.
    """
    return frozenset(Fault.objects.filter(operation=operation or "").exclude(remaining=0)
                     .values_list("kind", flat=True).distinct())


# --------------------------------------------------------------------------- setting faults
def add_latency(operation: str, seconds: float, times: int | None = None) -> None:
    """Sleep ``seconds`` before handling ``operation`` (the work still happens afterwards)."""
    _check_operation(operation)
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    _add("latency", operation, times, {"seconds": float(seconds)})


def force_error(operation: str, code: str, times: int | None = 1,
                message: str | None = None) -> None:
    """Answer ``operation`` with SNAP ``code`` (e.g. ``5005400``, ``2025400``) without doing it."""
    _check_operation(operation)
    if not (isinstance(code, str) and len(code) == 7 and code.isdigit()):
        raise ValueError("code must be a 7-digit SNAP response code")
    _add("error", operation, times,
         {"code": code, "message": message or _default_message(code)})


def drop_response(operation: str, times: int | None = 1, mode: DropMode = "html502",
                  delay: float = 0.0) -> None:
    """Do ``operation`` and commit it, then wait ``delay`` s and answer garbage.

    ``html502`` answers an HTML "502 Bad Gateway" page; ``truncated`` answers HTTP 200
    with the first half of the real JSON body. A dropped *payment* is also confirmed by
    the simulated customer before the answer is lost, so the debit is really made.
    """
    _check_operation(operation)
    if mode not in DROP_MODES:
        raise ValueError(f"mode must be one of {', '.join(DROP_MODES)}")
    if delay < 0:
        raise ValueError("delay must be >= 0")
    _add("drop", operation, times, {"mode": mode, "delay": float(delay)})


def duplicate_notifications(copies: int = 2, times: int | None = 1) -> None:
    """Deliver each of the next ``times`` payment notifications ``copies`` times in all."""
    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 2:
        raise ValueError("copies must be an integer >= 2")
    _add("duplicate", None, times, {"copies": copies})


def reorder_notifications(stale_status: str = "03", times: int | None = 1) -> None:
    """After each of the next ``times`` final notifications, also send a stale one.

    The stale notification carries ``stale_status`` (default ``03`` Pending) for the
    same payment, and is queued after the final one.
    """
    if stale_status not in ("01", "02", "03"):
        raise ValueError("stale_status must be a non-final status: 01, 02 or 03")
    _add("reorder", None, times, {"stale_status": stale_status})


def reset() -> None:
    """Remove every fault (in every process: they share the table)."""
    Fault.objects.all().delete()


def active() -> list[dict[str, Any]]:
    """The faults in force, oldest first (for inspection)."""
    return [
        {"kind": f.kind, "operation": f.operation or None, "times": f.remaining,
         "params": f.params}
        for f in Fault.objects.exclude(remaining=0).order_by("pk")
    ]


# --------------------------------------------------------------------------- consuming faults
def take_latency(operation: str) -> float:
    params = _take("latency", operation)
    return float(params["seconds"]) if params else 0.0


def take_forced_error(operation: str) -> ForcedError | None:
    params = _take("error", operation)
    return ForcedError(params["code"], params["message"]) if params else None


def take_drop(operation: str) -> DropResponse | None:
    params = _take("drop", operation)
    return DropResponse(params["mode"], params["delay"]) if params else None


def take_notification_copies() -> int:
    params = _take("duplicate")
    return int(params["copies"]) if params else 1


def take_stale_status() -> str | None:
    params = _take("reorder")
    return str(params["stale_status"]) if params else None


_MESSAGES = {
    ("202", "00"): "Request In Progress",
    ("429", "00"): "Too Many Requests",
    ("500", "00"): "General Error",
    ("500", "01"): "Internal Server Error",
    ("500", "02"): "External Server Error",
    ("504", "00"): "Timeout",
}


def _default_message(code: str) -> str:
    return _MESSAGES.get((code[:3], code[5:]), "Simulated error")
