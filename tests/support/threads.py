"""Running work on real threads at the same moment, for the race tests."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection

__all__ = ["run_together", "succeeded"]

T = TypeVar("T")


def run_together(jobs: list[Callable[[], T]], workers: int = 16) -> list[T | BaseException]:
    """Run ``jobs`` on up to ``workers`` threads released at once, in order of ``jobs``.

    Each thread closes its database connection when done; an exception is
    returned in place of the result, so the test inspects every outcome.
    """
    workers = min(workers, len(jobs))
    barrier = threading.Barrier(workers)

    def run(job: Callable[[], T]) -> T | BaseException:
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=10)
            return job()
        except BaseException as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, jobs))


def succeeded(outcomes: Sequence[T | BaseException]) -> list[T]:
    """The results of :func:`run_together`, raising the first exception among them."""
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return list(outcomes)  # type: ignore[arg-type]
