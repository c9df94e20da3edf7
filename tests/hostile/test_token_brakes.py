"""Our B2B token endpoint has brakes (finding 5): a captured signed request mints one
token, and one address gets a bounded number of answers per window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from django_doku_allo.snap.signing import snap_timestamp
from tests.inbound.helpers import post_token, token_request_headers

pytestmark = pytest.mark.django_db


def test_a_replayed_signed_token_request_mints_no_new_token(client: Any) -> None:
    # DOKU's own requests within one second are byte-identical (RSA PKCS#1 v1.5 is
    # deterministic), so a replay is answered, but with the token the first one got.
    captured = token_request_headers()

    first = post_token(client, captured)
    replays = [post_token(client, captured) for _ in range(20)]

    assert first.status_code == 200
    assert {r.status_code for r in replays} == {200}
    assert {r.json()["accessToken"] for r in replays} == {first.json()["accessToken"]}


def test_each_freshly_signed_request_gets_its_token(client: Any) -> None:
    now = datetime.now(timezone.utc)
    headers = [token_request_headers(timestamp=snap_timestamp(now - timedelta(seconds=s)))
               for s in range(3)]

    assert [post_token(client, h).status_code for h in headers] == [200] * 3


def test_token_requests_over_the_rate_bound_are_429_in_snap_form(client: Any, settings: Any
                                                                 ) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "TOKEN_RATE_LIMIT": 3}

    statuses = [post_token(client, {"X-CLIENT-KEY": "x"}).status_code for _ in range(3)]
    response = post_token(client, token_request_headers())

    assert statuses == [401] * 3
    assert response.status_code == 429
    assert response.json() == {"responseCode": "4297300", "responseMessage": "Too Many Requests"}


def test_the_token_rate_bound_can_be_switched_off(client: Any, settings: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "TOKEN_RATE_LIMIT": None}

    statuses = {post_token(client, {"X-CLIENT-KEY": "x"}).status_code for _ in range(80)}

    assert statuses == {401}
