"""The order page refreshes itself while a payment is open, and not forever."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from example_project.shop.polling import REFRESH_LIMIT, keeps_refreshing

STARTED = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_an_open_payment_refreshes_the_order_page_at_first() -> None:
    assert keeps_refreshing(STARTED, STARTED + timedelta(seconds=5), settled=False)


def test_an_abandoned_payment_stops_refreshing_after_the_limit() -> None:
    assert not keeps_refreshing(STARTED, STARTED + REFRESH_LIMIT, settled=False)


def test_a_settled_payment_never_refreshes() -> None:
    assert not keeps_refreshing(STARTED, STARTED + timedelta(seconds=1), settled=True)


def test_an_order_without_a_start_time_does_not_refresh() -> None:
    assert not keeps_refreshing(None, STARTED, settled=False)
