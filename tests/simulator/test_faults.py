"""Fault injection: latency, forced codes, dropped answers, duplicate and stale notifications."""

from __future__ import annotations

import json
import time

import pytest
from django.db import transaction

from django_doku_allo.simulator import faults, state
from django_doku_allo.simulator.models import Fault
from django_doku_allo.simulator.notifications import deliver_due_notifications
from tests.support.threads import run_together, succeeded

from .conftest import CHANNEL, Bound, MerchantStub, Snap, payment_body, status_body

BALANCE = {"additionalInfo": {"channel": CHANNEL}}


def test_latency_delays_the_answer_but_not_the_work(snap: Snap, bound: Bound) -> None:
    faults.add_latency("balance", 0.3, times=1)

    started = time.monotonic()
    slow = snap.post("balance", BALANCE, customer_token=bound.access_token)
    slow_elapsed = time.monotonic() - started
    started = time.monotonic()
    snap.post("balance", BALANCE, customer_token=bound.access_token)
    fast_elapsed = time.monotonic() - started

    assert slow.json()["responseCode"] == "2001100"
    assert slow_elapsed >= 0.3
    assert fast_elapsed < 0.3


def test_forced_error_answers_the_code_for_the_next_call_only(snap: Snap, bound: Bound) -> None:
    faults.force_error("payment", "5005400")

    forced = snap.pay(bound)
    normal = snap.pay(bound)

    assert forced.status_code == 500
    assert forced.json() == {"responseCode": "5005400", "responseMessage": "General Error"}
    assert normal.json()["responseCode"] == "2005400"
    assert state.snapshot()["payments"]["01"] == 1


@pytest.mark.parametrize(("code", "status"), [("2025400", 202), ("4295400", 429),
                                              ("5045400", 504)])
def test_forced_codes_carry_their_http_status(snap: Snap, bound: Bound, code: str,
                                              status: int) -> None:
    faults.force_error("payment", code)

    response = snap.pay(bound)

    assert response.status_code == status
    assert response.json()["responseCode"] == code


def test_forced_error_can_hit_token_requests_several_times(snap: Snap) -> None:
    faults.force_error("token_b2b", "5007300", times=2, message="Down for maintenance")

    codes = [snap.token_request("token_b2b").json()["responseCode"] for _ in range(3)]

    assert codes == ["5007300", "5007300", "2007300"]


def test_dropped_payment_answer_is_an_html_502_after_a_real_debit(snap: Snap, bound: Bound,
                                                                  merchant: MerchantStub) -> None:
    faults.drop_response("payment")
    body = payment_body("INV-drop")

    response = snap.pay(bound, body)

    assert response.status_code == 502
    assert response["Content-Type"].startswith("text/html")
    assert state.debit_count(bound.phone) == 1
    assert state.payment_status("INV-drop") == "00"
    status = snap.post("status", {"originalPartnerReferenceNo": "INV-drop", "serviceCode": "55"})
    assert status.json()["latestTransactionStatus"] == "00"
    assert deliver_due_notifications() == 1
    assert merchant.notifications[0].json()["latestTransactionStatus"] == "00"


def test_truncated_answer_is_invalid_json_after_a_delay(snap: Snap, bound: Bound) -> None:
    payment = snap.paid(bound)
    faults.drop_response("status", mode="truncated", delay=0.2)

    started = time.monotonic()
    response = snap.post("status", status_body(payment))

    assert time.monotonic() - started >= 0.2
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_duplicated_notifications_arrive_several_times(snap: Snap, bound: Bound,
                                                       merchant: MerchantStub) -> None:
    faults.duplicate_notifications(copies=3)
    payment = snap.paid(bound)

    assert deliver_due_notifications() == 3

    bodies = [n.body for n in merchant.notifications]
    assert len(bodies) == 3
    assert len(set(bodies)) == 1
    assert len({n.headers["X-EXTERNAL-ID"] for n in merchant.notifications}) == 3
    assert state.notifications_delivered(payment["referenceNo"]) == 3


def test_reordered_notifications_send_a_stale_status_after_the_final(
        snap: Snap, bound: Bound, merchant: MerchantStub) -> None:
    faults.reorder_notifications(stale_status="03")
    snap.paid(bound)

    deliver_due_notifications()

    statuses = [n.json()["latestTransactionStatus"] for n in merchant.notifications]
    assert statuses == ["00", "03"]
    assert merchant.notifications[1].json()["transactionStatusDesc"] == "Pending"


def test_reset_clears_every_fault(snap: Snap, bound: Bound) -> None:
    faults.force_error("balance", "5001100", times=None)
    faults.add_latency("balance", 5)
    faults.duplicate_notifications()

    faults.reset()

    assert faults.active() == []
    assert snap.post("balance", BALANCE,
                     customer_token=bound.access_token).json()["responseCode"] == "2001100"


def test_a_fault_without_times_lasts_until_reset(snap: Snap, bound: Bound) -> None:
    faults.force_error("balance", "5001101", times=None)

    codes = {snap.post("balance", BALANCE, customer_token=bound.access_token
                       ).json()["responseCode"] for _ in range(3)}

    assert codes == {"5001101"}
    assert len(faults.active()) == 1


@pytest.mark.parametrize("call", [
    lambda: faults.add_latency("teleport", 1),
    lambda: faults.add_latency("payment", -1),
    lambda: faults.force_error("payment", "500"),
    lambda: faults.force_error("payment", "5005400", times=0),
    lambda: faults.drop_response("payment", mode="reset"),
    lambda: faults.duplicate_notifications(copies=1),
    lambda: faults.reorder_notifications(stale_status="00"),
])
def test_invalid_faults_are_refused(call: object, db: None) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]
    assert faults.active() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_faults_are_consumed_exactly_once_across_threads(postgres_only: None) -> None:
    # Each thread has its own connection: the claim is the database's, not a lock's.
    faults.force_error("payment", "5005400", times=25)

    def worker() -> int:
        return sum(faults.take_forced_error("payment") is not None for _ in range(10))

    taken = succeeded(run_together([worker] * 8))

    assert sum(taken) == 25
    assert faults.active() == []


def test_a_fault_claimed_in_a_rolled_back_transaction_is_given_back(db: None) -> None:
    faults.duplicate_notifications(copies=3)

    def settle_then_fail() -> int:
        with transaction.atomic():
            copies = faults.take_notification_copies()
            transaction.set_rollback(True)
        return copies

    assert settle_then_fail() == 3
    assert faults.take_notification_copies() == 3
    assert faults.take_notification_copies() == 1


def test_a_spent_fault_leaves_no_row_and_nothing_armed(db: None) -> None:
    faults.force_error("refund", "5005800", times=2)
    faults.add_latency("refund", 0.0)

    assert faults.armed("refund") == {"error", "latency"}
    assert faults.take_forced_error("refund") is not None
    assert faults.take_forced_error("refund") is not None
    assert faults.take_forced_error("refund") is None
    assert faults.armed("refund") == {"latency"}
    assert Fault.objects.filter(kind="error").count() == 0
