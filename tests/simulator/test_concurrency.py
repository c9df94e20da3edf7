"""Real threads against PostgreSQL row locks: each debit and each idempotency key once."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from django_doku_allo.simulator import customer, state
from django_doku_allo.simulator.notifications import deliver_due_notifications
from django_doku_allo.snap.signing import minify
from tests.support.threads import run_together, succeeded

from .conftest import HAPPY_PHONE, MerchantStub, Snap, payment_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(task: Callable[[], Any], threads: int = 4) -> list[Any]:
    """Run ``task`` in ``threads`` threads released at once; return their results."""
    return succeeded(run_together([task] * threads))


def test_concurrent_twins_with_one_external_id_create_one_payment(postgres_only: None) -> None:
    snap = Snap(Client())
    bound = snap.bound_customer()
    body = payment_body()
    headers = snap.headers("/doku-simulator/direct-debit/core/v1/debit/payment-host-to-host",
                           body, external_id="424242", customer_token=bound.access_token)

    def pay() -> tuple[int, str]:
        response = Client().post(
            "/doku-simulator/direct-debit/core/v1/debit/payment-host-to-host",
            data=minify(body), content_type="application/json", headers=headers)
        return response.status_code, response.json()["referenceNo"]

    results = _race(pay)

    assert sorted(status for status, _ in results) == [200, 409, 409, 409]
    assert len({reference for _, reference in results}) == 1
    assert state.snapshot()["payments"]["01"] == 1


def test_concurrent_confirmations_debit_once(postgres_only: None) -> None:
    snap = Snap(Client())
    bound = snap.bound_customer()
    reference_no = snap.pay(bound).json()["referenceNo"]

    results = _race(lambda: customer.confirm_payment(reference_no))

    assert all(result.succeeded for result in results)
    assert state.debit_count() == 1
    assert state.account_balance(HAPPY_PHONE) == Decimal("9990000.00")


def test_concurrent_delivery_rounds_send_each_notification_once(
        postgres_only: None, merchant: MerchantStub) -> None:
    snap = Snap(Client())
    bound = snap.bound_customer()
    for _ in range(3):
        snap.paid(bound)

    made = _race(deliver_due_notifications)

    assert sum(made) == 3
    assert len(merchant.notifications) == 3
