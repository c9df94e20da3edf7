"""DOKU asks us for the B2B token it will present on notifications (service 73)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
import pytest

from django_doku_allo.snap.signing import snap_timestamp
from tests.inbound.helpers import TOKEN_PATH, post_token, token_request_headers
from tests.settings import CLIENT_ID
from tests.support.keys import MERCHANT_PRIVATE_KEY_PEM, public_pem

pytestmark = pytest.mark.django_db


def test_token_request_signed_by_doku_gets_a_jwt_signed_with_the_merchant_key(client: Any
                                                                               ) -> None:
    response = post_token(client, token_request_headers())

    assert response.status_code == 200
    data = response.json()
    assert data["responseCode"] == "2007300"
    assert data["tokenType"] == "Bearer"
    assert data["expiresIn"] == 900
    claims = jwt.decode(data["accessToken"], public_pem(MERCHANT_PRIVATE_KEY_PEM),
                        algorithms=["RS256"], issuer="django-doku-allo")
    assert claims["clientId"] == CLIENT_ID
    assert response["X-CLIENT-KEY"] == CLIENT_ID
    assert response["X-TIMESTAMP"]


def test_token_request_signed_with_another_key_is_refused_4017300(client: Any) -> None:
    response = post_token(client, token_request_headers(key=MERCHANT_PRIVATE_KEY_PEM))

    assert response.status_code == 401
    assert response.json() == {"responseCode": "4017300",
                               "responseMessage": "Unauthorized. Invalid Signature"}


def test_token_request_for_another_client_is_refused(client: Any) -> None:
    response = post_token(client, token_request_headers(client_id="BRN-9999"))

    assert response.status_code == 401
    assert response.json()["responseCode"] == "4017300"


def test_token_request_with_a_stale_timestamp_is_refused(client: Any) -> None:
    stale = snap_timestamp(datetime.now(timezone.utc) - timedelta(minutes=6))

    response = post_token(client, token_request_headers(timestamp=stale))

    assert response.status_code == 401


def test_token_request_with_another_grant_type_is_a_400(client: Any) -> None:
    response = post_token(client, token_request_headers(), {"grantType": "password"})

    assert response.status_code == 400
    assert response.json()["responseCode"] == "4007301"


def test_token_endpoint_answers_only_post(client: Any) -> None:
    assert client.get(TOKEN_PATH).status_code == 405
