"""Return URLs and the customer context, used without DRF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import RequestFactory, override_settings
from django.utils import timezone

from django_doku_allo.exceptions import DokuAlloError
from django_doku_allo.returns import (
    CustomerContextRefused,
    absolute_url,
    binding_return_url,
    customer_context,
    payment_reference,
    payment_return_url,
)
from django_doku_allo.services._rows import digest
from tests.settings import DOKU_ALLO


def test_return_urls_use_public_base_url_when_there_is_no_request() -> None:
    with override_settings(DOKU_ALLO={**DOKU_ALLO, "PUBLIC_BASE_URL": "https://shop.example/"}):
        url = binding_return_url(None, next_url="/orders/1?x=y")

    assert url == "https://shop.example/doku-allo/binding/return/?next=%2Forders%2F1%3Fx%3Dy"


def test_return_urls_without_a_request_or_base_url_say_which_setting_to_set() -> None:
    with pytest.raises(DokuAlloError, match="PUBLIC_BASE_URL"):
        absolute_url(None, "/x")


def test_payment_return_url_carries_a_reference_only_we_can_sign(rf: RequestFactory) -> None:
    url = payment_return_url(rf.get("/"), "ALLO-1", "success")
    token = url.split("payment=")[1].split("&")[0]

    assert payment_reference(token) == "ALLO-1"
    assert payment_reference(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


@pytest.mark.parametrize(("remote_addr", "headers", "options", "reason"), [
    ("::1", {}, {}, "ipv4_required"),
    ("10.0.0.1", {"X-Device-ID": "no spaces"}, {}, "invalid_device_id"),
    ("10.0.0.1", {}, {"require_device_id": True}, "device_id_required"),
])
def test_customer_context_refusals_are_domain_errors_with_a_reason(
    rf: RequestFactory, remote_addr: str, headers: dict[str, str], options: dict[str, Any],
    reason: str,
) -> None:
    request = rf.get("/", REMOTE_ADDR=remote_addr, headers=headers)

    with pytest.raises(CustomerContextRefused) as caught:
        customer_context(request, **options)

    assert caught.value.reason == reason


def test_customer_context_falls_back_to_what_was_stored(rf: RequestFactory) -> None:
    request = rf.get("/", REMOTE_ADDR="::1")

    context = customer_context(request, stored_ip="10.0.0.9", stored_device_id="pixel7")

    assert (context.ip_address, context.device_id) == ("10.0.0.9", "pixel7")


# --------------------------------------------------------------------------- hostile visitors
def return_link(payment: Any, result: str = "success") -> str:
    url = payment_return_url(None, payment.partner_reference_no, result)
    return url.removeprefix("https://shop.example")


@pytest.fixture
def shop_settings(settings: Any) -> Any:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "PUBLIC_BASE_URL": "https://shop.example",
                          "PAYMENT_SUCCESS_REDIRECT": "/thanks/",
                          "PAYMENT_FAILURE_REDIRECT": "/sorry/"}
    return settings


@pytest.mark.django_db
def test_an_expired_payment_return_link_is_a_400(client: Any, make_payment: Any,
                                                shop_settings: Any, fake_client: Any) -> None:
    link = return_link(make_payment())
    shop_settings.DOKU_ALLO = {**shop_settings.DOKU_ALLO, "PAYMENT_RETURN_MAX_AGE": -1}

    response = client.get(link)

    assert response.status_code == 400
    assert b"expired" in response.content
    assert fake_client.operations() == []


@pytest.mark.django_db
def test_two_hundred_visits_of_an_unfinished_payment_make_one_status_inquiry(
        client: Any, make_payment: Any, shop_settings: Any, fake_client: Any) -> None:
    fake_client.check_status_answer = {"latestTransactionStatus": "03",
                                       "transactionStatusDesc": "Pending"}
    link = return_link(make_payment())

    statuses = {client.get(link).status_code for _ in range(200)}

    assert statuses == {302}
    assert fake_client.operations() == ["check_status"]


@pytest.mark.django_db
def test_the_status_check_interval_is_a_setting(client: Any, make_payment: Any,
                                                shop_settings: Any, fake_client: Any) -> None:
    shop_settings.DOKU_ALLO = {**shop_settings.DOKU_ALLO,
                               "PAYMENT_RETURN_STATUS_CHECK_INTERVAL": 0}
    fake_client.check_status_answer = {"latestTransactionStatus": "03"}
    link = return_link(make_payment())

    for _ in range(3):
        client.get(link)

    assert fake_client.operations() == ["check_status"] * 3


@pytest.mark.django_db
@pytest.mark.parametrize("visitor", ["anonymous", "another user"])
@pytest.mark.parametrize("doku_status", ["00", "06"])
def test_anyone_but_the_owner_learns_nothing_but_see_your_order(
        client: Any, make_payment: Any, shop_settings: Any, fake_client: Any,
        django_user_model: Any, visitor: str, doku_status: str) -> None:
    fake_client.check_status_answer = {"latestTransactionStatus": doku_status}
    payment = make_payment()
    if visitor == "another user":
        client.force_login(django_user_model.objects.create_user(username="budi"))

    response = client.get(return_link(payment), follow=False)

    assert response.status_code == 302
    assert response["Location"] == "/thanks/"  # whatever the payment's state
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["See your order for the payment's status."]
    assert b"150000" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(("doku_status", "location"), [("00", "/thanks/"), ("06", "/sorry/")])
def test_the_owner_is_sent_where_the_payment_ended(
        client: Any, make_payment: Any, shop_settings: Any, fake_client: Any,
        doku_status: str, location: str) -> None:
    fake_client.check_status_answer = {"latestTransactionStatus": doku_status}
    payment = make_payment()
    client.force_login(payment.user)

    response = client.get(return_link(payment))

    assert response["Location"] == location


def binding_waiting_for_return(make_binding: Any, state: str) -> Any:
    return make_binding(status="pending", state_digest=digest(state), access_token="",
                        state_expires_at=timezone.now() + timedelta(minutes=5))


@pytest.mark.django_db
def test_another_users_binding_return_is_neutral_and_the_binding_stays_its_owners(
        client: Any, make_binding: Any, django_user_model: Any, fake_client: Any) -> None:
    binding = binding_waiting_for_return(make_binding, "state-of-siti")
    client.force_login(django_user_model.objects.create_user(username="budi"))

    response = client.get("/doku-allo/binding/return/",
                          {"state": "state-of-siti", "result": "success"})

    binding.refresh_from_db()
    assert binding.status == "active"
    assert binding.user.username == "siti"
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["The Allo Bank link was handled. Sign in as the account holder to see it."]


@pytest.mark.django_db
def test_the_owners_binding_return_says_it_is_linked(client: Any, make_binding: Any,
                                                      fake_client: Any) -> None:
    binding = binding_waiting_for_return(make_binding, "state-of-siti")
    client.force_login(binding.user)

    response = client.get("/doku-allo/binding/return/",
                          {"state": "state-of-siti", "result": "success"})

    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["Your Allo Bank account is linked."]
