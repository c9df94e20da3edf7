"""The crash harness, tiny: 5 payments through gunicorn with SIGKILLs, then reconciliation.

The full run is ``python benchmarks/crash_harness.py --payments 50`` (figures in
docs/crash-harness.md); this keeps the harness itself from rotting. It needs PostgreSQL
(the harness drops and re-creates its own database next to DATABASE_URL's).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_five_payments_with_kills_end_settled_and_matching_the_ledger() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the crash harness runs gunicorn on PostgreSQL; set DATABASE_URL to "
                    "PostgreSQL (it uses its own database crash_harness_smoke beside it)")
    crash_url = urlsplit(url)._replace(path="/crash_harness_smoke").geturl()

    done = subprocess.run(
        [sys.executable, "benchmarks/crash_harness.py", "--payments", "5", "--seed", "7",
         "--kill-rate", "0.4", "--window", "3", "--no-write"],
        cwd=REPO, env={**os.environ, "CRASH_DATABASE_URL": crash_url},
        capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "| verdict | PASS |" in done.stdout
    assert "| **mismatches** (ours vs DOKU's ledger) | 0 |" in done.stdout
