"""Faults are shared by every process serving the simulator, and each use is taken once.

Two ``manage.py runserver --noreload`` processes serve one simulator database (a SQLite
file; also PostgreSQL when DATABASE_URL points at it); a third process, or one server's
control API, queues the fault; requests to the other server meet it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
SETTINGS = "tests.simulator.process_settings"
CONTROL = "/doku-simulator/_control"
TOKEN = "/doku-simulator/authorization/v1/access-token/b2b"
MARK = "injected across processes"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(url: str, data: dict[str, Any] | None = None, timeout: float = 10) -> tuple[int, Any]:
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, method="GET" if data is None else "POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")


def _token_request(base: str) -> tuple[int, Any]:
    """An unsigned B2B token request: refused (400) unless a forced error comes first.

    Unsigned so that the requests that meet no fault write nothing and never compete
    for the database; only the fault claims do.
    """
    return _call(base + TOKEN, {"grantType": "client_credentials"})


def _injected(answer: tuple[int, Any]) -> bool:
    return isinstance(answer[1], dict) and answer[1].get("responseMessage") == MARK


@dataclass
class Servers:
    a: str
    b: str
    env: dict[str, str]

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args, "--settings", SETTINGS],
                       cwd=REPO, env=self.env, check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _postgres_url(name: str) -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def _postgres(url: str, statement: str) -> None:
    import psycopg

    server = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def _servers(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    tmp_path = tmp_path_factory.mktemp("simulator")
    if request.param == "sqlite":
        # IMMEDIATE: a writer takes the lock when its transaction begins, so two
        # processes wait for each other instead of failing with "database is locked".
        url = f"sqlite:///{tmp_path / 'simulator.sqlite3'}?transaction_mode=IMMEDIATE"
        name = None
    else:
        name = f"simfaults_procs_{os.getpid()}"
        found = _postgres_url(name)
        if found is None:
            pytest.skip("the PostgreSQL variant needs DATABASE_URL pointing at PostgreSQL")
        url = found
        _postgres(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _postgres(url, f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(REPO)}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        helper = Servers("", "", env)
        helper.manage("migrate", "--noinput", "-v", "0")
        bases = []
        for _ in range(2):
            port = _free_port()
            procs.append(subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks",
                 f"127.0.0.1:{port}", "--settings", SETTINGS],
                cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        for base in bases:
            while True:
                try:
                    if _call(base + CONTROL + "/faults", timeout=2)[0] == 200:
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"the simulator at {base} did not start")
                time.sleep(0.1)
        yield Servers(bases[0], bases[1], env)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if name is not None:
            _postgres(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def servers(_servers: Servers) -> Servers:
    """The two servers, with no fault left by an earlier test."""
    assert _call(_servers.a + CONTROL + "/faults/reset", {})[0] == 200
    return _servers


def test_a_fault_queued_by_one_process_is_met_by_a_request_another_serves(
        servers: Servers) -> None:
    # A third process (a management shell) queues it with the Python API.
    servers.manage("shell", "-c",
                   "from django_doku_allo.simulator import faults; "
                   f"faults.force_error('token_b2b', '5007300', message={MARK!r})")

    first = _token_request(servers.b)
    then = [_token_request(servers.a), _token_request(servers.b)]

    assert first[0] == 500
    assert _injected(first)
    assert [status for status, _ in then] == [400, 400]
    assert _call(servers.a + CONTROL + "/faults")[1]["faults"] == []


def test_latency_set_through_one_server_slows_the_other(servers: Servers) -> None:
    status, _ = _call(servers.a + CONTROL + "/faults",
                      {"kind": "latency", "operation": "token_b2b", "seconds": 0.6, "times": 1})

    started = time.monotonic()
    _token_request(servers.b)
    slow = time.monotonic() - started
    started = time.monotonic()
    _token_request(servers.a)
    fast = time.monotonic() - started

    assert status == 200
    assert slow >= 0.6
    assert fast < 0.6


def test_concurrent_requests_to_two_servers_take_each_use_once(servers: Servers) -> None:
    status, _ = _call(servers.b + CONTROL + "/faults",
                      {"kind": "error", "operation": "token_b2b", "code": "5007300",
                       "message": MARK, "times": 10})

    bases = [servers.a, servers.b] * 20
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(_token_request, bases))

    assert status == 200
    assert sum(_injected(answer) for answer in answers) == 10
    assert {status for status, _ in answers} == {400, 500}
    assert _call(servers.a + CONTROL + "/faults")[1]["faults"] == []
