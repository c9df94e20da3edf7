"""REST API: a customer links, lists, checks and unlinks their Allo Bank accounts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_doku_allo.models import Binding, BindingStatus
from tests.api.helpers import post_json
from tests.support.fake_client import AUTH_CODE, REDIRECT_URL, FakeAlloClient, declined, unreachable

pytestmark = pytest.mark.django_db

LIST_URL = "/api/bindings/"
PHONE = "6281100000001"


def detail_url(binding: Binding) -> str:
    return f"/api/bindings/{binding.pk}/"


def balance_url(binding: Binding) -> str:
    return f"/api/bindings/{binding.pk}/balance/"


# --------------------------------------------------------------------------- create
def test_create_starts_the_binding_and_returns_the_otp_page_url(
        api: Client, user: Any, fake_client: FakeAlloClient) -> None:
    response = post_json(api, LIST_URL, {"phone_number": PHONE, "next_url": "/orders/"},
                         **{"X-Device-ID": "pixel7a"})

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "pending"
    assert data["redirect_url"] == REDIRECT_URL
    assert data["phone_number"] == "6281*****0001"
    binding = Binding.objects.get(pk=data["id"])
    assert binding.user == user
    assert binding.device_id == "pixel7a"
    [call] = fake_client.calls
    assert call.operation == "account_binding"
    assert call.customer.ip_address == "127.0.0.1"
    assert call.customer.device_id == "pixel7a"
    assert reverse("doku_allo:binding-return") in call.request.success_registration_url
    assert "next=%2Forders%2F" in call.request.success_registration_url


def test_create_response_never_contains_the_auth_code_or_full_phone_number(
        api: Client, fake_client: FakeAlloClient) -> None:
    response = post_json(api, LIST_URL, {"phone_number": PHONE}, **{"X-Device-ID": "pixel7a"})

    assert response.status_code == 201
    assert AUTH_CODE not in response.content.decode()
    assert PHONE not in response.content.decode()


def test_create_without_a_device_id_is_refused_before_anything_is_stored(
        api: Client, fake_client: FakeAlloClient) -> None:
    response = post_json(api, LIST_URL, {"phone_number": PHONE})

    assert response.status_code == 400
    assert response.json()["code"] == "device_id_required"
    assert not Binding.objects.exists()
    assert fake_client.calls == []


def test_create_with_a_malformed_device_id_is_refused(api: Client, fake_client: FakeAlloClient
                                                      ) -> None:
    response = post_json(api, LIST_URL, {"phone_number": PHONE},
                         **{"X-Device-ID": "pixel 7a; drop"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_device_id"


@pytest.mark.parametrize("phone", ["081100000001", "62811", "+6281100000001", "", "62abc1234"])
def test_create_with_a_malformed_phone_number_is_a_field_error(
        api: Client, fake_client: FakeAlloClient, phone: str) -> None:
    response = post_json(api, LIST_URL, {"phone_number": phone}, **{"X-Device-ID": "pixel7a"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "phone_number" in body["fields"]
    assert body["message"].startswith("phone_number: ")
    assert fake_client.calls == []


def test_create_refused_by_doku_is_422_with_dokus_code_and_a_failed_binding(
        api: Client, fake_client: FakeAlloClient) -> None:
    fake_client.errors["account_binding"] = declined("account_binding", "4030718",
                                                     "Inactive Account")

    response = post_json(api, LIST_URL, {"phone_number": PHONE}, **{"X-Device-ID": "pixel7a"})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "declined"
    assert body["doku_response_code"] == "4030718"
    assert Binding.objects.get().status == BindingStatus.FAILED


def test_create_when_doku_is_unreachable_is_503_and_says_nothing_happened(
        api: Client, fake_client: FakeAlloClient) -> None:
    fake_client.errors["account_binding"] = unreachable("account_binding")

    response = post_json(api, LIST_URL, {"phone_number": PHONE}, **{"X-Device-ID": "pixel7a"})

    assert response.status_code == 503
    assert response.json()["code"] == "doku_unavailable"


def test_create_over_ipv6_is_refused_cleanly_as_doku_needs_ipv4(
        api: Client, fake_client: FakeAlloClient) -> None:
    response = api.post(LIST_URL, data={"phone_number": PHONE}, content_type="application/json",
                        headers={"X-Device-ID": "pixel7a"}, REMOTE_ADDR="::1")

    assert response.status_code == 400
    assert response.json()["code"] == "ipv4_required"
    assert fake_client.calls == []


def test_create_over_ipv4_mapped_ipv6_uses_the_ipv4_address(api: Client, fake_client: FakeAlloClient
                                                            ) -> None:
    response = api.post(LIST_URL, data={"phone_number": PHONE}, content_type="application/json",
                        headers={"X-Device-ID": "pixel7a"}, REMOTE_ADDR="::ffff:10.1.2.3")

    assert response.status_code == 201
    assert fake_client.calls[0].customer.ip_address == "10.1.2.3"


# --------------------------------------------------------------------------- list, retrieve
def test_list_shows_only_the_users_own_bindings_with_masked_phone_numbers(
        api: Client, make_binding: Callable[..., Binding], other_user: Any) -> None:
    mine = make_binding()
    make_binding(user=other_user, phone_number="6281199999999")

    response = api.get(LIST_URL)

    assert response.status_code == 200
    assert [b["id"] for b in response.json()["results"]] == [mine.pk]
    assert response.json()["results"][0]["phone_number"] == "6281*****0001"
    assert response.json()["results"][0]["redirect_url"] is None


def test_retrieve_shows_no_token_of_any_kind(api: Client, make_binding: Callable[..., Binding]
                                             ) -> None:
    binding = make_binding()

    response = api.get(detail_url(binding))

    assert response.status_code == 200
    text = response.content.decode()
    for secret in ("customer-token-1", "auth-code-1", binding.phone_number):
        assert secret not in text
    assert set(response.json()) == {"id", "phone_number", "status", "reference_no",
                                    "redirect_url", "message", "failure_reason",
                                    "created_at", "activated_at", "unbound_at"}


def test_retrieve_of_another_users_binding_is_404(
        api: Client, make_binding: Callable[..., Binding], other_user: Any) -> None:
    theirs = make_binding(user=other_user)

    response = api.get(detail_url(theirs))

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}


# --------------------------------------------------------------------------- destroy
def test_destroy_unbinds_at_doku_and_forgets_the_tokens(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()

    response = api.delete(detail_url(binding), headers={"X-Device-ID": "pixel7a"})

    assert response.status_code == 204
    binding.refresh_from_db()
    assert binding.status == BindingStatus.UNBOUND
    assert binding.access_token == ""
    assert fake_client.operations() == ["account_unbinding"]
    assert fake_client.calls[0].customer.device_id == "pixel7a"


def test_destroy_of_an_already_unbound_binding_succeeds_again_without_calling_doku(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding(status=BindingStatus.UNBOUND, access_token="")

    response = api.delete(detail_url(binding))

    assert response.status_code == 204
    assert fake_client.calls == []


def test_destroy_of_a_pending_binding_is_409_binding_not_active(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding(status=BindingStatus.PENDING)

    response = api.delete(detail_url(binding))

    assert response.status_code == 409
    assert response.json()["code"] == "binding_not_active"
    assert fake_client.calls == []


def test_destroy_of_a_failed_binding_is_409_invalid_transition(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding(status=BindingStatus.FAILED)

    response = api.delete(detail_url(binding))

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert fake_client.calls == []
    binding.refresh_from_db()
    assert binding.status == BindingStatus.FAILED


def test_destroy_declined_by_doku_keeps_the_binding_active(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    fake_client.errors["account_unbinding"] = declined("account_unbinding")

    response = api.delete(detail_url(binding))

    assert response.status_code == 422
    assert response.json()["code"] == "declined"
    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE


def test_destroy_of_another_users_binding_is_404_and_calls_nothing(
        api: Client, make_binding: Callable[..., Binding], other_user: Any,
        fake_client: FakeAlloClient) -> None:
    theirs = make_binding(user=other_user)

    response = api.delete(detail_url(theirs))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == BindingStatus.ACTIVE
    assert fake_client.calls == []


def test_destroy_over_ipv6_falls_back_to_the_stored_customer_ip(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding(customer_ip="10.20.30.40", device_id="pixel7a")

    response = api.delete(detail_url(binding), REMOTE_ADDR="::1")

    assert response.status_code == 204
    assert fake_client.calls[0].customer.ip_address == "10.20.30.40"
    assert fake_client.calls[0].customer.device_id == "pixel7a"


# --------------------------------------------------------------------------- balance
def test_balance_returns_amounts_as_strings_with_two_decimals(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    fake_client.balance = "250000"

    response = api.get(balance_url(binding))

    assert response.status_code == 200
    assert response.json() == {
        "amount": "250000.00", "currency": "IDR",
        "accounts": [{"balance_type": "CASH", "amount": "250000.00",
                      "flat_amount": "250000.00", "hold_amount": "0.00"}],
    }


def test_balance_of_an_unbound_binding_is_409(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding(status=BindingStatus.UNBOUND)

    response = api.get(balance_url(binding))

    assert response.status_code == 409
    assert response.json()["code"] == "binding_not_active"
    assert fake_client.calls == []


def test_balance_of_another_users_binding_is_404(
        api: Client, make_binding: Callable[..., Binding], other_user: Any,
        fake_client: FakeAlloClient) -> None:
    response = api.get(balance_url(make_binding(user=other_user)))

    assert response.status_code == 404
    assert fake_client.calls == []
