"""Every admin page: query counts that do not grow, read-only, local time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_doku_allo.models import Binding, Payment, PaymentStatus
from tests.admin.helpers import change, changelist, make_notification, make_refund


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["binding", "payment", "refund", "notification"])
def test_changelist_query_count_does_not_grow_with_the_number_of_rows(
        admin_client: Client, make_binding: Callable[..., Binding],
        make_payment: Callable[..., Payment], model: str) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            binding = make_binding(phone_number=f"62811{Binding.objects.count():08d}")
            payment = make_payment(binding=binding, status=PaymentStatus.REFUNDED)
            make_refund(payment, requested_by=binding.user)
            make_notification(payment)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(changelist(model)).status_code == 200
        return len(captured)

    add(5)
    five = queries()
    add(45)
    assert queries() == five


@pytest.mark.django_db
def test_dates_are_shown_in_the_sites_time_zone(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    payment = make_payment(status=PaymentStatus.SUCCEEDED,
                           paid_at=datetime(2026, 1, 1, 0, 30, tzinfo=timezone.utc))

    page = admin_client.get(change(payment)).content.decode()

    # TIME_ZONE is Asia/Jakarta: UTC+7.
    assert "Jan. 1, 2026, 7:30 a.m." in page


@pytest.mark.django_db
def test_pages_are_read_only_no_add_no_edit_no_delete(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    payment = make_payment()

    assert admin_client.get(reverse("admin:doku_allo_payment_add")).status_code == 403
    assert admin_client.get(reverse("admin:doku_allo_payment_delete", args=[payment.pk])
                            ).status_code == 403
    page = admin_client.get(change(payment)).content.decode()
    assert 'name="_save"' not in page
    response = admin_client.post(change(payment), {"status": "succeeded"})
    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
