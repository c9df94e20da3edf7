"""Plumbing shared by the benchmarks: the bench database, servers, statistics, results.

Every benchmark writes ``benchmarks/results/<name>.json``::

    {"benchmark": name, "title": ..., "command": ..., "machine": {...}, "config": {...},
     "tables": [{"title": ..., "columns": [...], "rows": [[...], ...]}],
     "notes": [...], "data": {...raw figures...}}

``update_readme.py`` renders ``title``, ``machine``, ``tables`` and ``notes``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VAR_DIR = BENCH_DIR / "var"
VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"
SIMULATOR_PREFIX = "/doku-simulator"


# --------------------------------------------------------------------------- database, Django
def database_url() -> str:
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


def simulator_url(port: int) -> str:
    return f"http://127.0.0.1:{port}{SIMULATOR_PREFIX}"


# --------------------------------------------------------------------------- servers
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


def pem_parse_ms(repeat: int = 10) -> float:
    """Median ms to parse the benchmark's 2048-bit RSA private key PEM (cryptography)."""
    from cryptography.hazmat.primitives import serialization

    pem = (VAR_DIR / "merchant.pem").read_bytes()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        serialization.load_pem_private_key(pem, password=None)
        times.append(time.perf_counter() - started)
    return percentile([t * 1000 for t in times], 50)


# --------------------------------------------------------------------------- statistics
def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """Median, p90, p99, mean, min and max of durations given in seconds, in milliseconds."""
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "median": percentile(ms, 50),
        "p90": percentile(ms, 90),
        "p99": percentile(ms, 99),
        "mean": sum(ms) / len(ms) if ms else float("nan"),
        "min": min(ms) if ms else float("nan"),
        "max": max(ms) if ms else float("nan"),
    }


def fmt_ms(value: float) -> str:
    if value != value:  # NaN
        return "-"
    if value < 1:
        return f"{value:.3f}"
    if value < 100:
        return f"{value:.2f}"
    return f"{value:,.0f}"


def fmt_ratio(value: float) -> str:
    return "-" if value != value else f"{value:.2f}x"


# --------------------------------------------------------------------------- the machine
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return float("nan")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _postgres_version() -> str:
    try:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return str(cursor.fetchone()[0]).split()[0]
    except Exception:
        return "unknown"


def code_version() -> str:
    """The commit measured (read-only git), marked when the working tree differs from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=REPO, capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+changes" if dirty else commit


def machine() -> dict[str, Any]:
    """What ran the benchmark; goes into every result."""
    return {
        "code": code_version(),
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "nproc": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": _version("django"),
        "djangorestframework": _version("djangorestframework"),
        "postgresql": _postgres_version(),
        "psycopg": _version("psycopg"),
        "gunicorn": _version("gunicorn"),
        "requests": _version("requests"),
        "cryptography": _version("cryptography"),
        "doku-python-library": _version("doku-python-library"),
    }


def machine_line(info: dict[str, Any]) -> str:
    return (f"{info['cpu']}, {info['nproc']} CPUs, {info['ram_gib']} GiB RAM; "
            f"Python {info['python']}, Django {info['django']}, "
            f"PostgreSQL {info['postgresql']}; code {info.get('code', '?')}; {info['date']}")


# --------------------------------------------------------------------------- results
def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return {"title": title, "columns": list(columns),
            "rows": [[str(cell) for cell in row] for row in rows]}


def render_text(result: dict[str, Any]) -> str:
    """The result as plain text tables, for the terminal."""
    lines = [result["title"], "=" * len(result["title"]),
             "machine: " + machine_line(result["machine"]), ""]
    for tab in result["tables"]:
        columns = tab["columns"]
        widths = [max(len(str(c)), *(len(row[i]) for row in tab["rows"])) if tab["rows"]
                  else len(str(c)) for i, c in enumerate(columns)]
        lines.append(tab["title"])
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        for row in tab["rows"]:
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        lines.append("")
    lines.extend(f"* {note}" for note in result.get("notes", []))
    return "\n".join(lines)


def _md(text: str) -> str:
    """Plain text safe in a Markdown table cell or list item."""
    return text.replace("|", "\\|").replace("*", "\\*")


def render_markdown(result: dict[str, Any]) -> str:
    """The result as a README subsection."""
    out = [f"### {result['title']}", "",
           f"`{result['command']}` on {machine_line(result['machine'])}.", ""]
    for tab in result["tables"]:
        out.append(f"**{tab['title']}**")
        out.append("")
        out.append("| " + " | ".join(tab["columns"]) + " |")
        out.append("|" + "|".join("---" for _ in tab["columns"]) + "|")
        out.extend("| " + " | ".join(_md(cell) for cell in row) + " |" for row in tab["rows"])
        out.append("")
    out.extend(f"- {_md(note)}" for note in result.get("notes", []))
    if result.get("notes"):
        out.append("")
    return "\n".join(out)


def finish(name: str, result: dict[str, Any]) -> None:
    """Print the result and write it to ``results/<name>.json``."""
    path = write_result(name, result)
    print(render_text(result))
    print(f"\nwritten to {path.relative_to(REPO)}")
