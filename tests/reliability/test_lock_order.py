"""One lock order, payment before refund: refunds raced by status checks never deadlock.

Settling a refund used to lock the refund and then its payment, while a status check
locks the payment and then its refunds; on PostgreSQL the two deadlocked after DOKU
had already refunded. Every path now takes the payment first (``services._rows``).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError

from django_doku_allo import services
from django_doku_allo.models import Payment, PaymentStatus, Refund, RefundStatus
from django_doku_allo.simulator import customer as sim_customer
from django_doku_allo.simulator import state
from tests.flows import bind, deliver, pay
from tests.support.threads import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]

PAYMENTS = 25
SYNCS_PER_REFUND = 4


def paid_payments(live_simulator: Any, user: Any, count: int) -> list[Payment]:
    binding = bind(live_simulator, user)
    payments = [pay(binding, amount="1000.00") for _ in range(count)]
    for payment in payments:
        sim_customer.confirm_payment(payment.reference_no)
    deliver()
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.SUCCEEDED}
    return list(Payment.objects.order_by("pk"))


def test_refunds_raced_by_status_checks_end_refunded_with_no_database_error(
    live_simulator: Any, user: Any,
) -> None:
    payments = paid_payments(live_simulator, user, PAYMENTS)
    outcomes: list[Any] = []

    for payment in payments:
        jobs = [lambda p=payment: services.refund(p)]
        jobs += [lambda p=payment: services.sync_payment(p)] * SYNCS_PER_REFUND
        outcomes += run_together(jobs)

    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert errors == []
    assert not [o for o in outcomes if isinstance(o, DatabaseError)]
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.REFUNDED}
    assert set(Refund.objects.values_list("status", flat=True)) == {RefundStatus.SUCCEEDED}
    assert state.refund_count() == PAYMENTS
