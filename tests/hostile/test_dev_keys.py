"""Six processes starting at once all load the example project's keys (finding 7).

The example shop's and the benchmarks' processes (gunicorn workers, the benchmark
itself) make their development keys on first use at the same moment; a key written
in place could be read half-written. ``example_project/keys.py`` writes atomically;
this proves it across real processes, all released at the same instant.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LOAD = """
import sys, time
from pathlib import Path
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from example_project.keys import DevKeys, public_key_path

start = float(sys.argv[2])
while time.time() < start:
    pass
keys = DevKeys(Path(sys.argv[1]))
private = keys.private_key("merchant")
load_pem_private_key(private.read_bytes(), password=None)
Path(public_key_path(private)).read_text().index("PUBLIC KEY")
Fernet(keys.fernet_key())
print("ok")
"""


@pytest.mark.parametrize("attempt", range(2))
def test_six_processes_starting_at_once_all_load_the_keys(tmp_path: Path, attempt: int
                                                          ) -> None:
    start = time.time() + 1.5  # every interpreter is up and waiting by then
    processes = [subprocess.Popen([sys.executable, "-c", LOAD, str(tmp_path / "var"),
                                   str(start)], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(6)]
    results = [p.communicate(timeout=60) for p in processes]

    failures = [err for p, (_, err) in zip(processes, results, strict=True) if p.returncode]
    assert not failures, failures[0]
    assert [out.strip() for out, _ in results] == ["ok"] * 6
