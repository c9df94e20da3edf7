"""Brakes on what anyone on the internet can make us do: rate bounds and replay memory.

Both live in Django's cache (``DOKU_ALLO['CACHE_ALIAS']``), so every process and
host that shares the cache shares the bound. A cache that is down must not take
the endpoints down with it: a failing cache lets the request through (and logs),
because the signature checks still stand behind the brake.

The source address is ``REMOTE_ADDR`` only. Behind a proxy, set it from the
proxy's header in a middleware you trust, or every client shares the proxy's
bound (see ``docs/security.md``).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches
from django.http import HttpRequest

from ..conf import doku_settings
from ..snap.messages import SnapAnswer

_T = TypeVar("_T")

__all__ = [
    "TOO_MANY_NOTIFICATIONS",
    "TOO_MANY_TOKEN_REQUESTS",
    "count",
    "first_sight",
    "once_per",
    "over_rate",
    "reached",
    "remembered",
]

logger = logging.getLogger(__name__)

#: SNAP's "Too Many Requests" for service 56 (notification) and 73 (B2B token).
TOO_MANY_NOTIFICATIONS = SnapAnswer(429, "4295600", "Too Many Requests")
TOO_MANY_TOKEN_REQUESTS = SnapAnswer(429, "4297300", "Too Many Requests")

_PREFIX = "doku_allo:limits:"


def _key(*parts: str) -> str:
    # Hashed: an address or signature from outside never becomes a raw cache key
    # (memcached refuses spaces and keys over 250 bytes).
    return _PREFIX + hashlib.sha256("|".join(parts).encode("utf-8", "replace")).hexdigest()


def _rate_key(scope: str, request: HttpRequest, window: float) -> tuple[str, int]:
    window = max(int(window), 1)
    slot = int(time.time() // window)
    return _key("rate", scope, str(request.META.get("REMOTE_ADDR") or ""), str(slot)), window


def over_rate(scope: str, request: HttpRequest, limit: int | None, window: float) -> bool:
    """Count this request against ``limit`` per ``window`` seconds for its address.

    True once the address made more than ``limit`` requests in the current
    window (fixed windows, so a burst across a boundary may see twice the limit).
    ``limit`` ``None`` switches the bound off.
    """
    if limit is None:
        return False
    return count(scope, request, window) > int(limit)


def reached(scope: str, request: HttpRequest, limit: int | None, window: float) -> bool:
    """True when the address already has ``limit`` counts in the window; counts nothing.

    With :func:`count` called only for some requests (refused ones, say), this
    bounds those and lets the others through.
    """
    if limit is None:
        return False
    key, _ = _rate_key(scope, request, window)
    try:
        return int(caches[doku_settings.CACHE_ALIAS].get(key) or 0) >= int(limit)
    except Exception:  # a cache outage must not become a 500
        logger.warning("doku_allo rate bound skipped: the cache failed", exc_info=True)
        return False


def count(scope: str, request: HttpRequest, window: float) -> int:
    """Add one to the address's count in the current window; returns the new count."""
    key, timeout = _rate_key(scope, request, window)
    cache = caches[doku_settings.CACHE_ALIAS]
    try:
        if cache.add(key, 1, timeout=timeout + 1):
            return 1
        return int(cache.incr(key))
    except ValueError:
        # The key expired between add() and incr(): this request opens the next window.
        return 1
    except Exception:  # a cache outage must not become a 500
        logger.warning("doku_allo rate bound skipped: the cache failed", exc_info=True)
        return 0


def remembered(scope: str, value: str, remember_for: float,
               make: Callable[[], _T]) -> _T:
    """What ``make()`` gave the first time ``value`` was seen in ``scope``, or a new one.

    Two concurrent first sights may both call ``make``; the first stored answer wins
    for every later one. A cache outage makes a new answer each time (logged).
    """
    key = _key("answer", scope, value)
    cache = caches[doku_settings.CACHE_ALIAS]
    try:
        known = cache.get(key)
        if known is not None:
            return known
        made = make()
        if cache.add(key, made, timeout=max(int(remember_for), 1)):
            return made
        stored = cache.get(key)
        return made if stored is None else stored
    except Exception:  # a cache outage must not become a 500
        logger.warning("doku_allo replay memory skipped: the cache failed", exc_info=True)
        return make()


def first_sight(scope: str, value: str, remember_for: float) -> bool:
    """True the first time ``value`` is seen in ``scope`` within ``remember_for`` seconds."""
    try:
        return bool(caches[doku_settings.CACHE_ALIAS].add(
            _key("seen", scope, value), 1, timeout=max(int(remember_for), 1)))
    except Exception:  # a cache outage must not become a 500
        logger.warning("doku_allo replay memory skipped: the cache failed", exc_info=True)
        return True


def once_per(scope: str, value: str, seconds: float) -> bool:
    """True when nothing in ``scope`` for ``value`` was allowed in the last ``seconds``."""
    if float(seconds) <= 0:
        return True
    return first_sight(scope, value, seconds)
