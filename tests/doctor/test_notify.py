"""``--notify-self``: our notification endpoint verifies a notification signed as DOKU signs it."""

from __future__ import annotations

from typing import Any

import pytest

from django_doku_allo.models import Notification
from tests.doctor.conftest import run_doctor
from tests.support.keys import KeyPair


@pytest.mark.django_db
def test_in_process_with_the_simulators_doku_key_checks_both_legs_and_stores_nothing(
        settings: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "PUBLIC_BASE_URL": "https://shop.example.com"}
    run = run_doctor("--notify-self")

    assert run.exit_code == 0, run.output
    assert "a token request signed with the simulator's DOKU key got 2007300" in run.text
    assert "The notification was verified" in run.text
    assert Notification.objects.count() == 0  # rolled back


@pytest.mark.django_db(transaction=True)
def test_over_http_to_the_running_site(live_simulator: Any) -> None:
    run = run_doctor("--notify-self", "--url", live_simulator.url)

    assert run.exit_code == 0, run.output
    assert f"Over HTTP to {live_simulator.url}" in run.text
    assert "The notification was verified" in run.text
    stored = Notification.objects.get()
    assert stored.verified
    assert stored.original_partner_reference_no.startswith("DOCTOR")


@pytest.mark.django_db(transaction=True)
def test_url_without_a_value_is_public_base_url(live_simulator: Any) -> None:
    run = run_doctor("--notify-self", "--url")  # live_simulator set PUBLIC_BASE_URL
    assert f"Over HTTP to {live_simulator.url}" in run.text
    assert run.exit_code == 0, run.output


@pytest.mark.django_db
def test_without_dokus_key_it_says_what_cannot_be_checked(settings: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "ENVIRONMENT": "sandbox", "BASE_URL": None,
                          "PUBLIC_BASE_URL": "https://shop.example.com"}
    run = run_doctor("--notify-self")

    assert "refuses a token request signed with a key that is not DOKU's (4017300" in run.text
    assert "Not checked: that DOKU_PUBLIC_KEY is really DOKU's" in run.text
    assert "The notification was verified" in run.text
    assert not {c for c in run.failures if c.startswith("notify")}


@pytest.mark.django_db
def test_a_doku_public_key_that_is_not_the_simulators_fails_the_token_leg(
        settings: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "DOKU_PUBLIC_KEY": KeyPair.generate().public_spki}
    run = run_doctor("--notify-self")

    assert run.exit_code == 1
    assert "notify.token_refused" in run.failures
    assert "refused the simulator's DOKU-signed token request: 4017300" in run.text


@pytest.mark.django_db
def test_an_endpoint_that_does_not_verify_is_named(settings: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from django_doku_allo.inbound import auth
    from django_doku_allo.snap.messages import SnapAnswer

    monkeypatch.setattr(auth, "verify_notification", lambda *a: SnapAnswer(
        401, "4015600", "Unauthorized. Invalid Signature"))
    run = run_doctor("--notify-self")

    assert "notify.unverified" in run.failures
    assert "The notification was NOT verified: 4015600" in run.text
    assert "same CLIENT_SECRET" in run.text


def test_url_needs_notify_self() -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--url goes with --notify-self"):
        call_command("doku_allo_doctor", "--url", "https://x")
