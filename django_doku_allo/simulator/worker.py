"""The background deliverer of ``DELIVERY_MODE = "thread"``: one daemon thread per process.

It starts on a committed notification (never at import or app loading, so management
commands and tests that never notify start no thread), sleeps until the next attempt is
due or it is woken, and ends when nothing is left to send. It closes its database
connection after every round, so it holds nothing open between rounds and a test
database can be dropped under it.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection

from .conf import get_settings

__all__ = ["is_running", "stop", "wake"]

logger = logging.getLogger(__name__)

#: Longest sleep between two rounds, so a clock jump or a missed wake-up costs little.
MAX_IDLE = 5.0

_lock = threading.Lock()
_wake = threading.Event()
_stop = threading.Event()
_thread: threading.Thread | None = None


def wake() -> None:
    """Deliver what is due now (starts the thread if needed). No-op in manual mode."""
    if get_settings().delivery_mode != "thread":
        return
    global _thread
    with _lock:
        # Set under the lock: a thread deciding to end checks the flag under the same lock.
        _wake.set()
        if _thread is None or not _thread.is_alive():
            _stop.clear()
            _thread = threading.Thread(target=_run, name="doku-simulator-notifier", daemon=True)
            _thread.start()


def stop(timeout: float = 5.0) -> None:
    """Stop the thread (tests call this so no delivery outlives them)."""
    global _thread
    with _lock:
        thread, _thread = _thread, None
    if thread is not None:
        _stop.set()
        _wake.set()
        thread.join(timeout)


def is_running() -> bool:
    with _lock:
        return _thread is not None and _thread.is_alive()


def _round() -> float | None:
    """Deliver what is due; return seconds until the next attempt, None if none is pending."""
    from .notifications import deliver_due_notifications, seconds_until_next_due

    close_old_connections()
    try:
        deliver_due_notifications()
        wait = seconds_until_next_due()
    finally:
        connection.close()
    return None if wait is None else min(wait, MAX_IDLE)


def _retire() -> bool:
    """End this thread unless a wake-up arrived meanwhile."""
    global _thread
    with _lock:
        if _wake.is_set():
            return False
        if _thread is threading.current_thread():
            _thread = None
        return True


def _run() -> None:
    while not _stop.is_set():
        # Cleared before the round: a wake-up during the round triggers the next one.
        _wake.clear()
        try:
            wait = _round()
        except Exception:
            # A broken round (database gone, bug) must not kill delivery for good.
            logger.exception("doku simulator: notification round failed")
            wait = 1.0
        if wait is None:
            if _retire():
                return
            continue
        _wake.wait(timeout=wait)
