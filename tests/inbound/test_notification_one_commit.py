"""A verified notification is stored and applied in one transaction, with one commit.

If processing raises, the transaction is rolled back and the delivery is committed
on its own with its error and traceback, and DOKU gets its 500 (and retries).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, connections
from django.test.utils import CaptureQueriesContext

from django_doku_allo.models import Notification, PaymentStatus
from django_doku_allo.testing import post_notification

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def commits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    wrapper = type(connections["default"])
    real = wrapper.commit

    def counting(self: Any) -> None:
        made.append(self.alias)
        real(self)

    monkeypatch.setattr(wrapper, "commit", counting)
    return made


def test_a_success_is_one_commit_and_a_handful_of_statements(
    client: Any, make_payment: Any, commits: list[str],
) -> None:
    payment = make_payment()

    with CaptureQueriesContext(connection) as queries:
        response = post_notification(client, payment, "00")

    assert response.status_code == 200
    assert commits == ["default"]
    writes = [q["sql"].split()[0] for q in queries.captured_queries
              if q["sql"].startswith(("INSERT", "UPDATE", "SELECT"))]
    assert writes == ["SELECT", "UPDATE", "INSERT"]  # lock payment, update it, store delivery
    stored = Notification.objects.get()
    assert (stored.verified, stored.processed, stored.payment_id) == (True, True, payment.pk)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_the_payment_update_writes_only_the_columns_that_changed(
    client: Any, make_payment: Any,
) -> None:
    payment = make_payment()

    with CaptureQueriesContext(connection) as queries:
        post_notification(client, payment, "00")

    update = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE"))
    assert '"status"' in update
    assert '"paid_at"' in update
    for untouched in ('"request_body"', '"amount"', '"description"', '"idempotency_key"'):
        assert untouched not in update


@pytest.mark.parametrize("failure", [RuntimeError("bug in a receiver's code path"),
                                     DatabaseError("the database gave up")])
def test_a_processing_error_keeps_the_delivery_with_its_error_and_answers_500(
    client: Any, make_payment: Any, monkeypatch: pytest.MonkeyPatch, failure: Exception,
) -> None:
    payment = make_payment()

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise failure

    monkeypatch.setattr("django_doku_allo.services.payments.apply_doku_status", fail)

    response = post_notification(client, payment, "00")

    assert response.status_code == 500
    stored = Notification.objects.get()
    assert stored.verified
    assert not stored.processed
    assert type(failure).__name__ in stored.error
    assert stored.traceback
    assert stored.payment_id is None
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_refused_delivery_is_one_insert(client: Any, make_payment: Any,
                                          commits: list[str]) -> None:
    payment = make_payment()

    with CaptureQueriesContext(connection) as queries:
        response = post_notification(client, payment, "00", **{"amount": {"value": "1.00",
                                                                          "currency": "IDR"}})

    assert response.status_code == 404  # verified, but names another amount: flagged
    assert [q["sql"].split()[0] for q in queries.captured_queries
            if q["sql"].startswith(("INSERT", "UPDATE"))] == ["INSERT"]
    assert len(commits) == 1
