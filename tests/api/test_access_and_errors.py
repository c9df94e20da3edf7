"""REST API: who may call it, how it is throttled, and the shape of every error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.throttling import UserRateThrottle

from django_doku_allo.api.errors import exception_handler
from django_doku_allo.exceptions import ConfigurationError, TransitionNotAllowed
from django_doku_allo.models import Binding, Payment
from tests.support.fake_client import FakeAlloClient

pytestmark = pytest.mark.django_db


class OneRequestPerMinute(UserRateThrottle):
    rate = "1/min"


ENDPOINTS = [
    ("get", "/api/bindings/"), ("post", "/api/bindings/"), ("get", "/api/bindings/1/"),
    ("delete", "/api/bindings/1/"), ("get", "/api/bindings/1/balance/"),
    ("get", "/api/payments/"), ("post", "/api/payments/"), ("get", "/api/payments/1/"),
    ("post", "/api/payments/1/refund/"), ("post", "/api/payments/1/sync/"),
    ("get", "/api/refunds/"), ("get", "/api/refunds/1/"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_requests_are_refused_with_a_json_error(
        client: Client, fake_client: FakeAlloClient, method: str, url: str) -> None:
    response = getattr(client, method)(url, content_type="application/json")

    # 403 with session authentication first (DRF's default), 401 with basic first.
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["message"]
    assert fake_client.calls == []


def test_wrong_basic_credentials_are_refused(
        client: Client, user: Any, fake_client: FakeAlloClient) -> None:
    response = client.get("/api/payments/", HTTP_AUTHORIZATION="Basic c2l0aTp3cm9uZw==")

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "authentication_failed"


def test_basic_authentication_works_as_in_the_readmes_curl_examples(
        client: Client, user: Any) -> None:
    # siti:pw-12345678
    response = client.get("/api/payments/", HTTP_AUTHORIZATION="Basic c2l0aTpwdy0xMjM0NTY3OA==")

    assert response.status_code == 200


def test_api_permission_classes_come_from_settings(api: Client, settings: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO,
                          "API_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"]}

    response = api.get("/api/payments/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_throttle_classes_come_from_settings(api: Client, settings: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "API_THROTTLE_CLASSES": [
        f"{__name__}.OneRequestPerMinute"]}

    assert api.get("/api/payments/").status_code == 200
    response = api.get("/api/payments/")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_no_throttling_by_default(api: Client) -> None:
    assert all(api.get("/api/payments/").status_code == 200 for _ in range(5))


def test_an_unsupported_method_is_a_json_405(
        api: Client, make_payment: Callable[..., Payment]) -> None:
    response = api.put(f"/api/payments/{make_payment().pk}/", data={},
                       content_type="application/json")

    assert response.status_code == 405
    assert response.json() == {"code": "method_not_allowed",
                                "message": 'Method "PUT" not allowed.'}


def test_malformed_json_is_a_parse_error(api: Client, fake_client: FakeAlloClient) -> None:
    response = api.post("/api/payments/", data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_non_integer_id_is_404(api: Client) -> None:
    assert api.get("/api/payments/abc/").status_code == 404


def test_validation_errors_list_every_field(
        api: Client, make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    response = api.post("/api/payments/", data={"amount": 5}, content_type="application/json")

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"binding", "amount", "description"}


def test_a_domain_error_without_its_own_code_is_a_409_conflict() -> None:
    response = exception_handler(TransitionNotAllowed("Payment", "failed", "succeeded"), {})

    assert response is not None
    assert response.status_code == 409
    assert response.data["code"] == "invalid_transition"


def test_a_configuration_error_is_left_to_the_projects_500_handling() -> None:
    assert exception_handler(ConfigurationError("CLIENT_ID missing"), {}) is None


def test_a_refusal_by_doku_gives_the_customer_words_and_keeps_the_codes(
        make_binding: Any, fake_client: Any) -> None:
    from rest_framework.test import APIClient

    from tests.support.fake_client import declined

    binding = make_binding()
    fake_client.errors["balance_inquiry"] = declined("balance_inquiry", "4017400",
                                                     "Invalid Token")
    api = APIClient(REMOTE_ADDR="10.1.2.3")
    api.force_authenticate(binding.user)

    body = api.get(f"/api/bindings/{binding.pk}/balance/").json()

    assert body["code"] == "declined"
    assert body["doku_response_code"] == "4017400"
    assert body["message"] == ("Your Allo Bank link is no longer valid. Link your Allo Bank "
                               "account again, then try again.")
