"""Nothing lost between DOKU's answer and our row.

A server killed after DOKU created the payment but before we saved its answer
leaves our row ``initiated`` with no payment page. A status check recovers what DOKU
tells (its reference, the payment page if it gives one); otherwise the payment ends
``expired`` at the confirmation window and the order is free again. Meanwhile an
Idempotency-Key replay tells the client to wait, not to pay again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from django_doku_allo import services
from django_doku_allo.models import Payment, PaymentStatus
from django_doku_allo.simulator.models import Payment as DokuPayment
from tests.flows import bind, pay

pytestmark = pytest.mark.django_db(transaction=True)


class Killed(BaseException):
    """The process died here (not an Exception: nothing in the services catches it)."""


def crash_after_doku_answered(monkeypatch: pytest.MonkeyPatch, binding: Any,
                              **kwargs: Any) -> Payment:
    def die(*args: Any, **kwargs: Any) -> Payment:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr("django_doku_allo.services.payments.apply_status", die)
        with pytest.raises(Killed):
            pay(binding, **kwargs)
    payment = Payment.objects.get()
    assert (payment.status, payment.web_redirect_url, payment.reference_no) == (
        PaymentStatus.INITIATED, "", "")
    assert DokuPayment.objects.filter(partner_reference_no=payment.partner_reference_no).exists()
    return payment


def test_a_status_check_recovers_dokus_reference_after_a_crash(
    live_simulator: Any, user: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    payment = crash_after_doku_answered(monkeypatch, bind(live_simulator, user))

    checked = services.sync_payment(payment)

    at_doku = DokuPayment.objects.get(partner_reference_no=payment.partner_reference_no)
    assert checked.reference_no == at_doku.reference_no
    assert checked.status == PaymentStatus.PENDING
    assert checked.next_action == "wait"  # no payment page to send the customer to


def test_the_lost_payment_ends_at_the_window_and_frees_its_order(
    live_simulator: Any, user: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    binding = bind(live_simulator, user)
    payment = crash_after_doku_answered(monkeypatch, binding, order_id="ORDER-9")
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(minutes=31))

    ended = services.sync_payment(payment)

    assert ended.status == PaymentStatus.EXPIRED
    assert ended.next_action == "none"
    assert pay(binding, order_id="ORDER-9").status == PaymentStatus.PENDING


def test_an_idempotent_replay_of_the_lost_payment_says_wait(
    live_simulator: Any, user: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    binding = bind(live_simulator, user)
    api = Client()
    api.force_login(user)
    request = {"binding": binding.pk, "amount": "150000.00", "description": "Batik shirt"}

    def die(*args: Any, **kwargs: Any) -> Payment:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr("django_doku_allo.services.payments.apply_status", die)
        with pytest.raises(Killed):
            api.post("/api/payments/", data=request, content_type="application/json",
                     headers={"Idempotency-Key": "order-77-try-1", "X-Device-ID": "pixel7"})

    replay = api.post("/api/payments/", data=request, content_type="application/json",
                      headers={"Idempotency-Key": "order-77-try-1", "X-Device-ID": "pixel7"})

    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["status"] == PaymentStatus.INITIATED
    assert replay.json()["next_action"] == "wait"
    assert Payment.objects.count() == 1


def test_the_payment_page_is_taken_back_when_dokus_status_answer_gives_it(
    make_payment: Any, fake_client: Any,
) -> None:
    payment = make_payment(status=PaymentStatus.INITIATED, reference_no="")
    fake_client.check_status_answer = {
        "latestTransactionStatus": "03", "originalReferenceNo": "DOKU-REF-1",
        "additionalInfo": {"webRedirectUrl": "https://allo.example/pay?session=again"}}

    checked = services.sync_payment(payment)

    assert (checked.status, checked.reference_no) == (PaymentStatus.PENDING, "DOKU-REF-1")
    assert checked.web_redirect_url == "https://allo.example/pay?session=again"
    assert checked.next_action == "confirm"
