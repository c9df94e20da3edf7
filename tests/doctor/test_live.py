"""``--live`` against the simulator on a real HTTP server, healthy and broken."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from django_doku_allo.simulator import faults
from tests.doctor.conftest import run_doctor
from tests.support.keys import KeyPair

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_healthy_simulator_answers_with_a_token_and_accepts_our_secret(
        live_simulator: Any) -> None:
    run = run_doctor("--live")

    assert run.exit_code == 0, run.output
    assert "DOKU issued a B2B token (2007300" in run.text
    assert "the token is not shown" in run.text
    assert "CLIENT_SECRET is right" in run.text
    assert "Clock: within" in run.text


def _base_url(settings: Any) -> str:
    return str(settings.DOKU_ALLO["BASE_URL"])


def _port(live_simulator: Any) -> int:
    return int(urlsplit(live_simulator.url).port or 80)


def _unreachable(settings: Any, live: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "BASE_URL": "http://127.0.0.1:9/doku-simulator"}


def _unknown_host(settings: Any, live: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "BASE_URL": "http://doku-doctor.invalid/x"}


def _tls_on_a_plain_port(settings: Any, live: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO,
                          "BASE_URL": f"https://127.0.0.1:{_port(live)}/doku-simulator"}


def _slow_doku(settings: Any, live: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "READ_TIMEOUT": 0.5, "DEADLINE": 1.0}
    faults.add_latency("token_b2b", 1.5, times=1)


def _clock_ten_minutes_ahead(settings: Any, live: Any) -> None:
    from django_doku_allo.doctor import live as doctor_live

    # Our clock, not DOKU's, is off: the simulator answers with the real time.
    setattr(doctor_live, "now", lambda: time.time() + 600)  # noqa: B010 - undone below


def _doku_down(settings: Any, live: Any) -> None:
    faults.force_error("token_b2b", "5007300", times=1)


def _unknown_client_id(settings: Any, live: Any) -> None:
    known = settings.DOKU_ALLO["CLIENT_ID"]
    settings.DOKU_ALLO_SIMULATOR = {**settings.DOKU_ALLO_SIMULATOR, "CLIENT_ID": known}
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "CLIENT_ID": "BRN-0001-NOT-AT-DOKU"}


def _other_key_uploaded(settings: Any, live: Any) -> None:
    settings.DOKU_ALLO_SIMULATOR = {**settings.DOKU_ALLO_SIMULATOR,
                                    "MERCHANT_PUBLIC_KEY": KeyPair.generate().public_spki}


def _wrong_client_secret(settings: Any, live: Any) -> None:
    known = settings.DOKU_ALLO["CLIENT_SECRET"]
    settings.DOKU_ALLO_SIMULATOR = {**settings.DOKU_ALLO_SIMULATOR, "CLIENT_SECRET": known}
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "CLIENT_SECRET": "SK-not-the-one-at-doku"}


def _not_doku(settings: Any, live: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "BASE_URL": f"{live.url}/no-such-prefix"}


# Each row: how the setup is broken, the problem the doctor must name, words of its advice.
BROKEN_LIVE = [
    ("unreachable-host", _unreachable, "live.refused", "Connection refused by 127.0.0.1:9"),
    ("dns-failure", _unknown_host, "live.dns",
     "DNS failure: the name doku-doctor.invalid cannot be resolved"),
    ("tls-error", _tls_on_a_plain_port, "live.tls", "does not speak TLS"),
    ("timeout", _slow_doku, "live.timeout", "READ_TIMEOUT 0.5 s"),
    ("clock-skew", _clock_ten_minutes_ahead, "live.clock_skew",
     "this server's clock is 6?? s ahead of DOKU's"),
    ("doku-error", _doku_down, "live.doku_error", "not in this setup"),
    ("unknown-client-id", _unknown_client_id, "live.unknown_client",
     "Copy CLIENT_ID again from DOKU's back office"),
    ("public-key-at-doku-differs", _other_key_uploaded, "live.signature",
     "String signed: BRN-0001-1700000000001|"),
    ("wrong-client-secret", _wrong_client_secret, "live.client_secret",
     "Copy the Secret Key again from DOKU's back office"),
    ("base-url-not-doku", _not_doku, "live.not_snap", "check BASE_URL's prefix"),
]


@pytest.mark.parametrize(("breakage", "problem", "advice"), [row[1:] for row in BROKEN_LIVE],
                         ids=[row[0] for row in BROKEN_LIVE])
def test_each_live_failure_is_explained(live_simulator: Any, settings: Any,
                                        monkeypatch: pytest.MonkeyPatch, breakage: Any,
                                        problem: str, advice: str) -> None:
    from django_doku_allo.doctor import live as doctor_live

    monkeypatch.setattr(doctor_live, "now", doctor_live.now)  # restored after the test
    breakage(settings, live_simulator)
    run = run_doctor("--live")

    assert run.exit_code == 1, run.output
    assert problem in run.failures, run.output
    # "??": the server's clock reads in whole seconds, so a skew may print one off.
    assert re.search(re.escape(advice).replace(r"\?\?", r"\d\d"), run.text), run.output
    assert "SK-" not in run.output  # no client secret, ever


def test_a_skewed_clock_is_also_why_doku_refused_the_timestamp(
        live_simulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from django_doku_allo.doctor import live as doctor_live

    monkeypatch.setattr(doctor_live, "now", lambda: time.time() - 900)
    run = run_doctor("--live")

    assert {"live.clock_skew", "live.timestamp"} <= run.failures
    assert re.search(r"(899|900|901) s behind DOKU's", run.text), run.output
    assert "Synchronise" in run.text


def test_live_is_skipped_when_the_key_does_not_load(live_simulator: Any,
                                                    settings: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "PRIVATE_KEY": ""}
    run = run_doctor("--live")
    assert "Cannot ask DOKU for a token" in run.text
    assert run.exit_code == 1
