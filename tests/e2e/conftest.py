"""The example shop as a real server in its own process, and Debian's Chromium.

The server is a separate process with its own SQLite database, keys and port, so
these tests need no ``django_db`` fixture and leave nothing behind in the suite's
database (nor in example_project/var/).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from .support import (
    ARTIFACTS,
    ROOT,
    ShopServer,
    debian_chromium,
    example_env,
    free_port,
    manage,
    wait_until_serving,
)


@pytest.fixture(scope="session")
def shop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopServer]:
    """``manage.py runserver`` of the example project: shop and simulator in one process.

    One for the whole run: every browser test shares it (users keep to their own data).

    runserver is threaded, so the simulator's calls back into the shop (the token
    request and notification of its delivery thread, the shop's calls to the
    simulator) are served while another request waits on them.
    """
    workdir = tmp_path_factory.mktemp("example-shop")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = example_env(workdir, base_url=url)
    manage(env, "migrate", "--noinput")
    manage(env, "create_demo_user")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Once per run, before any screenshot: a shorter run must not leave a stale tail of
    # an older one (the files are test-artifacts/e2e/<lang>/<width>/NN-step.png).
    for stale in ARTIFACTS.glob("**/[0-9][0-9]-*.png"):
        stale.unlink()
    server = ShopServer(url=url, log=ARTIFACTS / "server.log",
                        database=workdir / "shop.sqlite3")
    with server.log.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}",
             "--noreload"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(process, server)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    # Module scope, not session: Playwright's sync API keeps an event loop alive while
    # open, and Django refuses ORM calls from other tests while one is running.
    with debian_chromium() as browser:
        yield browser
