"""Helpers of the end-to-end tests: the example project in a subprocess, screenshots."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
# Debian's build, never a downloaded one; flags keep it quiet and offline in CI containers.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_START_TIMEOUT = 30.0
#: Straight to the local server, whatever proxy the environment names.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@contextmanager
def debian_chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright (``playwright install`` is never used).

    Skips the test when it is not installed. Start it after the test's database
    work: Playwright's sync API keeps an event loop running in this thread, and
    Django refuses ORM calls from such a thread.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} "
                    "(apt-get install chromium; scripts/test does this when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _write_private_key(path: Path) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return str(path)


def example_env(workdir: Path, base_url: str = "http://127.0.0.1:8000") -> dict[str, str]:
    """Environment of an example-project process confined to ``workdir``.

    Fresh keys and database each time, so a run never reads or writes the developer's
    example_project/var/ (and DATABASE_URL pointing at the suite's PostgreSQL is ignored).
    """
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "DJANGO_DEBUG": "1",  # runserver serves the admin's static files only with DEBUG
        "DATABASE_URL": f"sqlite:///{workdir / 'shop.sqlite3'}",
        "DOKU_ALLO_ENVIRONMENT": "simulator",
        "DOKU_ALLO_BASE_URL": f"{base_url}/doku-simulator",
        "DOKU_ALLO_PRIVATE_KEY_PATH": _write_private_key(workdir / "merchant.pem"),
        "DOKU_ALLO_SIMULATOR_PRIVATE_KEY_PATH": _write_private_key(workdir / "doku.pem"),
        "DOKU_ALLO_TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode("ascii"),
        "PYTHONUNBUFFERED": "1",
    })
    # The shop calls its simulator on 127.0.0.1 with requests, which would otherwise
    # follow a proxy set in a CI environment.
    no_proxy = ",".join(filter(None, ("127.0.0.1,localhost", env.get("NO_PROXY"),
                                      env.get("no_proxy"))))
    env["NO_PROXY"] = env["no_proxy"] = no_proxy
    # The example derives DOKU's public key from the simulator's private key.
    env.pop("DOKU_ALLO_DOKU_PUBLIC_KEY_PATH", None)
    return env


def manage(env: dict[str, str], *args: str,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the example project's manage.py; fail the test with its output if it fails."""
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=timeout,
                            check=False)
    if result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} exited {result.returncode}:\n"
                    f"{result.stdout}\n{result.stderr}")
    return result


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ShopServer:
    url: str
    log: Path
    #: The server's SQLite file: the tests read what the shop stored (never write).
    database: Path
    #: The server's SQLite file: the tests read what the shop stored (never write it).
    database: Path

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def wait_until_serving(process: subprocess.Popen[bytes], server: ShopServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the example shop exited with {process.returncode}:\n"
                        f"{server.log_tail()}")
        try:
            with _LOCAL.open(f"{server.url}/accounts/login/", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"the example shop did not answer within {SERVER_START_TIMEOUT:.0f} s:\n"
                f"{server.log_tail()}")


#: The widths every page of the tour is photographed at: a laptop and a phone.
WIDTHS = (1280, 390)
PHONE_WIDTH = 390
_VIEWPORT_HEIGHT = 900


#: Every page of the tour is kept at a desktop's width and at a phone's (an iPhone's 390 px).
SCREEN_WIDTHS = (1280, 390)
PHONE_WIDTH = 390
SCREEN_HEIGHT = 900


class Screenshots:
    """Numbered full-page screenshots at each width: ``<folder>/<width>/NN-step-name.png``.

    Taking one also checks, on the shop's own pages, that a phone never scrolls
    sideways (the simulator's and the admin's pages are kept, not judged).
    """

    def __init__(self, folder: Path, widths: tuple[int, ...] = SCREEN_WIDTHS, *,
                 first: int = 1) -> None:
        self.folder = folder
        self.widths = widths
        #: Tests sharing a folder number from different starts (01 for the tour, 51...).
        self.count = first - 1
        for width in widths:
            (folder / str(width)).mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Any, name: str, *, shop_page: bool = True) -> list[Path]:
        self.count += 1
        original = page.viewport_size
        paths = []
        try:
            for width in self.widths:
                page.set_viewport_size({"width": width, "height": SCREEN_HEIGHT})
                path = self.folder / str(width) / f"{self.count:02d}-{name}.png"
                page.screenshot(path=str(path), full_page=True)
                paths.append(path)
                if shop_page and width == PHONE_WIDTH:
                    assert_no_sideways_scroll(page, name)
        finally:
            if original:
                page.set_viewport_size(original)
        return paths


def assert_no_sideways_scroll(page: Any, name: str) -> None:
    """The page fits the viewport's width: nothing makes the whole page scroll sideways."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name}: the page is {overflow} px wider than a phone's screen"
