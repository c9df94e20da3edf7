"""The payment page: its refunds, its binding, its notifications."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from django_doku_allo.models import Binding, Payment, PaymentStatus
from tests.admin.helpers import change, changelist, make_refund


@pytest.mark.django_db
def test_payment_page_shows_its_refunds_and_links_its_binding_and_notifications(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    payment = make_payment(status=PaymentStatus.REFUNDED)
    refund = make_refund(payment)

    page = admin_client.get(change(payment)).content.decode()

    assert refund.partner_refund_no in page
    assert change(payment.binding) in page
    assert f"{changelist('notification')}?payment={payment.pk}" in page
    assert "Rp150,000" in page


@pytest.mark.django_db
def test_the_binding_link_lists_only_that_bindings_payments(
        admin_client: Client, make_binding: Callable[..., Binding],
        make_payment: Callable[..., Payment]) -> None:
    mine = make_payment()
    other = make_payment(binding=make_binding(phone_number="6281199999999"))

    page = admin_client.get(f"{changelist('payment')}?binding={mine.binding_id}"
                            ).content.decode()

    assert mine.partner_reference_no in page
    assert other.partner_reference_no not in page
