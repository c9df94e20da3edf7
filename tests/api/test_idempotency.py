"""An Idempotency-Key makes a retried payment request return the first payment.

The rule lives in ``services.pay_idempotently``; the API passes the header on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from django_doku_allo import services
from django_doku_allo.exceptions import (
    IdempotencyKeyExpired,
    IdempotencyKeyReused,
    OrderHasLivePayment,
)
from django_doku_allo.models import Binding, Payment
from django_doku_allo.snap.messages import CustomerContext
from tests.api.helpers import as_user, post_json
from tests.support.fake_client import FakeAlloClient
from tests.support.threads import run_together

LIST_URL = "/api/payments/"
KEY = "4f0c7a52-9a1e-4c55-9d0e-7b1f2f0d6a11"


def body(binding: Binding, **overrides: Any) -> dict[str, Any]:
    return {"binding": binding.pk, "amount": "150000.00", "description": "Batik shirt",
            **overrides}


# --------------------------------------------------------------------------- through the API
@pytest.mark.django_db
def test_a_retry_with_the_same_key_returns_the_first_payment_without_charging_again(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    first = post_json(api, LIST_URL, body(binding), **{"Idempotency-Key": KEY})

    retry = post_json(api, LIST_URL, body(binding), **{"Idempotency-Key": KEY})

    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["partner_reference_no"] == first.json()["partner_reference_no"]
    assert retry["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    assert fake_client.operations() == ["payment"]


@pytest.mark.django_db
def test_a_retry_returns_the_payment_in_its_current_state(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    first = post_json(api, LIST_URL, body(binding), **{"Idempotency-Key": KEY})
    Payment.objects.filter(pk=first.json()["id"]).update(status="succeeded")

    retry = post_json(api, LIST_URL, body(binding), **{"Idempotency-Key": KEY})

    assert retry.json()["status"] == "succeeded"


@pytest.mark.django_db
@pytest.mark.parametrize("change", [{"amount": "150001.00"}, {"description": "Sarong"},
                                    {"order_id": "ORD-2"}, {"next_url": "/elsewhere/"}])
def test_the_same_key_with_a_different_request_is_refused(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient,
        change: dict[str, str]) -> None:
    binding = make_binding()
    post_json(api, LIST_URL, body(binding), **{"Idempotency-Key": KEY})

    response = post_json(api, LIST_URL, body(binding, **change), **{"Idempotency-Key": KEY})

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Payment.objects.count() == 1
    assert fake_client.operations() == ["payment"]


@pytest.mark.django_db
def test_the_same_amount_written_differently_is_the_same_request(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    post_json(api, LIST_URL, body(binding, amount="150000"), **{"Idempotency-Key": KEY})

    retry = post_json(api, LIST_URL, body(binding, amount="150000.00"),
                      **{"Idempotency-Key": KEY})

    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_keys_belong_to_their_user(
        api: Client, make_binding: Callable[..., Binding], other_user: Any,
        fake_client: FakeAlloClient) -> None:
    post_json(api, LIST_URL, body(make_binding()), **{"Idempotency-Key": KEY})

    theirs = post_json(as_user(other_user), LIST_URL, body(make_binding(user=other_user)),
                       **{"Idempotency-Key": KEY})

    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert Payment.objects.count() == 2


@pytest.mark.django_db
def test_a_key_older_than_the_ttl_is_refused_not_reused(
        api: Client, settings: Any, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "IDEMPOTENCY_KEY_TTL": 3600}
    binding = make_binding()
    first = post_json(api, LIST_URL, body(binding), **{"Idempotency-Key": KEY})
    Payment.objects.filter(pk=first.json()["id"]).update(
        created_at=timezone.now() - timedelta(hours=2))

    response = post_json(api, LIST_URL, body(binding), **{"Idempotency-Key": KEY})

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_expired"
    assert fake_client.operations() == ["payment"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["has space", "x" * 256, "tab\tkey"])
def test_a_malformed_key_is_refused_before_anything_happens(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient,
        key: str) -> None:
    response = post_json(api, LIST_URL, body(make_binding()), **{"Idempotency-Key": key})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert fake_client.calls == []


@pytest.mark.django_db
def test_without_a_key_every_request_is_a_new_payment(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()

    post_json(api, LIST_URL, body(binding))
    post_json(api, LIST_URL, body(binding))

    assert Payment.objects.count() == 2


# --------------------------------------------------------------------------- the service
def pay(binding: Binding, key: str = KEY, **overrides: Any) -> tuple[Payment, bool]:
    arguments: dict[str, Any] = {
        "idempotency_key": key, "binding": binding, "amount": "150000.00",
        "description": "Batik shirt", "customer": CustomerContext("10.0.0.1"),
        "success_url": "https://shop.example/ok", "failure_url": "https://shop.example/ko",
    }
    arguments.update(overrides)
    return services.pay_idempotently(**arguments)


@pytest.mark.django_db
def test_pay_idempotently_stores_the_key_and_a_sha256_fingerprint(
        make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    payment, created = pay(make_binding())

    assert created is True
    assert payment.idempotency_key == KEY
    assert len(payment.idempotency_fingerprint) == 64


@pytest.mark.django_db
def test_pay_idempotently_ignores_the_return_urls_which_embed_a_fresh_reference(
        make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    first, _ = pay(binding, success_url="https://shop.example/ok?p=1")

    again, created = pay(binding, success_url="https://shop.example/ok?p=2")

    assert (again.pk, created) == (first.pk, False)


@pytest.mark.django_db
def test_pay_idempotently_raises_for_a_reused_key_and_an_expired_one(
        settings: Any, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    first, _ = pay(binding)

    with pytest.raises(IdempotencyKeyReused):
        pay(binding, amount="1.00")
    Payment.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=2))
    with pytest.raises(IdempotencyKeyExpired):
        pay(binding)


@pytest.mark.django_db
def test_pay_idempotently_turns_an_order_conflict_into_order_has_live_payment(
        make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    pay(binding, key="", order_id="ORD-9")

    with pytest.raises(OrderHasLivePayment):
        pay(binding, key="another-key", order_id="ORD-9")


@pytest.mark.django_db
def test_losing_the_insert_race_answers_with_the_winners_payment(
        monkeypatch: pytest.MonkeyPatch, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    winner, _ = pay(binding)
    fake_client.calls.clear()
    real_replay = services.idempotency._idempotent_replay
    lookups: list[str] = []

    def replay_that_misses_once(*args: Any) -> Payment | None:
        # The first lookup ran before the winner committed, so it found nothing.
        lookups.append("lookup")
        return None if len(lookups) == 1 else real_replay(*args)

    monkeypatch.setattr(services.idempotency, "_idempotent_replay", replay_that_misses_once)

    payment, created = pay(binding)

    assert (payment.pk, created) == (winner.pk, False)
    assert lookups == ["lookup", "lookup"]
    assert Payment.objects.count() == 1
    assert fake_client.calls == []


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_make_one_payment(
        postgres_only: None, make_binding: Callable[..., Binding], user: Any,
        fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    fake_client.delay = 0.3  # the second request arrives while the first is still with DOKU
    clients = [as_user(user), as_user(user)]
    results = run_together([
        lambda client=client: post_json(client, LIST_URL, body(binding),
                                        **{"Idempotency-Key": KEY})
        for client in clients])
    responses: list[Any] = [r for r in results if not isinstance(r, BaseException)]

    assert [r.status_code for r in responses] == [201, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sorted(r.has_header("Idempotent-Replayed") for r in responses) == [False, True]
    assert Payment.objects.count() == 1
    assert fake_client.operations() == ["payment"]
