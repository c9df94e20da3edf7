"""X-EXTERNAL-ID idempotency: replay with 409, conflict with 409xx00."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from django_doku_allo.simulator import faults, state
from django_doku_allo.simulator.idempotency import jakarta_day
from django_doku_allo.simulator.models import IdempotencyRecord

from .conftest import TIMEOUT_PHONE, Bound, Snap, binding_body, payment_body


def test_same_external_id_and_body_replays_the_first_answer_with_409(snap: Snap) -> None:
    first = snap.post("binding", binding_body(), external_id="1234567890")

    replay = snap.post("binding", binding_body(), external_id="1234567890")

    assert first.status_code == 200
    assert replay.status_code == 409
    assert replay.json() == first.json()
    assert replay["X-TIMESTAMP"]


def test_replay_does_not_repeat_the_work(snap: Snap, bound: Bound) -> None:
    body = payment_body()
    first = snap.pay(bound, body, external_id="555")

    replay = snap.pay(bound, body, external_id="555")

    assert replay.json()["referenceNo"] == first.json()["referenceNo"]
    assert state.snapshot()["payments"]["01"] == 1


def test_same_external_id_with_another_body_is_409xx00(snap: Snap) -> None:
    snap.post("binding", binding_body(), external_id="1234567890")

    response = snap.post("binding", binding_body(cust_id="other"), external_id="1234567890")

    assert response.status_code == 409
    assert response.json() == {"responseCode": "4090700", "responseMessage": "Conflict"}


def test_same_external_id_on_another_endpoint_is_a_conflict(snap: Snap, bound: Bound) -> None:
    snap.pay(bound, external_id="777")

    response = snap.post("status", {"originalPartnerReferenceNo": "x", "serviceCode": "55"},
                         external_id="777")

    assert response.json()["responseCode"] == "4095500"


def test_an_error_answer_is_replayed_too(snap: Snap) -> None:
    bad = binding_body(phone="000")
    first = snap.post("binding", bad, external_id="42")

    replay = snap.post("binding", bad, external_id="42")

    assert first.json()["responseCode"] == "4000701"
    assert replay.status_code == 409
    assert replay.json() == first.json()


def test_authentication_failures_do_not_burn_the_external_id(snap: Snap) -> None:
    snap.post("binding", binding_body(), external_id="43", token="bad-token")

    assert snap.post("binding", binding_body(), external_id="43").status_code == 200


def test_a_5xx_answer_is_not_kept_so_a_retry_is_processed(snap: Snap) -> None:
    bound = snap.bound_customer(phone=TIMEOUT_PHONE)
    body = payment_body()
    timeout = snap.pay(bound, body, external_id="99")

    retry = snap.pay(bound, body, external_id="99")

    assert timeout.json()["responseCode"] == "5045400"
    assert retry.json()["responseCode"] == "4095401"
    assert state.debit_count() == 1


def test_a_forced_error_does_not_consume_the_external_id(snap: Snap, bound: Bound) -> None:
    faults.force_error("payment", "5005400")
    body = payment_body()

    failed = snap.pay(bound, body, external_id="100")
    retried = snap.pay(bound, body, external_id="100")

    assert failed.json()["responseCode"] == "5005400"
    assert retried.json()["responseCode"] == "2005400"
    assert IdempotencyRecord.objects.filter(external_id="100").count() == 1


def test_an_external_id_from_another_jakarta_day_is_free_again(snap: Snap) -> None:
    snap.post("binding", binding_body(), external_id="31")
    IdempotencyRecord.objects.update(day=jakarta_day() - timedelta(days=1))

    response = snap.post("binding", binding_body(), external_id="31")

    assert response.status_code == 200


def test_the_day_is_the_jakarta_calendar_day() -> None:
    late_utc_evening = datetime(2025, 1, 1, 18, 30, tzinfo=timezone.utc)

    assert jakarta_day(late_utc_evening) == date(2025, 1, 2)
