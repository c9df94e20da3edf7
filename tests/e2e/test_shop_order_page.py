"""The order page of an abandoned payment: refreshes at first, then stops and offers more.

The shop runs in its own settings, so the page is rendered in a ``manage.py shell``
of the example project (tests/e2e/order_page_probe.py), on a throwaway database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .support import example_env, manage

pytestmark = pytest.mark.slow

PROBE = Path(__file__).with_name("order_page_probe.py")


@pytest.fixture(scope="module")
def order_pages(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    env = example_env(tmp_path_factory.mktemp("order-page"))
    manage(env, "migrate", "--noinput")
    result = manage(env, "shell", "-c", PROBE.read_text())
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_a_fresh_payment_refreshes_and_offers_continue_and_cancel(
        order_pages: list[dict[str, Any]]) -> None:
    fresh = order_pages[0]
    assert fresh["refreshes"]
    assert not fresh["check_again"]
    assert fresh["continue_paying"]
    assert fresh["cancel"]


def test_after_two_minutes_the_page_stops_refreshing_and_offers_check_again(
        order_pages: list[dict[str, Any]]) -> None:
    stale = order_pages[1]
    assert not stale["refreshes"]
    assert stale["check_again"]
    assert stale["cancel"]
    assert "Periksa lagi" in stale["html"]  # rendered in the customer's Indonesian
    assert "Unknown (awaiting status check)" not in stale["html"]


def test_past_the_confirmation_window_allo_banks_page_is_no_longer_offered(
        order_pages: list[dict[str, Any]]) -> None:
    old = order_pages[2]
    assert not old["continue_paying"]
    assert not old["refreshes"]
    assert old["cancel"]
    assert old["check_again"]
