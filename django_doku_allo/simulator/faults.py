"""Fault injection: make the simulator slow, failing, lossy or out of order on purpose.

Faults live in process memory behind a lock, so they reach a simulator running in the
same process (pytest-django's ``live_server``, ``runserver``). Another process sets them
through the control API (``<prefix>/_control/faults``). Each fault applies ``times``
times and then disappears; ``times=None`` keeps it until :func:`reset`.

Operations: ``token_b2b``, ``token_b2b2c``, ``binding``, ``balance``, ``payment``,
``status``, ``refund``, ``unbinding``.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .codes import OPERATIONS

__all__ = [
    "DROP_MODES",
    "DropResponse",
    "ForcedError",
    "active",
    "add_latency",
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


@dataclass
class _Fault:
    kind: str
    operation: str | None
    times: int | None
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ForcedError:
    code: str
    message: str


@dataclass(frozen=True)
class DropResponse:
    mode: str
    delay: float


_lock = threading.Lock()
_faults: list[_Fault] = []


def _check_operation(operation: str) -> None:
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)}")


def _check_times(times: int | None) -> None:
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError("times must be a positive integer or None (until reset)")


def _add(fault: _Fault) -> None:
    _check_times(fault.times)
    with _lock:
        _faults.append(fault)


def _take(kind: str, operation: str | None = None) -> _Fault | None:
    """Consume one use of the oldest matching fault."""
    with _lock:
        for fault in _faults:
            if fault.kind == kind and fault.operation == operation:
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        _faults.remove(fault)
                return fault
    return None


# --------------------------------------------------------------------------- setting faults
def add_latency(operation: str, seconds: float, times: int | None = None) -> None:
    """Sleep ``seconds`` before handling ``operation`` (the work still happens afterwards)."""
    _check_operation(operation)
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    _add(_Fault("latency", operation, times, {"seconds": float(seconds)}))


def force_error(operation: str, code: str, times: int | None = 1,
                message: str | None = None) -> None:
    """Answer ``operation`` with SNAP ``code`` (e.g. ``5005400``, ``2025400``) without doing it."""
    _check_operation(operation)
    if not (isinstance(code, str) and len(code) == 7 and code.isdigit()):
        raise ValueError("code must be a 7-digit SNAP response code")
    _add(_Fault("error", operation, times,
                {"code": code, "message": message or _default_message(code)}))


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
    _add(_Fault("drop", operation, times, {"mode": mode, "delay": float(delay)}))


def duplicate_notifications(copies: int = 2, times: int | None = 1) -> None:
    """Deliver each of the next ``times`` payment notifications ``copies`` times in all."""
    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 2:
        raise ValueError("copies must be an integer >= 2")
    _add(_Fault("duplicate", None, times, {"copies": copies}))


def reorder_notifications(stale_status: str = "03", times: int | None = 1) -> None:
    """After each of the next ``times`` final notifications, also send a stale one.

    The stale notification carries ``stale_status`` (default ``03`` Pending) for the
    same payment, and is queued after the final one.
    """
    if stale_status not in ("01", "02", "03"):
        raise ValueError("stale_status must be a non-final status: 01, 02 or 03")
    _add(_Fault("reorder", None, times, {"stale_status": stale_status}))


def reset() -> None:
    """Remove every fault."""
    with _lock:
        _faults.clear()


def active() -> list[dict[str, Any]]:
    """The faults in force, oldest first (for inspection)."""
    with _lock:
        return [f.as_dict() for f in _faults]


# --------------------------------------------------------------------------- consuming faults
def take_latency(operation: str) -> float:
    fault = _take("latency", operation)
    return float(fault.params["seconds"]) if fault else 0.0


def take_forced_error(operation: str) -> ForcedError | None:
    fault = _take("error", operation)
    return ForcedError(fault.params["code"], fault.params["message"]) if fault else None


def take_drop(operation: str) -> DropResponse | None:
    fault = _take("drop", operation)
    return DropResponse(fault.params["mode"], fault.params["delay"]) if fault else None


def take_notification_copies() -> int:
    fault = _take("duplicate")
    return int(fault.params["copies"]) if fault else 1


def take_stale_status() -> str | None:
    fault = _take("reorder")
    return str(fault.params["stale_status"]) if fault else None


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
