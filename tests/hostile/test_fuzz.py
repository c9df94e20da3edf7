"""Zero 5xx on anything from outside: property-based fuzzing of every surface (finding 2).

Hypothesis drives Django's test client (no live server) at the token endpoint, the
notification endpoint, both browser return views and every REST API endpoint
(with tampered cursors). Generated requests mix the genuine (signed as DOKU signs,
tokens we issued, links we made) with every kind of garbage, so both the refusals
and the paths behind verification are exercised. The only property: never a 5xx.
The rate bounds are switched off here so every request reaches the parsers; their
own tests are in ``test_notification_storage`` and ``test_token_brakes``.

``EXAMPLES`` requests per test (two tests for the API, one for each other surface)
keeps the whole module well under two minutes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_doku_allo.returns import payment_return_url
from django_doku_allo.snap.signing import (
    asymmetric_signature,
    load_private_key,
    minify,
    snap_timestamp,
)
from django_doku_allo.testing import notification_body, notification_headers, notification_path
from tests.inbound.helpers import TOKEN_PATH
from tests.settings import CLIENT_ID
from tests.support.keys import DOKU_PRIVATE_KEY_PEM
from tests.support.strategies import json_values

pytestmark = pytest.mark.django_db

EXAMPLES = 2000
DOKU_KEY = load_private_key(DOKU_PRIVATE_KEY_PEM)  # parsed once, not per example
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

# --------------------------------------------------------------------------- strategies
header_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=60)
now = datetime.now(timezone.utc)
timestamps = st.one_of(
    st.builds(lambda s: snap_timestamp(now + timedelta(seconds=s)),
              st.integers(-10**6, 10**6)),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                     "2024-02-30T00:00:00+07:00", "2024-01-01T24:00:00Z",
                     "2024-01-01T00:00:00+99:99", "2024-01-01T00:00:00.1234567890Z", ""]),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    header_text,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"[" * 3000, b'{"a": NaN}', b'{"a":1,"a":2}', b"\xff\xfe{}",
                     b'{"grantType": "client_credentials"}', b"{}"]),
)
extra_headers = st.dictionaries(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E,
                          exclude_characters=":"), min_size=1, max_size=20),
    header_text, max_size=4)


def assert_no_5xx(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:300])


def as_query(params: dict[str, str]) -> str:
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())


@pytest.fixture
def unbounded(settings: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "TOKEN_RATE_LIMIT": None,
                          "NOTIFICATION_RATE_LIMIT": None,
                          "PUBLIC_BASE_URL": "http://testserver"}


# --------------------------------------------------------------------------- DOKU's side
@st.composite
def token_requests(draw: Callable[..., Any]) -> tuple[dict[str, str], bytes]:
    timestamp = draw(timestamps)
    client_key = draw(st.sampled_from([CLIENT_ID, ""]) | header_text)
    signed = draw(st.booleans())
    signature = (asymmetric_signature(DOKU_KEY, client_key, timestamp)
                 if signed else draw(header_text))
    headers = {"X-CLIENT-KEY": client_key, "X-TIMESTAMP": timestamp, "X-SIGNATURE": signature,
               **draw(extra_headers)}
    return headers, draw(bodies)


def test_the_token_endpoint_never_answers_5xx(client: Client, unbounded: None) -> None:
    @FUZZ
    @given(request=token_requests())
    def run(request: tuple[dict[str, str], bytes]) -> None:
        headers, body = request
        assert_no_5xx(client.post(TOKEN_PATH, data=body, content_type="application/json",
                                  headers=headers))

    run()


@st.composite
def notifications(draw: Callable[..., Any], payment: Any) -> tuple[dict[str, str], bytes]:
    kind = draw(st.sampled_from(["genuine", "mutated", "garbage"]))
    if kind == "garbage":
        body = draw(bodies)
    else:
        fields = notification_body(payment, draw(st.sampled_from(["00", "03", "06", "99"])))
        if kind == "mutated":
            fields[draw(st.sampled_from(sorted(fields)) | st.text(max_size=8))] = draw(
                json_values)
        body = minify(fields).encode()
    text, timestamp = body.decode("utf-8", errors="replace"), draw(st.none() | timestamps)
    try:
        headers = notification_headers(text, timestamp=timestamp)
    except (ValueError, RecursionError):  # not JSON: no signature can cover it
        headers = notification_headers("{}", timestamp=timestamp)
    for name in draw(st.sets(st.sampled_from(sorted(headers)), max_size=2)):
        headers[name] = draw(header_text)
    return {**headers, **draw(extra_headers)}, body


def test_the_notification_endpoint_never_answers_5xx(client: Client, unbounded: None,
                                                     make_payment: Any) -> None:
    payment = make_payment()

    @FUZZ
    @given(request=notifications(payment))
    def run(request: tuple[dict[str, str], bytes]) -> None:
        headers, body = request
        assert_no_5xx(client.post(notification_path(), data=body,
                                  content_type="application/json", headers=headers))

    run()


# --------------------------------------------------------------------------- the browser
query_values = st.text(max_size=80)


def test_the_payment_return_view_never_answers_5xx(
        client: Client, unbounded: None, make_payment: Any, fake_client: Any) -> None:
    payment = make_payment()
    genuine = payment_return_url(None, payment.partner_reference_no, "success").split(
        "payment=")[1].split("&")[0]
    forged_reference = payment_return_url(None, "NOT-OURS", "success").split(
        "payment=")[1].split("&")[0]

    @FUZZ
    @given(token=st.sampled_from([genuine, forged_reference, genuine[:-3]]) | query_values,
           params=st.dictionaries(st.sampled_from(["result", "next", "x"]), query_values))
    def run(token: str, params: dict[str, str]) -> None:
        query = as_query({"payment": token, **params})
        assert_no_5xx(client.get(f"/doku-allo/payment/return/?{query}"))

    run()


def test_the_binding_return_view_never_answers_5xx(
        client: Client, unbounded: None, fake_client: Any) -> None:
    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(["state", "result", "next", "x"]),
                                  query_values))
    def run(params: dict[str, str]) -> None:
        assert_no_5xx(client.get(f"/doku-allo/binding/return/?{as_query(params)}"))

    run()


# --------------------------------------------------------------------------- the REST API
LISTS = ["/api/bindings/", "/api/payments/", "/api/refunds/"]
cursor_queries = st.dictionaries(st.sampled_from(["p", "o", "r", "x"]), query_values,
                                 max_size=3).map(lambda d: as_query(d))
cursors = st.one_of(
    cursor_queries.map(lambda q: base64.b64encode(q.encode()).decode()),
    st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()),
    query_values,
)


def test_every_api_list_never_answers_5xx_whatever_the_cursor(
        api: Client, unbounded: None, make_payment: Any) -> None:
    make_payment()

    @FUZZ
    @given(url=st.sampled_from(LISTS), cursor=cursors,
           params=st.dictionaries(st.sampled_from(["page_size", "status", "ordering"]),
                                  query_values, max_size=2))
    def run(url: str, cursor: str, params: dict[str, str]) -> None:
        assert_no_5xx(api.get(f"{url}?{as_query({'cursor': cursor, **params})}"))

    run()


def test_every_api_endpoint_never_answers_5xx_whatever_the_body_or_id(
        api: Client, unbounded: None, make_payment: Any, fake_client: Any) -> None:
    payment = make_payment()
    ids = st.sampled_from([str(payment.pk), str(payment.binding_id), "0", "-1", "9" * 30,
                           "%00", "abc"]) | st.text(max_size=12).map(quote)
    operations = st.sampled_from([
        ("post", "/api/bindings/"), ("post", "/api/payments/"),
        ("get", "/api/bindings/{}/"), ("get", "/api/bindings/{}/balance/"),
        ("delete", "/api/bindings/{}/"), ("get", "/api/payments/{}/"),
        ("post", "/api/payments/{}/refund/"), ("post", "/api/payments/{}/sync/"),
        ("get", "/api/refunds/{}/"),
    ])

    @FUZZ
    @given(operation=operations, pk=ids, body=bodies,
           headers=st.dictionaries(st.sampled_from(["Idempotency-Key", "X-Device-ID"]),
                                   header_text, max_size=2))
    def run(operation: tuple[str, str], pk: str, body: bytes, headers: dict[str, str]
            ) -> None:
        method, url = operation
        response = api.generic(method.upper(), url.format(pk), data=body,
                               content_type="application/json", headers=headers,
                               REMOTE_ADDR="10.0.0.7")
        assert_no_5xx(response)

    run()
