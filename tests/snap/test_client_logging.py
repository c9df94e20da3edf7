"""The client's logs (one line per call, no secret in any) and its connections and
token store."""

from __future__ import annotations

import json
import logging
import re

import pytest

from django_doku_allo.snap.client import AlloClient
from django_doku_allo.snap.errors import (
    DeclinedError,
    RetryableError,
)
from django_doku_allo.snap.signing import new_external_id
from django_doku_allo.snap.tokens import MemoryTokenStore
from tests.support.fake_doku import FakeDoku, snap_reply
from tests.support.keys import KeyPair
from tests.support.snap_client import (
    BINDING,
    CHANNEL,
    CLIENT_SECRET,
    CUSTOMER,
    PAYMENT,
    STATUS,
    ClientFactory,
    make_config,
)


# --------------------------------------------------------------------------- logging
def test_one_log_line_per_call_and_no_secret_in_any_log(
    client: AlloClient, fake_doku: FakeDoku, merchant_keys: KeyPair,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_doku.on("account_binding", snap_reply(
        "2000700", referenceNo="R", redirectUrl="https://allo/x",
        additionalInfo={"authCode": "AUTH-CODE-SECRET-1"}))
    fake_doku.on("payment", snap_reply("4035414", "Insufficient Funds"))
    caplog.set_level(logging.DEBUG)
    client.bind_account(BINDING, customer=CUSTOMER)
    client.exchange_auth_code("AUTH-CODE-SECRET-1")
    external_id = new_external_id()
    with pytest.raises(DeclinedError) as caught:
        client.pay(PAYMENT, customer_token="customer-token-1", customer=CUSTOMER,
                   external_id=external_id)

    lines = [r.getMessage() for r in caplog.records
             if r.name == "django_doku_allo.snap.client"]
    assert len(lines) == 4  # b2b token, binding, b2b2c token, payment
    payment_line = next(line for line in lines if "operation=payment" in line)
    assert f"external_id={external_id}" in payment_line
    assert "response_code=4035414" in payment_line
    assert re.search(r"duration_ms=\d+", payment_line)

    secrets = [CLIENT_SECRET, "b2b-token-1", "customer-token-1", "refresh-token-1",
               "AUTH-CODE-SECRET-1", *merchant_keys.secret_fragments()]
    secrets += [r.header("X-SIGNATURE") or "" for r in fake_doku.requests]
    everything = caplog.text + "\n".join(lines) + str(caught.value) + repr(caught.value)
    everything += repr(client.config)
    for secret in secrets:
        assert secret
        assert secret not in everything, secret


def test_a_failed_connect_is_logged_per_attempt(
    make_client: ClientFactory, refusing_port: int, caplog: pytest.LogCaptureFixture,
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{refusing_port}", connect_retries=1)
    caplog.set_level(logging.INFO, logger="django_doku_allo.snap.client")
    with pytest.raises(RetryableError):
        client.get_b2b_token()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert all("failure=connect-failed" in line and "operation=b2b_token" in line
               for line in lines)


def test_the_b2b_token_is_cached_in_the_given_store(
    fake_doku: FakeDoku, merchant_keys: KeyPair,
) -> None:
    store = MemoryTokenStore()
    config = make_config(fake_doku.base_url, merchant_keys.private_pkcs1)
    first, second = AlloClient(config, store), AlloClient(config, store)
    assert first.get_b2b_token() == second.get_b2b_token() == "b2b-token-1"
    assert len(fake_doku.requests_to("b2b_token")) == 1


def test_the_wire_body_is_json_text_in_the_recorded_bytes(client: AlloClient,
                                                          fake_doku: FakeDoku) -> None:
    fake_doku.on("check_status", snap_reply("2005500"))
    client.check_status(STATUS)
    [request] = fake_doku.requests_to("check_status")
    assert json.loads(request.body) == STATUS.to_body(CHANNEL, "55")
    assert request.header("Content-Length") == str(len(request.body))


def test_a_closed_client_reconnects_on_its_next_call(client: AlloClient,
                                                      fake_doku: FakeDoku) -> None:
    fake_doku.on("check_status", snap_reply("2005500", latestTransactionStatus="03"))
    client.check_status(STATUS)
    client.close()
    client.check_status(STATUS)
    assert len(fake_doku.requests_to("check_status")) == 2
    assert len(fake_doku.requests_to("b2b_token")) == 1  # the token outlives the connections
