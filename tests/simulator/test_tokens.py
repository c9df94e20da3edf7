"""B2B and B2B2C token endpoints."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from django_doku_allo.simulator import customer
from django_doku_allo.snap.signing import (
    asymmetric_signature,
    parse_snap_timestamp,
    snap_timestamp,
)
from tests.support.keys import DOKU_PRIVATE_KEY_PEM, MERCHANT_PRIVATE_KEY_PEM

from .conftest import Snap


def test_b2b_token_is_issued_for_a_correctly_signed_request(snap: Snap) -> None:
    response = snap.token_request("token_b2b")

    assert response.status_code == 200
    body = response.json()
    assert body["responseCode"] == "2007300"
    assert body["tokenType"] == "Bearer"
    assert body["expiresIn"] == 900
    assert isinstance(body["expiresIn"], int)
    assert len(body["accessToken"]) > 32
    assert response["X-CLIENT-KEY"] == snap.client_id
    parse_snap_timestamp(response["X-TIMESTAMP"])


def test_each_b2b_token_is_different(snap: Snap) -> None:
    first = snap.token_request("token_b2b").json()["accessToken"]
    second = snap.token_request("token_b2b").json()["accessToken"]

    assert first != second


def test_b2b_token_signed_with_another_key_is_refused_4017300(snap: Snap) -> None:
    response = snap.token_request("token_b2b", private_key=DOKU_PRIVATE_KEY_PEM)

    assert response.status_code == 401
    assert response.json()["responseCode"] == "4017300"
    assert "Signature" in response.json()["responseMessage"]


def test_b2b_token_for_an_unknown_client_is_refused_4017300(snap: Snap) -> None:
    response = snap.token_request("token_b2b", client_key="BRN-9999-0000000000000")

    assert response.json()["responseCode"] == "4017300"


def test_b2b_token_with_a_stale_timestamp_is_refused_4017300(snap: Snap) -> None:
    stale = snap_timestamp(datetime.now(timezone.utc) - timedelta(minutes=6))

    response = snap.token_request("token_b2b", timestamp=stale)

    assert response.json()["responseCode"] == "4017300"
    assert "X-TIMESTAMP" in response.json()["responseMessage"]


def test_b2b_token_accepts_the_sdks_utc_z_timestamp(snap: Snap) -> None:
    utc = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert snap.token_request("token_b2b", timestamp=utc).status_code == 200


def test_b2b_token_with_an_unparseable_timestamp_is_4007301(snap: Snap) -> None:
    response = snap.token_request("token_b2b", timestamp="2024-01-01 10:00:00")

    assert response.status_code == 400
    assert response.json()["responseCode"] == "4007301"


@pytest.mark.parametrize("additional_info", ["absent", "", [], {}])
def test_b2b_token_accepts_every_additional_info_the_sdks_send(snap: Snap,
                                                                additional_info: object) -> None:
    body: dict[str, object] = {"grantType": "client_credentials"}
    if additional_info != "absent":
        body["additionalInfo"] = additional_info

    assert snap.token_request("token_b2b", body).json()["responseCode"] == "2007300"


@pytest.mark.parametrize(("body", "code"), [
    ({"grantType": "password"}, "4007301"),
    ({}, "4007302"),
    ({"grantType": "client_credentials", "additionalInfo": 5}, "4007301"),
])
def test_b2b_token_with_a_bad_body_is_400(snap: Snap, body: dict[str, object], code: str) -> None:
    assert snap.token_request("token_b2b", body).json()["responseCode"] == code


def test_b2b_token_with_malformed_json_is_4007300(snap: Snap) -> None:
    timestamp = snap_timestamp()

    response = snap.client.post(
        "/doku-simulator/authorization/v1/access-token/b2b", data=b'{"grantType": ',
        content_type="application/json",
        headers={"X-CLIENT-KEY": snap.client_id, "X-TIMESTAMP": timestamp,
                 "X-SIGNATURE": asymmetric_signature(MERCHANT_PRIVATE_KEY_PEM, snap.client_id,
                                                     timestamp)},
    )

    assert response.status_code == 400
    assert response.json()["responseCode"] == "4007300"


def test_b2b_token_without_a_signature_header_is_4007302(snap: Snap) -> None:
    response = snap.client.post("/doku-simulator/authorization/v1/access-token/b2b",
                                data=b'{"grantType":"client_credentials"}',
                                content_type="application/json",
                                headers={"X-CLIENT-KEY": snap.client_id,
                                         "X-TIMESTAMP": snap_timestamp()})

    assert response.json()["responseCode"] == "4007302"


def test_token_endpoint_refuses_get(snap: Snap) -> None:
    assert snap.client.get("/doku-simulator/authorization/v1/access-token/b2b").status_code == 405


# --------------------------------------------------------------------------- B2B2C
def test_b2b2c_refuses_an_auth_code_before_the_customer_finished_otp_and_pin(snap: Snap) -> None:
    auth_code = snap.bind()["additionalInfo"]["authCode"]

    response = snap.b2b2c(auth_code)

    assert response.status_code == 401
    assert response.json()["responseCode"] == "4017400"


def test_b2b2c_exchanges_a_confirmed_auth_code(snap: Snap) -> None:
    auth_code = snap.bind()["additionalInfo"]["authCode"]
    customer.complete_binding(auth_code)

    response = snap.b2b2c(auth_code)

    body = response.json()
    assert body["responseCode"] == "2007400"
    assert body["tokenType"] == "Bearer"
    expiry = parse_snap_timestamp(body["accessTokenExpiryTime"])
    assert timedelta(hours=23) < expiry - datetime.now(timezone.utc) <= timedelta(hours=24)
    assert body["accessTokenExpiryTime"].endswith("+07:00")
    assert parse_snap_timestamp(body["refreshTokenExpiryTime"]) > expiry
    assert body["refreshToken"]
    assert body["additionalInfo"] == {}


def test_b2b2c_auth_code_is_reusable_while_the_binding_is_active(snap: Snap) -> None:
    bound = snap.bound_customer()

    again = snap.b2b2c(bound.auth_code).json()

    assert again["responseCode"] == "2007400"
    assert again["accessToken"] != bound.access_token


def test_b2b2c_accepts_the_snap_spelling_authorization_code(snap: Snap) -> None:
    bound = snap.bound_customer()

    response = snap.token_request("token_b2b2c", {"grantType": "AUTHORIZATION_CODE",
                                                  "authCode": bound.auth_code})

    assert response.json()["responseCode"] == "2007400"


def test_b2b2c_refresh_token_grant_gives_a_new_access_token(snap: Snap) -> None:
    bound = snap.bound_customer()
    refresh = snap.b2b2c(bound.auth_code).json()["refreshToken"]

    response = snap.token_request("token_b2b2c", {"grantType": "refresh_token",
                                                  "refreshToken": refresh})

    assert response.json()["responseCode"] == "2007400"
    assert response.json()["refreshToken"] == refresh


def test_b2b2c_refuses_an_unknown_auth_code_4017400(snap: Snap) -> None:
    response = snap.b2b2c("1234567890")

    assert response.json()["responseCode"] == "4017400"


def test_b2b2c_without_auth_code_is_4007402(snap: Snap) -> None:
    response = snap.token_request("token_b2b2c", {"grantType": "authorization_code"})

    assert response.json()["responseCode"] == "4007402"


def test_b2b2c_with_a_bad_signature_is_4017400(snap: Snap) -> None:
    response = snap.token_request("token_b2b2c", {"grantType": "authorization_code",
                                                  "authCode": "1"},
                                  private_key=DOKU_PRIVATE_KEY_PEM)

    assert response.status_code == 401
    assert response.json()["responseCode"] == "4017400"
