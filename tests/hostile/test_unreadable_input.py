"""Every parser of outside input answers a 4xx on what it cannot read (finding 2).

Regression cases found by hand; the fuzzing in ``test_fuzz`` looks for more.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import pytest

from django_doku_allo.models import Notification
from django_doku_allo.snap.signing import minify, parse_snap_timestamp
from django_doku_allo.testing import notification_body, notification_headers
from tests.inbound.helpers import post_raw, post_token, token_request_headers

pytestmark = pytest.mark.django_db

#: Valid in their own zone, with no UTC equivalent (year 0 and year 10000).
OUT_OF_RANGE = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


@pytest.mark.parametrize("timestamp", OUT_OF_RANGE)
def test_a_timestamp_with_no_utc_equivalent_is_a_value_error(timestamp: str) -> None:
    with pytest.raises(ValueError, match="not a valid SNAP timestamp"):
        parse_snap_timestamp(timestamp)


@pytest.mark.parametrize("timestamp", OUT_OF_RANGE)
def test_the_token_endpoint_answers_400_to_an_out_of_range_timestamp(
        client: Any, timestamp: str) -> None:
    response = post_token(client, token_request_headers(timestamp=timestamp))

    assert response.status_code == 400
    assert response.json()["responseCode"] == "4007301"


@pytest.mark.parametrize("timestamp", OUT_OF_RANGE)
def test_the_notification_endpoint_answers_400_and_records_why(
        client: Any, make_payment: Any, timestamp: str) -> None:
    body = minify(notification_body(make_payment(), "00"))

    response = post_raw(client, body, notification_headers(body, timestamp=timestamp))

    assert response.status_code == 400
    assert response.json()["responseCode"] == "4005601"
    assert Notification.objects.get().verification_error == "Invalid Field Format X-TIMESTAMP"


def cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize("url", ["/api/bindings/", "/api/payments/", "/api/refunds/"])
@pytest.mark.parametrize("position", [
    "p=0", "p=%00", "p=2024-01-01", "p=9999-12-31 23:59:59-14:00", "p=0001-01-01+14:00",
    "o=-1", "r=x", "p=" + "9" * 400,
])
def test_a_tampered_cursor_is_a_400_on_every_list(api: Any, url: str, position: str) -> None:
    response = api.get(f"{url}?{urlencode({'cursor': cursor(position)})}")

    assert response.status_code == 400, response.content
    assert response.json()["fields"] == {"cursor": ["Invalid cursor."]}


def test_a_cursor_the_api_made_still_works(api: Any, make_payment: Any, make_binding: Any
                                           ) -> None:
    binding = make_binding()
    for _ in range(3):
        make_payment(binding=binding)

    first = api.get("/api/payments/?page_size=2").json()
    second = api.get(first["next"])

    assert second.status_code == 200
    assert len(second.json()["results"]) == 1
