"""Admin search: whole references, the customer, a whole phone number; never a part."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from django_doku_allo.models import Binding, Payment, PaymentStatus
from tests.admin.helpers import MASKED, PHONE, changelist, make_refund


@pytest.mark.django_db
@pytest.mark.parametrize("typed", [PHONE, "+62 811-0000-0001", "081100000001"])
def test_a_full_phone_number_finds_the_binding_but_it_is_shown_masked(
        admin_client: Client, make_binding: Callable[..., Binding], typed: str) -> None:
    binding = make_binding(phone_number=PHONE, reference_no="BINDREF1")
    make_binding(phone_number="6281199999999", reference_no="BINDREF2")

    response = admin_client.get(changelist("binding"), {"q": typed})

    assert list(response.context["cl"].result_list) == [binding]
    rows = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    # Links keep the staff member's own query; what the rows show is what counts.
    rows = re.sub(r'href="[^"]*"', "", rows)
    assert MASKED in rows
    assert PHONE not in rows


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["62811000", "0001", "81100000001"])
def test_part_of_a_phone_number_finds_nothing(
        admin_client: Client, make_binding: Callable[..., Binding], typed: str) -> None:
    make_binding(phone_number=PHONE)

    response = admin_client.get(changelist("binding"), {"q": typed})

    assert list(response.context["cl"].result_list) == []


@pytest.mark.django_db
def test_payments_are_found_by_reference_order_username_email_and_phone(
        admin_client: Client, user: Any, make_binding: Callable[..., Binding],
        make_payment: Callable[..., Payment], other_user_factory: Callable[..., Any]) -> None:
    user.email = "siti@example.id"
    user.save()
    payment = make_payment(order_id="ORD-42", reference_no="DOKUREF42")
    other = other_user_factory()
    make_payment(binding=make_binding(user=other, phone_number="6281199999999"))

    for typed in (payment.partner_reference_no, "DOKUREF42", "ORD-42", "siti",
                  "siti@example.id", PHONE):
        response = admin_client.get(changelist("payment"), {"q": typed})
        assert list(response.context["cl"].result_list) == [payment], typed


@pytest.mark.django_db
def test_refunds_are_found_by_their_payments_reference_and_customer_phone(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    refund = make_refund(make_payment(status=PaymentStatus.REFUNDED))

    for typed in (refund.partner_refund_no, refund.payment.partner_reference_no, PHONE):
        response = admin_client.get(changelist("refund"), {"q": typed})
        assert list(response.context["cl"].result_list) == [refund], typed


@pytest.fixture
def other_user_factory(django_user_model: Any) -> Callable[..., Any]:
    def make() -> Any:
        return django_user_model.objects.create_user(username="budi", password="x",
                                                     email="budi@example.id")

    return make
