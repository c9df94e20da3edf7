"""REST API: refunds of the user's payments, listed and retrieved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from django_doku_allo.models import Binding, Payment, PaymentStatus, Refund, RefundStatus
from tests.api.helpers import as_user, post_json
from tests.support.fake_client import FakeAlloClient
from tests.support.threads import run_together


def make_refund(payment: Payment, **fields: Any) -> Refund:
    defaults: dict[str, Any] = {
        "payment": payment, "partner_refund_no": f"RFND{payment.pk:036d}",
        "external_id": f"{payment.pk:024d}", "amount": payment.amount,
        "reason": "Out of stock", "status": RefundStatus.SUCCEEDED,
    }
    defaults.update(fields)
    return Refund.objects.create(**defaults)


@pytest.mark.django_db
def test_list_shows_refunds_of_the_users_own_payments_only(
        api: Client, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], other_user: Any) -> None:
    mine = make_refund(make_payment(status=PaymentStatus.REFUNDED))
    make_refund(make_payment(binding=make_binding(user=other_user),
                             status=PaymentStatus.REFUNDED))

    response = api.get("/api/refunds/")

    assert response.status_code == 200
    assert response.json()["results"] == [{
        "id": mine.pk, "payment": mine.payment_id, "partner_refund_no": mine.partner_refund_no,
        "refund_no": "", "amount": "150000.00", "currency": "IDR", "reason": "Out of stock",
        "status": "succeeded", "response_message": "",
        "created_at": response.json()["results"][0]["created_at"], "refunded_at": None,
    }]


@pytest.mark.django_db
def test_retrieve_of_a_refund_of_another_users_payment_is_404(
        api: Client, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], other_user: Any) -> None:
    theirs = make_refund(make_payment(binding=make_binding(user=other_user)))

    response = api.get(f"/api/refunds/{theirs.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_retrieve_shows_the_refund_with_its_amount_as_a_string(
        api: Client, make_payment: Callable[..., Payment]) -> None:
    refund = make_refund(make_payment(amount="99.50"))

    response = api.get(f"/api/refunds/{refund.pk}/")

    assert response.status_code == 200
    assert response.json()["amount"] == "99.50"


@pytest.mark.django_db
def test_refunds_are_read_only(api: Client, make_payment: Callable[..., Payment]) -> None:
    refund = make_refund(make_payment())

    assert post_json(api, "/api/refunds/", {}).status_code == 405
    response = api.delete(f"/api/refunds/{refund.pk}/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.django_db(transaction=True)
def test_two_staff_refunding_one_payment_at_once_refund_it_once(
        postgres_only: None, staff: Any, django_user_model: Any,
        make_payment: Callable[..., Payment], fake_client: FakeAlloClient) -> None:
    colleague = django_user_model.objects.create_superuser(username="admin2", password="x")
    payment = make_payment(status=PaymentStatus.SUCCEEDED)
    fake_client.delay = 0.3
    clients = [as_user(staff), as_user(colleague)]
    results = run_together([
        lambda client=client: post_json(client, f"/api/payments/{payment.pk}/refund/",
                                        {"reason": "Customer complaint"}).status_code
        for client in clients])
    statuses = [r for r in results if not isinstance(r, BaseException)]

    assert sorted(statuses) == [201, 409]
    assert Refund.objects.count() == 1
    assert fake_client.operations() == ["refund"]
