"""The embedded default (SQLite) stays correct under the simulator's concurrent delivery.

The first release's demo lost DOKU's notification to "database is locked" on every
payment: the simulator's delivery thread wrote while the shop did. Twenty payments in
a row, each notification sent by that thread while the test keeps working, must all
be processed with no stored error, and every payment paid by its notification.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from django_doku_allo.models import Notification, Payment, PaymentStatus
from django_doku_allo.simulator import customer as sim_customer
from tests.flows import bind, pay

pytestmark = pytest.mark.django_db(transaction=True)

PAYMENTS = 20


@pytest.fixture
def threaded_simulator(live_server: Any, settings: Any) -> Iterator[Any]:
    from django_doku_allo.testing import doku_simulator

    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "READ_TIMEOUT": 5.0, "DEADLINE": 10.0,
                          "PAYMENT_RETURN_STATUS_CHECK": False}
    with doku_simulator(live_server.url, delivery_mode="thread"):
        yield live_server


def wait_until(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_twenty_payments_in_a_row_each_paid_by_its_notification_with_no_error(
    threaded_simulator: Any, user: Any,
) -> None:
    binding = bind(threaded_simulator, user)

    for number in range(PAYMENTS):
        payment = pay(binding, amount=f"{1000 + number}.00")
        sim_customer.confirm_payment(payment.reference_no)
        # The shop keeps writing while the delivery thread notifies.
        pay(binding, amount="1.00")

    wait_until(lambda: Notification.objects.filter(processed=True).count() >= PAYMENTS)
    assert Notification.objects.exclude(error="").count() == 0
    assert Notification.objects.filter(verified=False).count() == 0
    paid = Payment.objects.filter(status=PaymentStatus.SUCCEEDED)
    assert paid.count() == PAYMENTS
    assert all(p.notifications.filter(processed=True).exists() for p in paid)
