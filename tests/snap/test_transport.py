"""What the client does when the network or DOKU misbehaves, against real sockets.

Only a refused connect provably never reached DOKU, so only that is retried (with the
same X-EXTERNAL-ID and bytes). Anything after the request may have left is unknown
for a write and retryable for a read, and every exchange ends within its deadline.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from django_doku_allo.snap.client import AlloClient
from django_doku_allo.snap.errors import (
    ConnectFailedError,
    OutcomeUnknownError,
    RetryableError,
)
from django_doku_allo.snap.tokens import MemoryTokenStore
from django_doku_allo.snap.transport import DeadlineExceeded, Transport
from tests.support.fake_doku import PATHS, Exchange, FakeDoku, Recorded, slow, snap_reply
from tests.support.keys import KeyPair
from tests.support.snap_client import (
    CUSTOMER,
    PAYMENT,
    ClientFactory,
    RecordingTransport,
    make_config,
)

SLACK = 0.5  # scheduling slack on top of the deadline


def pay(client: AlloClient, external_id: str | None = None) -> Any:
    return client.pay(PAYMENT, customer_token="customer-token", customer=CUSTOMER,
                      external_id=external_id)


def balance(client: AlloClient) -> Any:
    return client.balance_inquiry(customer_token="customer-token", customer=CUSTOMER)


# --------------------------------------------------------------------------- connect failures
def test_connection_refused_is_retried_connect_retries_times_then_raises_connect_failed(
    make_client: ClientFactory, refusing_port: int,
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{refusing_port}", connect_retries=2)
    recorder = RecordingTransport(client.transport, lambda url, n: None)
    client.transport = recorder  # type: ignore[assignment]
    with pytest.raises(ConnectFailedError) as caught:
        client.get_b2b_token()
    assert len(recorder.attempts) == 3  # the first try and two retries
    assert isinstance(caught.value, RetryableError)
    assert "nothing was sent" in str(caught.value)


def test_a_payment_whose_connect_is_refused_is_retried_with_the_same_id_and_bytes(
    client: AlloClient, fake_doku: FakeDoku, refusing_port: int,
) -> None:
    refused = f"http://127.0.0.1:{refusing_port}{PATHS.payment}"
    recorder = RecordingTransport(
        client.transport, lambda url, n: refused if url.endswith(PATHS.payment) else None)
    client.transport = recorder  # type: ignore[assignment]
    with pytest.raises(ConnectFailedError) as caught:
        pay(client, external_id="777000111")
    attempts = recorder.attempts_to(PATHS.payment)
    assert len(attempts) == 3
    assert {a.headers["X-EXTERNAL-ID"] for a in attempts} == {"777000111"}
    assert len({a.body for a in attempts}) == 1
    assert caught.value.external_id == "777000111"
    assert caught.value.operation == "payment"
    assert fake_doku.requests_to("payment") == []


def test_connect_refused_then_accepted_sends_identical_external_id_and_body_bytes(
    fake_doku: FakeDoku, merchant_keys: KeyPair, refusing_socket: socket.socket,
) -> None:
    # The token comes from a working DOKU through the shared store; the payment goes to
    # a port where nothing listens yet. After the first refused connect, a server starts
    # listening on that very port and the client's retry reaches it.
    store = MemoryTokenStore()
    AlloClient(make_config(fake_doku.base_url, merchant_keys.private_pkcs8), store,
               token_cache_key="shared").get_b2b_token()
    port = refusing_socket.getsockname()[1]
    client = AlloClient(make_config(f"http://127.0.0.1:{port}", merchant_keys.private_pkcs8),
                        store, token_cache_key="shared")
    late: list[FakeDoku] = []
    real_post = client.transport.post
    attempts: list[tuple[bytes, dict[str, str]]] = []

    def post_then_start_server(url: str, body: bytes, headers: Any, **kwargs: Any) -> Any:
        attempts.append((body, dict(headers)))
        try:
            return real_post(url, body, headers, **kwargs)
        finally:
            if not late:
                server = FakeDoku(sock=refusing_socket)
                server.on("payment", snap_reply("2005400", referenceNo="REF-P"))
                late.append(server)

    client.transport.post = post_then_start_server  # type: ignore[method-assign]
    try:
        result = pay(client)
        [received] = late[0].requests_to("payment")
    finally:
        if late:
            late[0].close()
    assert result.reference_no == "REF-P"
    assert len(attempts) == 2
    first_body, first_headers = attempts[0]
    assert received.body == first_body
    assert received.header("X-EXTERNAL-ID") == first_headers["X-EXTERNAL-ID"]
    assert received.header("X-SIGNATURE") == first_headers["X-SIGNATURE"]


def test_an_unresolvable_host_is_a_connect_failure(make_client: ClientFactory) -> None:
    client = make_client(base_url="http://no-such-host.invalid", connect_retries=0)
    with pytest.raises(ConnectFailedError):
        client.get_b2b_token()


# --------------------------------------------------------------------------- read timeouts
def test_read_timeout_on_a_payment_is_unknown_and_never_resent(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.on("payment", slow(1.0, snap_reply("2005400")))
    with pytest.raises(OutcomeUnknownError) as caught:
        pay(client, external_id="4242")
    assert caught.value.external_id == "4242"
    assert "status" in str(caught.value)
    time.sleep(0.1)
    assert len(fake_doku.requests_to("payment")) == 1


def test_read_timeout_on_a_balance_inquiry_is_retryable(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.on("balance_inquiry", slow(1.0, snap_reply("2001100")))
    with pytest.raises(RetryableError) as caught:
        balance(client)
    assert not isinstance(caught.value, ConnectFailedError)
    assert len(fake_doku.requests_to("balance_inquiry")) == 1


def test_a_connection_closed_without_an_answer_leaves_a_payment_unknown(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.on("payment", lambda request, exchange: exchange.hang_up())
    with pytest.raises(OutcomeUnknownError):
        pay(client)
    assert len(fake_doku.requests_to("payment")) == 1


# --------------------------------------------------------------------------- the deadline
def _trickler(declare_length: bool) -> Any:
    body = json.dumps({"responseCode": "2005400", "padding": "x" * 200}).encode()

    def handle(_: Recorded, exchange: Exchange) -> None:
        exchange.trickle(200, body, interval=0.05, declare_length=declare_length)

    return handle


@pytest.mark.parametrize("declare_length", [True, False],
                         ids=["content-length", "until-close"])
def test_a_server_trickling_bytes_within_the_read_timeout_is_cut_off_by_the_deadline(
    make_client: ClientFactory, fake_doku: FakeDoku, declare_length: bool,
) -> None:
    client = make_client(read_timeout=0.3, deadline=1.0)
    client.get_b2b_token()  # the payment reuses this pooled connection
    fake_doku.on("payment", _trickler(declare_length))
    started = time.monotonic()
    with pytest.raises(OutcomeUnknownError):
        pay(client)
    assert time.monotonic() - started < 1.0 + SLACK


def test_a_trickling_balance_inquiry_is_cut_off_and_retryable(
    make_client: ClientFactory, fake_doku: FakeDoku,
) -> None:
    client = make_client(read_timeout=0.3, deadline=1.0)
    client.get_b2b_token()
    fake_doku.on("balance_inquiry", _trickler(True))
    started = time.monotonic()
    with pytest.raises(RetryableError):
        balance(client)
    assert time.monotonic() - started < 1.0 + SLACK


def test_a_server_trickling_its_status_line_and_headers_is_cut_off_by_the_deadline(
    make_client: ClientFactory, fake_doku: FakeDoku,
) -> None:
    body = b'{"responseCode":"2007300","accessToken":"t","expiresIn":900}'
    response = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + b"X-Padding: " + b"p" * 100 + b"\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    fake_doku.on("b2b_token", lambda _, exchange: exchange.trickle_raw(response, interval=0.05))
    client = make_client(read_timeout=0.3, deadline=1.0)  # a fresh connection this time
    started = time.monotonic()
    with pytest.raises(RetryableError):
        client.get_b2b_token()
    assert time.monotonic() - started < 1.0 + SLACK


def test_the_deadline_covers_connect_retries_too(
    make_client: ClientFactory, refusing_port: int,
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{refusing_port}", deadline=0.5,
                         connect_retries=50, connect_retry_backoff=0.05)
    started = time.monotonic()
    with pytest.raises(ConnectFailedError):
        client.get_b2b_token()
    assert time.monotonic() - started < 0.5 + SLACK


# --------------------------------------------------------------------------- bad answers
def _raw(status: int, body: bytes, content_type: str = "application/json",
         **kwargs: Any) -> Any:
    def handle(_: Recorded, exchange: Exchange) -> None:
        exchange.raw(status, body, content_type=content_type, **kwargs)

    return handle


BAD_ANSWERS = {
    "truncated-json": _raw(200, b'{"responseCode":"2005400","referenceNo":"R'),
    "cut-off-body": _raw(200, b'{"responseCode":"2005400"', declare_length=200),
    "invalid-json": _raw(200, b"not json at all"),
    "json-array": _raw(200, b'["2005400"]'),
    "no-response-code": _raw(200, b'{"referenceNo":"R1"}'),
    "numeric-response-code": _raw(200, b'{"responseCode":2005400}'),
    "html-502": _raw(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>",
                     content_type="text/html"),
    "not-utf8": _raw(200, b'{"responseCode":"\xff\xfe"}'),
    "empty-200": _raw(200, b""),
    "redirect": _raw(302, b"", headers={"Location": "https://elsewhere.example/"}),
}


@pytest.mark.parametrize("answer", list(BAD_ANSWERS))
def test_a_broken_answer_to_a_payment_is_unknown(
    client: AlloClient, fake_doku: FakeDoku, answer: str,
) -> None:
    fake_doku.on("payment", BAD_ANSWERS[answer])
    with pytest.raises(OutcomeUnknownError) as caught:
        pay(client)
    if answer == "html-502":
        assert caught.value.http_status == 502
    assert len(fake_doku.requests_to("payment")) == 1


@pytest.mark.parametrize("answer", list(BAD_ANSWERS))
def test_a_broken_answer_to_a_balance_inquiry_is_retryable(
    client: AlloClient, fake_doku: FakeDoku, answer: str,
) -> None:
    fake_doku.on("balance_inquiry", BAD_ANSWERS[answer])
    with pytest.raises(RetryableError) as caught:
        balance(client)
    assert not isinstance(caught.value, ConnectFailedError)


@pytest.mark.parametrize(("call", "error"), [(pay, OutcomeUnknownError),
                                             (balance, RetryableError)])
def test_an_oversized_answer_is_refused(
    make_client: ClientFactory, fake_doku: FakeDoku, call: Any, error: type[Exception],
) -> None:
    client = make_client(max_response_bytes=1000)
    huge = json.dumps({"responseCode": "2005400", "padding": "x" * 50_000}).encode()
    fake_doku.on("payment", _raw(200, huge))
    fake_doku.on("balance_inquiry", _raw(200, huge))
    with pytest.raises(error):
        call(client)


# --------------------------------------------------------------------------- the transport
def test_transport_posts_exactly_the_given_bytes_and_returns_the_reply(fake_doku: FakeDoku) -> None:
    fake_doku.on("payment", _raw(201, b'{"ok":true}', headers={"X-Trace": "t1"}))
    transport = Transport(connect_timeout=0.5, read_timeout=0.3, deadline=1.0,
                          max_response_bytes=1000, user_agent="django-doku-allo-tests")
    body = '{"name":"Café"}'.encode()
    reply = transport.post(fake_doku.base_url + PATHS.payment, body,
                           {"Content-Type": "application/json"})
    [request] = fake_doku.requests_to("payment")
    assert request.body == body
    assert request.header("User-Agent") == "django-doku-allo-tests"
    assert (reply.status, reply.body, reply.headers["X-Trace"]) == (201, b'{"ok":true}', "t1")


def test_transport_never_returns_a_body_cut_short_by_the_deadline(fake_doku: FakeDoku) -> None:
    # A body delimited by connection close simply ends when the watchdog shuts the socket:
    # the transport must say "deadline", not hand back the bytes it happened to get.
    fake_doku.on("payment", _trickler(declare_length=False))
    transport = Transport(connect_timeout=0.5, read_timeout=0.3, deadline=0.5,
                          max_response_bytes=10_000)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        transport.post(fake_doku.base_url + PATHS.payment, b"{}", {})
    assert time.monotonic() - started < 0.5 + SLACK


def test_a_stall_after_the_headers_is_unknown_not_a_connect_failure(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    # requests reports a body-phase read timeout as ConnectionError(ReadTimeoutError):
    # it must not be mistaken for a refused connect, or the payment would be sent again.
    def headers_then_stall(_: Recorded, exchange: Exchange) -> None:
        exchange.trickle(200, b'{"responseCode":"2005400"}', interval=1.0)

    fake_doku.on("payment", headers_then_stall)
    with pytest.raises(OutcomeUnknownError):
        pay(client)
    assert len(fake_doku.requests_to("payment")) == 1
