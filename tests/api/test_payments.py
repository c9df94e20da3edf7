"""REST API: a customer pays with a linked account; staff refund; anyone checks status."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_doku_allo.models import (
    Binding,
    BindingStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from tests.api.helpers import as_user, post_json
from tests.support.fake_client import (
    PAY_URL,
    FakeAlloClient,
    declined,
    outcome_unknown,
    unreachable,
)

pytestmark = pytest.mark.django_db

LIST_URL = "/api/payments/"


def detail_url(payment: Payment) -> str:
    return f"/api/payments/{payment.pk}/"


def refund_url(payment: Payment) -> str:
    return f"/api/payments/{payment.pk}/refund/"


def sync_url(payment: Payment) -> str:
    return f"/api/payments/{payment.pk}/sync/"


def payment_body(binding: Binding, **overrides: Any) -> dict[str, Any]:
    return {"binding": binding.pk, "amount": "150000.00", "description": "Batik shirt",
            **overrides}


# --------------------------------------------------------------------------- create
def test_create_charges_the_binding_and_returns_the_pending_payment(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()

    response = post_json(api, LIST_URL, payment_body(binding, order_id="ORD-1",
                                                     next_url="/thanks/"))

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "pending"
    assert data["amount"] == "150000.00"
    assert data["currency"] == "IDR"
    assert data["web_redirect_url"] == PAY_URL
    assert data["order_id"] == "ORD-1"
    assert data["binding"] == binding.pk
    assert data["refunds"] == []
    assert "Idempotent-Replayed" not in response
    [call] = fake_client.calls
    assert call.operation == "payment"
    assert call.request.partner_reference_no == data["partner_reference_no"]
    assert reverse("doku_allo:payment-return") in call.request.success_payment_url
    assert "result=success" in call.request.success_payment_url
    assert "result=failed" in call.request.failed_payment_url
    assert call.customer.ip_address == "127.0.0.1"


@pytest.mark.parametrize("amount", ["150000", "150000.5", " 150000.00 "])
def test_create_accepts_whole_and_one_decimal_amounts_and_answers_with_two(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient,
        amount: Any) -> None:
    response = post_json(api, LIST_URL, payment_body(make_binding(), amount=amount))

    assert response.status_code == 201
    assert response.json()["amount"] == f"{Decimal(amount):.2f}"


@pytest.mark.parametrize("amount", ["0", "0.00", "-1", "1.001", "abc", "1e3", "", "NaN",
                                    "12345678901234567.00", 150000, 150000.5, None, True])
def test_create_refuses_amounts_that_are_not_positive_cents_in_a_string(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient,
        amount: Any) -> None:
    response = post_json(api, LIST_URL, payment_body(make_binding(), amount=amount))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "amount" in response.json()["fields"]
    assert fake_client.calls == []


def test_create_with_another_users_binding_reads_as_an_unknown_binding(
        api: Client, make_binding: Callable[..., Binding], other_user: Any,
        fake_client: FakeAlloClient) -> None:
    theirs = make_binding(user=other_user)

    response = post_json(api, LIST_URL, payment_body(theirs))

    assert response.status_code == 400
    assert "binding" in response.json()["fields"]
    assert not Payment.objects.exists()
    assert fake_client.calls == []


def test_create_with_an_unbound_binding_is_409_binding_not_active(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    response = post_json(api, LIST_URL,
                         payment_body(make_binding(status=BindingStatus.UNBOUND)))

    assert response.status_code == 409
    assert response.json()["code"] == "binding_not_active"
    assert fake_client.calls == []


def test_a_second_payment_for_an_order_with_a_live_payment_is_409(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    assert post_json(api, LIST_URL, payment_body(binding, order_id="ORD-7")).status_code == 201

    response = post_json(api, LIST_URL, payment_body(binding, order_id="ORD-7"))

    assert response.status_code == 409
    assert response.json()["code"] == "order_has_live_payment"
    assert Payment.objects.count() == 1
    assert fake_client.operations() == ["payment"]


def test_a_payment_declined_by_doku_is_created_as_failed_with_the_reason(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    fake_client.errors["payment"] = declined("payment", "4035402", "Insufficient Funds")

    response = post_json(api, LIST_URL, payment_body(make_binding()))

    assert response.status_code == 201
    assert response.json()["status"] == "failed"
    assert "Insufficient Funds" in response.json()["failure_reason"]


def test_a_payment_whose_answer_never_came_is_created_as_unknown(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    fake_client.errors["payment"] = outcome_unknown("payment")

    response = post_json(api, LIST_URL, payment_body(make_binding()))

    assert response.status_code == 201
    assert response.json()["status"] == "unknown"


def test_create_over_ipv6_uses_the_ip_stored_with_the_binding(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding(customer_ip="10.9.8.7")

    response = api.post(LIST_URL, data=payment_body(binding), content_type="application/json",
                        REMOTE_ADDR="::1")

    assert response.status_code == 201
    assert fake_client.calls[0].customer.ip_address == "10.9.8.7"


# --------------------------------------------------------------------------- list, retrieve
def test_list_shows_only_the_users_own_payments(
        api: Client, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], other_user: Any) -> None:
    mine = make_payment()
    make_payment(binding=make_binding(user=other_user))

    response = api.get(LIST_URL)

    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [mine.pk]
    assert response.json()["results"][0]["amount"] == "150000.00"


def test_retrieve_of_another_users_payment_is_404(
        api: Client, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], other_user: Any) -> None:
    theirs = make_payment(binding=make_binding(user=other_user))

    response = api.get(detail_url(theirs))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _list_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/api/payments/", "/api/bindings/", "/api/refunds/"])
def test_list_query_count_does_not_grow_with_the_number_of_rows(
        api: Client, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], url: str) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            binding = make_binding(phone_number=f"62811{Binding.objects.count():08d}")
            payment = make_payment(binding=binding, status=PaymentStatus.SUCCEEDED)
            Refund.objects.create(payment=payment, partner_refund_no=f"RF{payment.pk}",
                                  external_id=f"{payment.pk}", amount=payment.amount,
                                  status=RefundStatus.FAILED)

    add(3)
    few = _list_queries(api, url)
    add(30)
    assert _list_queries(api, url) == few


# --------------------------------------------------------------------------- refund
def test_staff_with_can_refund_refunds_a_customers_payment(
        staff: Any, make_payment: Callable[..., Payment], fake_client: FakeAlloClient) -> None:
    payment = make_payment(status=PaymentStatus.SUCCEEDED)

    response = post_json(as_user(staff), refund_url(payment), {"reason": "Out of stock"})

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "succeeded"
    assert data["amount"] == "150000.00"
    assert data["reason"] == "Out of stock"
    assert data["payment"] == payment.pk
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert Refund.objects.get().requested_by == staff
    # The customer's stored address goes to DOKU, not the staff member's.
    assert fake_client.calls[0].customer.ip_address == payment.customer_ip


def test_a_second_refund_of_one_payment_is_409_and_doku_is_called_once(
        staff: Any, make_payment: Callable[..., Payment], fake_client: FakeAlloClient) -> None:
    payment = make_payment(status=PaymentStatus.SUCCEEDED)
    client = as_user(staff)
    assert post_json(client, refund_url(payment), {"reason": "Duplicate"}).status_code == 201

    response = post_json(client, refund_url(payment), {"reason": "Duplicate"})

    assert response.status_code == 409
    assert response.json()["code"] == "not_refundable"
    assert fake_client.operations() == ["refund"]


def test_refund_of_a_pending_payment_is_409_not_refundable(
        staff: Any, make_payment: Callable[..., Payment], fake_client: FakeAlloClient) -> None:
    payment = make_payment(status=PaymentStatus.PENDING)

    response = post_json(as_user(staff), refund_url(payment), {"reason": "Changed mind"})

    assert response.status_code == 409
    assert response.json()["code"] == "not_refundable"
    assert fake_client.calls == []


def test_refund_needs_a_reason(staff: Any, make_payment: Callable[..., Payment],
                               fake_client: FakeAlloClient) -> None:
    payment = make_payment(status=PaymentStatus.SUCCEEDED)

    response = post_json(as_user(staff), refund_url(payment), {})

    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    assert fake_client.calls == []


def test_refund_declined_by_doku_is_a_failed_refund_and_the_payment_stays_paid(
        staff: Any, make_payment: Callable[..., Payment], fake_client: FakeAlloClient) -> None:
    payment = make_payment(status=PaymentStatus.SUCCEEDED)
    fake_client.errors["refund"] = declined("refund", "4045801", "Refund Not Allowed")

    response = post_json(as_user(staff), refund_url(payment), {"reason": "Late"})

    assert response.status_code == 201
    assert response.json()["status"] == "failed"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_a_customer_may_not_refund_by_default(
        api: Client, make_payment: Callable[..., Payment], fake_client: FakeAlloClient) -> None:
    payment = make_payment(status=PaymentStatus.SUCCEEDED)

    response = post_json(api, refund_url(payment), {"reason": "I want my money"})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert fake_client.calls == []


def test_staff_without_can_refund_cannot_reach_customers_payments(
        django_user_model: Any, make_payment: Callable[..., Payment],
        fake_client: FakeAlloClient) -> None:
    clerk = django_user_model.objects.create_user(username="eko", password="x", is_staff=True)
    payment = make_payment(status=PaymentStatus.SUCCEEDED)

    response = post_json(as_user(clerk), refund_url(payment), {"reason": "Oops"})

    assert response.status_code == 404
    assert fake_client.calls == []


def test_refund_permission_classes_come_from_settings(
        api: Client, settings: Any, make_payment: Callable[..., Payment],
        fake_client: FakeAlloClient) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "API_REFUND_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated"]}
    payment = make_payment(status=PaymentStatus.SUCCEEDED)

    response = post_json(api, refund_url(payment), {"reason": "Self-service refund"})

    assert response.status_code == 201
    assert response.json()["status"] == "succeeded"


# --------------------------------------------------------------------------- sync
def test_sync_applies_the_status_doku_reports(
        api: Client, make_payment: Callable[..., Payment], fake_client: FakeAlloClient) -> None:
    payment = make_payment(status=PaymentStatus.PENDING)

    response = post_json(api, sync_url(payment))

    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"
    assert fake_client.operations() == ["check_status"]


def test_sync_when_doku_is_unreachable_is_503_and_the_payment_is_unchanged(
        api: Client, make_payment: Callable[..., Payment], fake_client: FakeAlloClient) -> None:
    payment = make_payment(status=PaymentStatus.PENDING)
    fake_client.errors["check_status"] = unreachable("check_status")

    response = post_json(api, sync_url(payment))

    assert response.status_code == 503
    assert response.json()["code"] == "doku_unavailable"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_sync_of_another_users_payment_is_404(
        api: Client, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], other_user: Any, fake_client: FakeAlloClient) -> None:
    theirs = make_payment(binding=make_binding(user=other_user))

    response = post_json(api, sync_url(theirs))

    assert response.status_code == 404
    assert fake_client.calls == []


# --------------------------------------------------------------------------- customer words
def test_a_declined_payment_gives_the_customer_words_and_programs_the_codes(
        make_binding: Any, fake_client: Any) -> None:
    from rest_framework.test import APIClient

    from tests.support.fake_client import declined

    binding = make_binding()
    fake_client.errors["payment"] = declined("payment", "4035414", "Insufficient Funds")
    api = APIClient(REMOTE_ADDR="10.1.2.3")
    api.force_authenticate(binding.user)

    response = api.post("/api/payments/", {"binding": binding.pk, "amount": "150000.00",
                                           "description": "Batik shirt"}, format="json")

    body = response.json()
    assert body["status"] == "failed"
    assert "Top up" in body["message"]
    assert "4035414" not in body["message"]


def test_a_pending_payment_can_be_canceled_over_the_api(
        make_payment: Any, fake_client: Any) -> None:
    from rest_framework.test import APIClient

    fake_client.check_status_answer = {"latestTransactionStatus": "03"}
    payment = make_payment(web_redirect_url="https://allo.example/pay?session=p1")
    api = APIClient(REMOTE_ADDR="10.1.2.3")
    api.force_authenticate(payment.user)
    assert api.get(f"/api/payments/{payment.pk}/").json()["continue_url"]

    response = api.post(f"/api/payments/{payment.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "expired"
    assert response.json()["continue_url"] is None
