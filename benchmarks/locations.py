"""Where the benchmarks keep things: directories, their database, the simulator's URL.

One home for these so that the settings (loaded by every gunicorn worker) and the scripts
(which start those workers) agree without the settings importing the scripts' plumbing.
"""

from __future__ import annotations

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
#: The latest figures, committed with the README they fed.
RESULTS_DIR = BENCH_DIR / "results"
#: Ignored by git: development keys, gunicorn's error logs, wrk's generated Lua.
VAR_DIR = BENCH_DIR / "var"

#: Dropped and re-created by every benchmark (BENCH_DATABASE_URL overrides it).
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"
SIMULATOR_PREFIX = "/doku-simulator"


def simulator_url(port: int) -> str:
    """Where the benchmark site, served on ``port``, answers as DOKU."""
    return f"http://127.0.0.1:{port}{SIMULATOR_PREFIX}"
