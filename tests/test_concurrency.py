"""Races that must end in one state change and one signal (PostgreSQL, real threads)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from django_doku_allo import services, signals
from django_doku_allo.exceptions import NotRefundable
from django_doku_allo.models import PaymentStatus, Refund, RefundStatus
from django_doku_allo.simulator import customer as sim_customer
from django_doku_allo.simulator import state
from django_doku_allo.snap.signing import minify
from django_doku_allo.testing import notification_body, notification_headers, notification_path
from django_doku_allo.views import payment_return_url
from tests.flows import CUSTOMER, bind, deliver, follow, pay, return_url
from tests.support.threads import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]

def test_same_notification_delivered_1000_times_by_16_threads_changes_state_once(
    make_payment: Any, signals_sent: Any,
) -> None:
    payment = make_payment()
    body = minify(notification_body(payment, "00"))
    headers = notification_headers(body)

    def deliver_once() -> int:
        return Client().post(notification_path(), data=body, content_type="application/json",
                             headers=headers).status_code

    statuses = run_together([deliver_once] * 1000)

    assert statuses == [200] * 1000
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert len(signals_sent(signals.payment_succeeded)) == 1
    assert len(signals_sent(signals.notification_received)) == 1000


def test_notification_browser_return_and_sync_racing_end_in_one_state(
    live_simulator: Any, user: Any, signals_sent: Any,
) -> None:
    binding = bind(live_simulator, user)
    reference = services.new_partner_reference_no()
    payment = pay(binding, partner_reference_no=reference)
    sim_customer.confirm_payment(payment.reference_no)
    url = payment_return_url(None, reference, "success")

    outcomes = run_together([
        deliver,
        lambda: follow(Client(), url).status_code,
        lambda: services.sync_payment(payment).status,
        lambda: follow(Client(), url).status_code,
        lambda: services.sync_payment(payment).status,
    ])

    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert len(signals_sent(signals.payment_succeeded)) == 1


def test_fifty_concurrent_refunds_of_one_payment_make_one_refund_call(
    live_simulator: Any, user: Any, signals_sent: Any,
) -> None:
    binding = bind(live_simulator, user)
    payment = pay(binding)
    sim_customer.confirm_payment(payment.reference_no)
    deliver()

    outcomes = run_together([lambda: services.refund(payment, reason="double click")] * 50)

    refunds = [o for o in outcomes if isinstance(o, Refund)]
    refused = [o for o in outcomes if isinstance(o, NotRefundable)]
    assert len(refunds) == 1, outcomes
    assert len(refused) == 49
    assert refunds[0].status == RefundStatus.SUCCEEDED
    assert state.refund_count() == 1
    assert len(signals_sent(signals.payment_refunded)) == 1


def test_binding_return_replayed_16_times_at_once_exchanges_the_code_once(
    live_simulator: Any, user: Any, monkeypatch: pytest.MonkeyPatch, signals_sent: Any,
) -> None:
    from django_doku_allo.conf import get_client

    start = services.begin_binding(user=user, phone_number="6281100000001",
                                   customer=CUSTOMER, return_url=return_url(live_simulator))
    page = sim_customer.complete_binding(start.binding.auth_code)
    client = get_client()
    exchanges: list[str] = []
    original = client.exchange_auth_code

    def counting(auth_code: str) -> Any:
        exchanges.append(auth_code)
        return original(auth_code)

    monkeypatch.setattr(client, "exchange_auth_code", counting)

    statuses = run_together([lambda: follow(Client(), page.redirect_url).status_code] * 16)

    assert sorted(statuses) == [302] + [400] * 15
    assert len(exchanges) == 1
    assert len(signals_sent(signals.binding_activated)) == 1
