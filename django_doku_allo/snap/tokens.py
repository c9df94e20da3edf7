"""The B2B access token: cached where every process can see it, refreshed by one caller.

The store is anything with Django's cache API (``get``, ``set``, ``add``,
``delete``): a Django cache shares the token across processes and hosts;
:class:`MemoryTokenStore` does the same within one process. ``add`` is the lock:
it succeeds for exactly one caller, and its timeout outlives a slow refresh, so a
crashed refresher cannot block the others for ever.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol

from .errors import RetryableError
from .messages import AccessToken

__all__ = ["B2BTokenProvider", "MemoryTokenStore", "TokenStore"]


class TokenStore(Protocol):
    """The subset of Django's cache API the token provider needs."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any, timeout: float | None = None) -> None: ...

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool: ...

    def delete(self, key: str) -> Any: ...


class MemoryTokenStore:
    """A thread-safe in-process store with expiry, for use without Django."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: dict[str, tuple[Any, float]] = {}
        self._mutex = threading.Lock()
        self._clock = clock

    def _live(self, key: str) -> tuple[Any, float] | None:
        item = self._items.get(key)
        if item is not None and item[1] <= self._clock():
            del self._items[key]
            return None
        return item

    def get(self, key: str, default: Any = None) -> Any:
        with self._mutex:
            item = self._live(key)
            return default if item is None else item[0]

    def _expiry(self, timeout: float | None) -> float:
        # Django's meaning: None is "for ever", zero or less is "already expired".
        return self._clock() + (10**9 if timeout is None else timeout)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        with self._mutex:
            self._items[key] = (value, self._expiry(timeout))

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        with self._mutex:
            if self._live(key) is not None:
                return False
            self._items[key] = (value, self._expiry(timeout))
            return True

    def delete(self, key: str) -> None:
        with self._mutex:
            self._items.pop(key, None)


class B2BTokenProvider:
    """Hands out a valid B2B token, fetching a new one once per expiry window.

    ``fetch`` performs the token call. Concurrent callers that find no fresh token
    race for the lock; the winner fetches, the others wait for the cache to fill.
    ``invalidate(stale)`` forces a refresh after DOKU answered "invalid token", but
    only if nobody has replaced that token already, so a burst of 401s still costs
    one token request.
    """

    poll_interval = 0.02

    def __init__(
        self,
        store: TokenStore,
        fetch: Callable[[], AccessToken],
        *,
        key: str,
        refresh_margin: float,
        lock_timeout: float,
        wait_timeout: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._fetch = fetch
        self._key = key
        self._lock_key = f"{key}:lock"
        self._margin = refresh_margin
        self._lock_timeout = lock_timeout
        self._wait_timeout = wait_timeout
        self._clock = clock

    def _fresh(self, cached: Any, stale: str | None) -> str | None:
        if not isinstance(cached, dict):
            return None
        token, refresh_at = cached.get("token"), cached.get("refresh_at", 0)
        if not token or token == stale or refresh_at <= self._clock():
            return None
        return str(token)

    def get(self, *, stale: str | None = None) -> str:
        """A token that is not ``stale`` and not about to expire."""
        give_up_at = time.monotonic() + self._wait_timeout
        owner = secrets.token_hex(8)
        while True:
            token = self._fresh(self._store.get(self._key), stale)
            if token:
                return token
            if self._store.add(self._lock_key, owner, timeout=self._lock_timeout):
                try:
                    # Another caller may have refreshed between our read and our lock.
                    token = self._fresh(self._store.get(self._key), stale)
                    return token or self._refresh()
                finally:
                    if self._store.get(self._lock_key) == owner:
                        self._store.delete(self._lock_key)
            if time.monotonic() >= give_up_at:
                raise RetryableError(
                    "Timed out waiting for another worker to refresh the DOKU B2B token; "
                    "try again shortly.",
                    operation="b2b_token",
                )
            time.sleep(self.poll_interval)

    def invalidate(self, stale: str) -> str:
        """DOKU refused ``stale``: return a different, freshly fetched token."""
        return self.get(stale=stale)

    def _refresh(self) -> str:
        token = self._fetch()
        now = self._clock()
        lifetime = max(token.expires_at.timestamp() - now, 0.0)
        # A short-lived token would otherwise never count as fresh: refresh at half-life.
        refresh_at = now + max(lifetime - self._margin, lifetime / 2)
        self._store.set(
            self._key,
            {"token": token.access_token, "refresh_at": refresh_at,
             "expires_at": token.expires_at.astimezone(timezone.utc).isoformat()},
            timeout=max(int(refresh_at - now), 1),
        )
        return token.access_token


#: SNAP's fixed B2B token lifetime, used when ``expiresIn`` is missing or unusable.
DEFAULT_B2B_LIFETIME = 900.0
#: Longest lifetime believed: a wild ``expiresIn`` must not pin a token for years.
MAX_B2B_LIFETIME = 24 * 3600.0


def expiry_from_seconds(expires_in: object, now: datetime | None = None) -> datetime:
    """``expiresIn`` (number or numeric string, seconds) -> aware expiry time.

    Missing, non-numeric, NaN or infinite values mean SNAP's 900 s; the result is
    clamped to ``[now, now + 24 h]``.
    """
    now = now or datetime.now(timezone.utc)
    try:
        seconds = float(str(expires_in)) if not isinstance(expires_in, bool) else math.nan
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds):
        seconds = DEFAULT_B2B_LIFETIME
    seconds = min(max(seconds, 0.0), MAX_B2B_LIFETIME)
    return datetime.fromtimestamp(now.timestamp() + seconds, tz=timezone.utc)
