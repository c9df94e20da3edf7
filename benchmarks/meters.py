"""What the benchmarks count while they run: CPU time by process, HTTP requests, queries.

CPU comes from /proc (Linux only), so that the figures split a whole-machine run into the
benchmark's own processes (gunicorn workers, PostgreSQL backends, this process) and the
other jobs of a shared machine.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # servers imports this module for process_cpu_seconds
    from benchmarks.servers import Server

# --------------------------------------------------------------------------- CPU
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy since boot (/proc/stat: not idle, not iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / _CLOCK_TICKS


def wait_for_quiet(*, threshold: float = 0.25, max_wait: float | None = None) -> float:
    """Wait (up to ``max_wait`` s, env BENCH_QUIET_WAIT, default 120) until other jobs keep
    fewer than ``threshold`` CPUs busy over 3 s; returns the last load seen (CPUs busy).

    The machine may be shared: starting in a quiet moment makes runs comparable.
    """
    if max_wait is None:
        max_wait = float(os.environ.get("BENCH_QUIET_WAIT", "120"))
    deadline = time.monotonic() + max_wait
    while True:
        before, started = machine_busy_seconds(), time.monotonic()
        time.sleep(3)
        load = (machine_busy_seconds() - before) / (time.monotonic() - started)
        if load < threshold or time.monotonic() >= deadline:
            return load
        print(f"  other jobs keep {load:.2f} CPUs busy; waiting for a quiet moment ...",
              flush=True)


def bench_db_backends() -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to the bench database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        pids = [int(row[0]) for row in cursor.fetchall()]
    return {pid: process_cpu_seconds(pid) for pid in pids}


class CpuWindow:
    """Where the CPU went during a ``with`` block: the benchmark's processes and the rest.

    ``app``: the gunicorn workers; ``db``: PostgreSQL backends of the bench database;
    ``local``: this process and its finished children (wrk); ``other``: everything else
    on the machine (other users' jobs), all in CPU seconds.
    """

    def __init__(self, server: Server | None = None) -> None:
        self.server = server
        self.app = self.db = self.local = self.machine = self.other = self.seconds = 0.0

    def _local(self) -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    def __enter__(self) -> CpuWindow:
        self._started = time.monotonic()
        self._machine = machine_busy_seconds()
        self._localcpu = self._local()
        self._app = self.server.workers_cpu_seconds() if self.server else 0.0
        self._db = bench_db_backends()
        return self

    def __exit__(self, *exc: object) -> None:
        db = bench_db_backends()
        self.db = sum(cpu - self._db.get(pid, 0.0) for pid, cpu in db.items())
        self.app = (self.server.workers_cpu_seconds() - self._app) if self.server else 0.0
        self.local = self._local() - self._localcpu
        self.machine = machine_busy_seconds() - self._machine
        self.seconds = time.monotonic() - self._started
        self.other = max(self.machine - self.app - self.db - self.local, 0.0)

    def as_dict(self) -> dict[str, float]:
        return {"seconds": self.seconds, "app_cpu_s": self.app, "db_cpu_s": self.db,
                "local_cpu_s": self.local, "machine_busy_cpu_s": self.machine,
                "other_cpu_s": self.other,
                "other_cores": self.other / self.seconds if self.seconds else 0.0}


# --------------------------------------------------------------------------- HTTP requests
class RequestCounter:
    """Counts HTTP requests sent through ``requests`` (both clients use it) while active."""

    def __init__(self) -> None:
        import requests.adapters

        self.adapter = requests.adapters.HTTPAdapter
        self.original = self.adapter.send
        self.count = 0

    def __enter__(self) -> RequestCounter:
        original = self.original

        def send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(adapter, request, *args, **kwargs)

        self.adapter.send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.adapter.send = self.original  # type: ignore[method-assign]


# --------------------------------------------------------------------------- SQL queries
@contextmanager
def timed_queries() -> Iterator[list[tuple[str, float]]]:
    """Every query run meanwhile, with its duration measured around the database call."""
    from django.db import connection

    log: list[tuple[str, float]] = []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            log.append((sql, time.perf_counter() - started))

    with connection.execute_wrapper(wrapper):
        yield log


@contextmanager
def query_counter() -> Iterator[list[int]]:
    """How many queries run meanwhile (``[count]``); cheaper than timing each one."""
    from django.db import connection

    count = [0]

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


# --------------------------------------------------------------------------- PostgreSQL
def pg_counters() -> dict[str, int]:
    """WAL position, next transaction id and this database's commit/rollback counters.

    Read through Django's connection (autocommit): ``pg_stat_force_next_flush()`` first, so
    that this backend's own pending statistics are flushed when it goes idle and the
    second statement sees them. WAL and transaction ids are cluster-wide (other databases'
    work shows there too), ``xact_commit`` is this database's, all sessions (PostgreSQL 15+).
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,"
            " pg_snapshot_xmax(pg_current_snapshot())::text::bigint,"
            " xact_commit, xact_rollback"
            " FROM pg_stat_database WHERE datname = current_database()")
        wal, next_xid, commits, rollbacks = cursor.fetchone()
    return {"wal_bytes": int(wal), "xids": int(next_xid), "commits": int(commits),
            "rollbacks": int(rollbacks)}


@contextmanager
def round_trips() -> Iterator[dict[str, int]]:
    """Statements (Django's cursor) and psycopg's own commands (BEGIN, COMMIT, ROLLBACK):
    every round trip to PostgreSQL of this process meanwhile (psycopg 3, no pipeline)."""
    from django.db import connection
    from psycopg import _connection_base

    counts = {"statements": 0, "commands": 0}
    base = _connection_base.BaseConnection
    original = base._exec_command

    def exec_command(conn: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        counts["commands"] += 1
        return original(conn, command, *args, **kwargs)

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                context: Any) -> Any:
        counts["statements"] += 1
        return execute(sql, params, many, context)

    base._exec_command = exec_command  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(wrapper):
            yield counts
    finally:
        base._exec_command = original  # type: ignore[method-assign]
