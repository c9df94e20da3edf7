"""No inferred failure ever beats DOKU's word.

What DOKU declared (a refusal, a failed or cancelled status) ends a payment
``failed``. What we only presumed (DOKU has no record of it yet, the customer never
confirmed) keeps the payment open until ``PAYMENT_CONFIRMATION_WINDOW`` has passed,
and then ends it ``expired``: the order is free, and DOKU's later word still wins.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from django_doku_allo import services, signals
from django_doku_allo.models import Notification, Payment, PaymentStatus
from django_doku_allo.simulator import customer as sim_customer
from django_doku_allo.simulator import faults
from django_doku_allo.testing import post_notification
from tests.flows import bind, pay

pytestmark = pytest.mark.django_db(transaction=True)

WINDOW = 1800


def age(payment: Payment, seconds: float) -> None:
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds))


def unknown_payment(live_simulator: Any, user: Any, **kwargs: Any) -> Payment:
    """A payment DOKU answered with a 5xx before it created it: ours ends ``unknown``."""
    binding = bind(live_simulator, user)
    faults.force_error("payment", "5005400")
    payment = pay(binding, **kwargs)
    assert payment.status == PaymentStatus.UNKNOWN
    return payment


def test_the_75_second_story_ends_paid(
    live_simulator: Any, user: Any, signals_sent: Any,
) -> None:
    # DOKU takes 75 s; ours gave up at 32 s; at 68 s the status check finds nothing
    # yet; at 96 s DOKU has debited and sends its signed success notification.
    payment = unknown_payment(live_simulator, user)
    age(payment, 68)

    checked = services.sync_payment(payment)

    assert checked.status == PaymentStatus.UNKNOWN
    assert signals_sent(signals.payment_failed) == []

    age(payment, 96)
    response = post_notification(Client(), payment, "00")

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.attention == ""
    notification = Notification.objects.get(payment=payment)
    assert (notification.processed, notification.flagged, notification.error) == (
        True, False, "")
    assert [s["payment"].pk for s in signals_sent(signals.payment_succeeded)] == [payment.pk]


def test_not_found_after_the_window_expires_the_payment_and_frees_its_order(
    live_simulator: Any, user: Any, signals_sent: Any,
) -> None:
    payment = unknown_payment(live_simulator, user, order_id="ORDER-1")
    age(payment, WINDOW + 1)

    expired = services.sync_payment(payment)

    assert expired.status == PaymentStatus.EXPIRED
    assert expired.presumed_failed_at is not None
    assert [s["payment"].pk for s in signals_sent(signals.payment_failed)] == [payment.pk]
    again = pay(expired.binding, order_id="ORDER-1")
    assert again.status == PaymentStatus.PENDING


def test_a_success_after_expiry_wins_and_sends_payment_succeeded(
    live_simulator: Any, user: Any, signals_sent: Any,
) -> None:
    payment = unknown_payment(live_simulator, user, order_id="ORDER-2")
    age(payment, WINDOW + 1)
    services.sync_payment(payment)

    response = post_notification(Client(), payment, "00")

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.attention == ""
    assert payment.presumed_failed_at is None  # it holds its order again
    assert [s["payment"].pk for s in signals_sent(signals.payment_succeeded)] == [payment.pk]
    assert signals_sent(signals.payment_needs_attention) == []


def test_a_success_after_expiry_when_the_order_was_paid_again_is_flagged(
    live_simulator: Any, user: Any, signals_sent: Any,
) -> None:
    payment = unknown_payment(live_simulator, user, order_id="ORDER-3")
    age(payment, WINDOW + 1)
    services.sync_payment(payment)
    second = pay(payment.binding, order_id="ORDER-3")
    assert post_notification(Client(), second, "00").status_code == 200

    response = post_notification(Client(), payment, "00")

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert "ORDER-3" in payment.attention
    assert second.partner_reference_no in payment.attention
    flagged = Notification.objects.get(payment=payment)
    assert flagged.flagged
    assert flagged.error == ""
    assert [s["payment"].pk for s in signals_sent(signals.payment_needs_attention)] == [
        payment.pk]


def test_a_pending_payment_past_the_window_is_checked_then_expires(
    live_simulator: Any, user: Any, signals_sent: Any,
) -> None:
    payment = pay(bind(live_simulator, user))  # the customer never opens the payment page
    assert payment.status == PaymentStatus.PENDING
    age(payment, WINDOW + 1)

    assert services.sync_payment(payment).status == PaymentStatus.EXPIRED
    assert len(signals_sent(signals.payment_failed)) == 1


def test_a_success_after_a_declared_failure_is_flagged_loudly(
    live_simulator: Any, user: Any, signals_sent: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    payment = pay(bind(live_simulator, user))
    assert post_notification(Client(), payment, "06").status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED

    with caplog.at_level(logging.ERROR, logger="django_doku_allo"):
        response = post_notification(Client(), payment, "00")

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED  # DOKU declared it: the table holds
    assert "refund" in payment.attention.lower()
    success = Notification.objects.filter(payment=payment, latest_transaction_status="00").get()
    assert success.flagged
    assert success.processed
    assert success.error == ""
    assert [s["payment"].pk for s in signals_sent(signals.payment_needs_attention)] == [
        payment.pk]
    assert any(r.levelno == logging.ERROR and payment.partner_reference_no in r.getMessage()
               for r in caplog.records)
    assert Payment.objects.filter(attention__gt="").count() == 1  # what the admin lists


def test_a_late_success_after_a_refund_is_a_stale_event_not_an_alarm(
    live_simulator: Any, user: Any, signals_sent: Any,
) -> None:
    # DOKU retries its first success notification hours later, after we refunded.
    payment = pay(bind(live_simulator, user))
    sim_customer.confirm_payment(payment.reference_no)
    assert post_notification(Client(), payment, "00").status_code == 200
    payment.refresh_from_db()
    services.refund(payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED

    assert post_notification(Client(), payment, "00").status_code == 200

    payment.refresh_from_db()
    assert (payment.status, payment.attention) == (PaymentStatus.REFUNDED, "")
    assert signals_sent(signals.payment_needs_attention) == []
