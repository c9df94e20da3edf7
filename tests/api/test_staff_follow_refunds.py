"""Staff who may refund any payment can follow every refund they made, to its end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from django_doku_allo.models import Payment, PaymentStatus, RefundStatus
from tests.api.helpers import as_user, post_json
from tests.support.fake_client import FakeAlloClient, outcome_unknown

pytestmark = pytest.mark.django_db


def staff_refund_left_unknown(staff: Any, payment: Payment,
                              fake_client: FakeAlloClient) -> tuple[Client, dict[str, Any]]:
    fake_client.errors["refund"] = outcome_unknown("refund")
    client = as_user(staff)
    response = post_json(client, f"/api/payments/{payment.pk}/refund/", {"reason": "Broken"})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == RefundStatus.UNKNOWN
    return client, response.json()


def test_staff_see_and_check_a_customers_payment_they_refunded(
    staff: Any, make_payment: Callable[..., Payment], fake_client: FakeAlloClient,
) -> None:
    payment = make_payment(status=PaymentStatus.SUCCEEDED)
    client, refund = staff_refund_left_unknown(staff, payment, fake_client)
    fake_client.check_status_answer = {
        "latestTransactionStatus": "04", "transactionStatusDesc": "Refunded",
        "refundHistory": [{"partnerRefundNo": refund["partner_refund_no"],
                           "refundNo": "RF-1", "refundStatus": "00"}]}

    assert client.get(f"/api/payments/{payment.pk}/").status_code == 200
    synced = client.post(f"/api/payments/{payment.pk}/sync/")

    assert synced.status_code == 200, synced.content
    assert synced.json()["status"] == PaymentStatus.REFUNDED


def test_staff_list_and_settle_the_refunds_they_made(
    staff: Any, make_payment: Callable[..., Payment], fake_client: FakeAlloClient,
) -> None:
    payment = make_payment(status=PaymentStatus.SUCCEEDED)
    client, refund = staff_refund_left_unknown(staff, payment, fake_client)
    fake_client.check_status_answer = {
        "latestTransactionStatus": "04",
        "refundHistory": [{"partnerRefundNo": refund["partner_refund_no"],
                           "refundNo": "RF-1", "refundStatus": "00"}]}

    listed = client.get("/api/refunds/").json()
    synced = client.post(f"/api/refunds/{refund['id']}/sync/")

    assert [r["id"] for r in listed["results"]] == [refund["id"]]
    assert synced.status_code == 200, synced.content
    assert synced.json()["status"] == RefundStatus.SUCCEEDED


def test_a_customer_still_sees_only_their_own_refunds(
    staff: Any, other_user: Any, make_payment: Callable[..., Payment],
    fake_client: FakeAlloClient,
) -> None:
    staff_refund_left_unknown(staff, make_payment(status=PaymentStatus.SUCCEEDED), fake_client)

    assert as_user(other_user).get("/api/refunds/").json()["results"] == []


def test_a_database_error_is_a_503_with_a_clear_message_and_no_row_values(
    api: Client, make_payment: Callable[..., Payment], fake_client: FakeAlloClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    payment = make_payment()

    database_message = "deadlock detected DETAIL: Key (phone)=(6281100000001)"

    def deadlock(*args: Any, **kwargs: Any) -> Payment:
        raise OperationalError(database_message)

    monkeypatch.setattr("django_doku_allo.services.sync_payment", deadlock)

    response = api.post(f"/api/payments/{payment.pk}/sync/")

    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert "try again" in body["message"]
    assert "6281100000001" not in response.content.decode()
