"""The B2B token: cached in a shared store, refreshed early, fetched once per window."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache

from django_doku_allo.snap.errors import RetryableError
from django_doku_allo.snap.messages import AccessToken
from django_doku_allo.snap.tokens import (
    B2BTokenProvider,
    MemoryTokenStore,
    TokenStore,
    expiry_from_seconds,
)
from tests.support.threads import run_together, succeeded

KEY = "doku_allo:b2b:test"
LOCK_KEY = f"{KEY}:lock"


class Clock:
    """Wall-clock stand-in the provider reads; tests move it forward."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Fetcher:
    """Counts token requests; each one may take ``delay`` seconds and can be told to fail."""

    def __init__(self, clock: Callable[[], float], lifetime: float = 900.0,
                 delay: float = 0.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.delay = delay
        self.calls = 0
        self.fail_next = 0
        self._counter = itertools.count(1)
        self._mutex = threading.Lock()

    def __call__(self) -> AccessToken:
        with self._mutex:
            self.calls += 1
            failing = self.fail_next > 0
            self.fail_next -= failing
            number = next(self._counter)
        if self.delay:
            time.sleep(self.delay)
        if failing:
            raise RetryableError("DOKU is down", operation="b2b_token")
        expires = datetime.fromtimestamp(self.clock() + self.lifetime, tz=timezone.utc)
        return AccessToken(access_token=f"token-{number}", expires_at=expires)


@pytest.fixture(params=["memory-store", "django-locmem-cache"])
def store(request: pytest.FixtureRequest) -> TokenStore:
    if request.param == "memory-store":
        return MemoryTokenStore()
    # A Django cache backend used directly: no settings needed.
    return LocMemCache(f"snap-tokens-{uuid.uuid4().hex}", {})


@pytest.fixture
def clock() -> Clock:
    return Clock()


def provider(store: TokenStore, fetch: Callable[[], AccessToken], clock: Callable[[], float],
             **overrides: Any) -> B2BTokenProvider:
    options: dict[str, Any] = {"key": KEY, "refresh_margin": 60.0, "lock_timeout": 5.0,
                               "wait_timeout": 5.0, "clock": clock}
    options.update(overrides)
    return B2BTokenProvider(store, fetch, **options)


def run_in_threads(count: int, target: Callable[[], str]) -> list[str]:
    """Start ``count`` threads together; return what each got (raising the first error)."""
    return succeeded(run_together([target] * count, workers=count))


# --------------------------------------------------------------------------- caching
def test_one_fetch_serves_every_call_until_refresh_time(store: TokenStore, clock: Clock) -> None:
    fetch = Fetcher(clock)
    tokens = provider(store, fetch, clock)
    assert {tokens.get() for _ in range(50)} == {"token-1"}
    clock.advance(600)
    assert tokens.get() == "token-1"
    assert fetch.calls == 1


def test_token_is_refreshed_the_margin_before_it_expires(store: TokenStore, clock: Clock) -> None:
    fetch = Fetcher(clock, lifetime=900)
    tokens = provider(store, fetch, clock, refresh_margin=60)
    assert tokens.get() == "token-1"
    clock.advance(839)
    assert tokens.get() == "token-1"
    clock.advance(2)  # 841 s: inside the 60 s margin, 59 s before DOKU's expiry
    assert tokens.get() == "token-2"
    assert fetch.calls == 2


def test_short_lived_token_is_refreshed_at_half_life(store: TokenStore, clock: Clock) -> None:
    # Lifetime 20 s < margin 60 s: without the half-life rule it would never count as fresh.
    fetch = Fetcher(clock, lifetime=20)
    tokens = provider(store, fetch, clock, refresh_margin=60)
    assert tokens.get() == "token-1"
    clock.advance(9.5)
    assert tokens.get() == "token-1"
    clock.advance(1)
    assert tokens.get() == "token-2"
    assert fetch.calls == 2


def test_token_already_expired_on_arrival_is_used_once_and_fetched_again_next_time(
    store: TokenStore, clock: Clock,
) -> None:
    fetch = Fetcher(clock, lifetime=0)
    tokens = provider(store, fetch, clock)
    assert tokens.get() == "token-1"
    assert tokens.get() == "token-2"


def test_the_token_is_shared_through_the_store_by_every_provider(
    store: TokenStore, clock: Clock,
) -> None:
    # Two processes (or two clients) with one cache cost one token request.
    fetch = Fetcher(clock)
    first, second = provider(store, fetch, clock), provider(store, fetch, clock)
    assert first.get() == second.get() == "token-1"
    assert fetch.calls == 1


# --------------------------------------------------------------------------- single flight
def test_sixteen_threads_with_a_slow_fetch_cause_exactly_one_fetch_per_expiry_window(
    store: TokenStore, clock: Clock,
) -> None:
    fetch = Fetcher(clock, lifetime=900, delay=0.2)
    tokens = provider(store, fetch, clock)
    assert set(run_in_threads(16, tokens.get)) == {"token-1"}
    assert fetch.calls == 1
    clock.advance(850)  # past refresh time (840 s)
    assert set(run_in_threads(16, tokens.get)) == {"token-2"}
    assert fetch.calls == 2


def test_invalidate_by_many_threads_causes_exactly_one_refetch(
    store: TokenStore, clock: Clock,
) -> None:
    fetch = Fetcher(clock, delay=0.2)
    tokens = provider(store, fetch, clock)
    stale = tokens.get()
    assert set(run_in_threads(16, lambda: tokens.invalidate(stale))) == {"token-2"}
    assert fetch.calls == 2


def test_invalidate_of_a_token_already_replaced_fetches_nothing(
    store: TokenStore, clock: Clock,
) -> None:
    fetch = Fetcher(clock)
    tokens = provider(store, fetch, clock)
    stale = tokens.get()
    assert tokens.invalidate(stale) == "token-2"
    assert tokens.invalidate(stale) == "token-2"  # a late 401 for the old token
    assert fetch.calls == 2


def test_a_crashed_refreshers_lock_expires_and_a_waiter_takes_over(
    store: TokenStore, clock: Clock,
) -> None:
    # A process died while holding the lock: the lock key stays, nobody deletes it.
    assert store.add(LOCK_KEY, "dead-process", timeout=0.3)
    fetch = Fetcher(clock)
    tokens = provider(store, fetch, clock, lock_timeout=0.3, wait_timeout=3.0)
    started = time.monotonic()
    assert tokens.get() == "token-1"
    assert time.monotonic() - started >= 0.2
    assert fetch.calls == 1


def test_a_waiter_gives_up_with_retryable_error_when_the_lock_outlives_its_patience(
    store: TokenStore, clock: Clock,
) -> None:
    assert store.add(LOCK_KEY, "busy-process", timeout=30)
    fetch = Fetcher(clock)
    tokens = provider(store, fetch, clock, wait_timeout=0.2)
    with pytest.raises(RetryableError, match="B2B token"):
        tokens.get()
    assert fetch.calls == 0


def test_a_failed_fetch_releases_the_lock_so_the_next_caller_fetches_at_once(
    store: TokenStore, clock: Clock,
) -> None:
    fetch = Fetcher(clock)
    fetch.fail_next = 1
    tokens = provider(store, fetch, clock, wait_timeout=0.1)
    with pytest.raises(RetryableError, match="DOKU is down"):
        tokens.get()
    assert store.get(LOCK_KEY) is None
    assert tokens.get() == "token-2"


def test_the_store_never_holds_the_lock_after_a_successful_refresh(
    store: TokenStore, clock: Clock,
) -> None:
    tokens = provider(store, Fetcher(clock), clock)
    tokens.get()
    assert store.get(LOCK_KEY) is None


# --------------------------------------------------------------------------- the memory store
def test_memory_store_follows_djangos_timeout_meaning() -> None:
    now = [100.0]
    store = MemoryTokenStore(clock=lambda: now[0])
    store.set("forever", 1, timeout=None)
    store.set("gone", 2, timeout=0)
    store.set("short", 3, timeout=5)
    assert store.get("forever") == 1
    assert store.get("gone") is None
    assert store.get("short") == 3
    now[0] += 5
    assert store.get("short", "default") == "default"
    assert store.add("short", 4, timeout=5)
    assert not store.add("short", 5, timeout=5)
    store.delete("short")
    store.delete("never-there")
    assert store.get("short") is None


# --------------------------------------------------------------------------- expiresIn
NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(("expires_in", "seconds"), [
    (900, 900), ("900", 900), (899.5, 899.5), ("60", 60), (0, 0), (-5, 0),
    (None, 900), ("", 900), ("soon", 900), ("NaN", 900), ("inf", 900), (float("nan"), 900),
    (True, 900), ({"s": 1}, 900), (10**12, 86400), ("1e20", 86400),
])
def test_expires_in_accepts_numbers_and_numeric_strings_and_falls_back_to_900(
    expires_in: Any, seconds: float,
) -> None:
    assert expiry_from_seconds(expires_in, now=NOW) == NOW + timedelta(seconds=seconds)
