"""The benchmark site as the benchmarks run it: a fresh database, Django, gunicorn."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.locations import DEFAULT_DATABASE_URL, REPO, SIMULATOR_PREFIX, VAR_DIR
from benchmarks.meters import process_cpu_seconds

VENV_BIN = Path(sys.executable).parent


# --------------------------------------------------------------------------- database, Django
def database_url() -> str:
    """The bench database's URL, also put in the environment for the servers we start."""
    return os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def recreate_database() -> None:
    """Drop and create the bench database: every run starts from the same empty state."""
    import psycopg
    from psycopg import sql

    url = urlsplit(database_url())
    name = url.path.lstrip("/")
    server = url._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(*, fresh_database: bool, base_url: str | None = None) -> None:
    """Configure Django with ``benchmarks.settings``; optionally a new, migrated database.

    ``base_url`` (the simulator's URL) must be known before settings load.
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    if base_url:
        os.environ["BENCH_BASE_URL"] = base_url
    database_url()
    if fresh_database:
        recreate_database()
    import django

    django.setup()
    if fresh_database:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- gunicorn
def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout} s")


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the master we started)."""
        pids: list[int] = []
        for task in Path(f"/proc/{self.pid}/task").glob("*/children"):
            pids.extend(int(p) for p in task.read_text().split())
        return pids

    def workers_cpu_seconds(self) -> float:
        return sum(process_cpu_seconds(pid) for pid in self.worker_pids())


@contextlib.contextmanager
def gunicorn(port: int, *, workers: int, threads: int = 1, name: str,
             timeout: float = 60.0, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Serve the benchmark site with gunicorn on 127.0.0.1:``port``.

    ``threads > 1`` uses the gthread worker (HTTP keep-alive, like DOKU's front door);
    otherwise gunicorn's default sync worker (one request per connection).
    """
    VAR_DIR.mkdir(exist_ok=True)
    log = VAR_DIR / f"gunicorn-{name}.log"
    args = [
        str(VENV_BIN / "gunicorn"), "benchmarks.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--log-level", "warning", "--error-logfile", str(log),
        "--backlog", "2048", "--timeout", "120", "--keep-alive", "30",
    ]
    if threads > 1:
        args += ["--worker-class", "gthread", "--threads", str(threads)]
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings", **(env or {})}
    proc = subprocess.Popen(args, cwd=REPO, env=environment, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{base}{SIMULATOR_PREFIX}/_control/faults", proc, log, timeout)
        yield Server(url=base, pid=proc.pid)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
