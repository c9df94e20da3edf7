"""What ran a benchmark: hardware, versions, the commit; recorded with every result."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.locations import REPO, VAR_DIR
from benchmarks.stats import percentile


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


def pem_parse_ms(repeat: int = 10) -> float:
    """Median ms to parse the benchmark's 2048-bit RSA private key PEM (cryptography).

    Part of the machine's description: the notes explain CPU figures with it (DOKU's SDK
    parses a key per signature; this app once parsed one per notification).
    """
    from cryptography.hazmat.primitives import serialization

    pem = (VAR_DIR / "merchant.pem").read_bytes()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        serialization.load_pem_private_key(pem, password=None)
        times.append(time.perf_counter() - started)
    return percentile([t * 1000 for t in times], 50)

