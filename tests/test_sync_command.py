"""``manage.py doku_allo_sync``: settles what notifications did not."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from django_doku_allo.models import Payment, PaymentStatus
from django_doku_allo.simulator import customer as sim_customer
from tests.flows import bind, pay

pytestmark = pytest.mark.django_db(transaction=True)


def age(payment: Payment, seconds: int = 120) -> None:
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds))


def run_sync(*args: str) -> str:
    out = StringIO()
    call_command("doku_allo_sync", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_sync_settles_a_paid_payment_whose_notification_never_came(live_simulator: Any, user: Any
                                                                   ) -> None:
    binding = bind(live_simulator, user)
    paid = pay(binding)
    sim_customer.confirm_payment(paid.reference_no)  # notification left undelivered
    waiting = pay(binding)
    age(paid)
    age(waiting)

    output = run_sync()

    paid.refresh_from_db()
    waiting.refresh_from_db()
    assert paid.status == PaymentStatus.SUCCEEDED
    assert waiting.status == PaymentStatus.PENDING
    assert "payments_checked=2" in output
    assert "payments_changed=1" in output


def test_sync_leaves_payments_younger_than_the_status_check_delay(live_simulator: Any, user: Any
                                                                  ) -> None:
    binding = bind(live_simulator, user)
    payment = pay(binding)
    sim_customer.confirm_payment(payment.reference_no)

    output = run_sync()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert "nothing to check" in output


def test_second_run_right_after_skips_rows_just_checked(live_simulator: Any, user: Any) -> None:
    binding = bind(live_simulator, user)
    payment = pay(binding)
    age(payment)

    first = run_sync("--older-than", "60")
    second = run_sync("--older-than", "60")

    assert "payments_checked=1" in first
    assert "nothing to check" in second


def test_unreachable_doku_is_reported_and_changes_nothing(live_simulator: Any, user: Any,
                                                          settings: Any) -> None:
    from django_doku_allo import conf

    binding = bind(live_simulator, user)
    payment = pay(binding)
    age(payment)
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "BASE_URL": "http://127.0.0.1:9/doku",
                          "CONNECT_RETRIES": 0}
    conf.reset()

    output = run_sync()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert "payment_errors=1" in output
