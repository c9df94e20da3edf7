"""The client's B2B and B2B2C tokens against a real local HTTP server: how they are
requested, cached and renewed when DOKU says one is invalid (spec sections 2 and 5)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from django_doku_allo.snap.client import AlloClient
from django_doku_allo.snap.errors import (
    DeclinedError,
    InvalidCustomerTokenError,
    InvalidRequestError,
    RetryableError,
)
from django_doku_allo.snap.signing import verify_asymmetric_signature
from tests.support.fake_doku import FakeDoku, snap_reply
from tests.support.keys import KeyPair
from tests.support.snap_client import (
    CLIENT_ID,
    CUSTOMER,
    CUSTOMER_TOKEN,
    PAYMENT,
    STATUS,
    TIMESTAMP_RE,
    ClientFactory,
    assert_signed_call,
)


# --------------------------------------------------------------------------- tokens
def test_b2b_token_request_is_signed_with_the_merchant_key(
    client: AlloClient, fake_doku: FakeDoku, merchant_keys: KeyPair,
) -> None:
    assert client.get_b2b_token() == "b2b-token-1"
    [request] = fake_doku.requests_to("b2b_token")
    assert request.path == "/authorization/v1/access-token/b2b"
    assert request.body == b'{"grantType":"client_credentials"}'
    assert request.header("X-CLIENT-KEY") == CLIENT_ID
    assert request.header("Content-Type") == "application/json"
    timestamp = request.header("X-TIMESTAMP") or ""
    assert TIMESTAMP_RE.fullmatch(timestamp)
    signature = request.header("X-SIGNATURE") or ""
    assert verify_asymmetric_signature(merchant_keys.public_spki, CLIENT_ID, timestamp,
                                       signature)
    assert request.header("Authorization") is None


def test_fetched_b2b_token_expires_after_expires_in_seconds(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.b2b_expires_in = "600"  # SNAP types it as a string
    token = client.fetch_b2b_token()
    remaining = (token.expires_at - datetime.now(timezone.utc)).total_seconds()
    assert 590 < remaining <= 600
    assert "b2b-token" not in repr(token)


def test_the_b2b_token_is_fetched_once_for_many_calls(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.on("check_status", snap_reply("2005500", latestTransactionStatus="00"))
    for _ in range(5):
        client.check_status(STATUS)
    assert len(fake_doku.requests_to("b2b_token")) == 1
    assert len(fake_doku.requests_to("check_status")) == 5


def test_auth_code_exchange_sends_the_b2b2c_body_and_reads_the_token_pair(
    client: AlloClient, fake_doku: FakeDoku, merchant_keys: KeyPair,
) -> None:
    token = client.exchange_auth_code("AUTH-CODE-1")
    [request] = fake_doku.requests_to("b2b2c_token")
    assert request.path == "/authorization/v1/access-token/b2b2c"
    assert request.body == (
        b'{"grantType":"authorization_code","authCode":"AUTH-CODE-1","additionalInfo":{}}')
    assert request.header("X-CLIENT-KEY") == CLIENT_ID
    assert verify_asymmetric_signature(merchant_keys.public_spki, CLIENT_ID,
                                       request.header("X-TIMESTAMP") or "",
                                       request.header("X-SIGNATURE") or "")
    assert token.access_token == "customer-token-1"
    assert token.refresh_token == "refresh-token-1"
    assert token.access_token_expires_at == datetime(2029, 12, 31, 17, tzinfo=timezone.utc)
    assert fake_doku.requests_to("b2b_token") == []  # no B2B token needed for this call


def test_customer_token_refresh_sends_the_refresh_token_grant(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    client.refresh_customer_token("REFRESH-1")
    [request] = fake_doku.requests_to("b2b2c_token")
    assert request.json() == {"grantType": "refresh_token", "refreshToken": "REFRESH-1",
                              "additionalInfo": {}}


def test_4017400_from_the_b2b2c_endpoint_means_the_binding_was_revoked(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.on("b2b2c_token", snap_reply("4017400", "Unauthorized. Invalid authCode"))
    with pytest.raises(InvalidCustomerTokenError) as caught:
        client.exchange_auth_code("AUTH-CODE-1")
    assert caught.value.response_code == "4017400"
    assert "link the account again" in str(caught.value)


def test_an_empty_auth_code_is_refused_before_sending(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    with pytest.raises(InvalidRequestError):
        client.exchange_auth_code("")
    with pytest.raises(InvalidRequestError):
        client.refresh_customer_token("")
    assert fake_doku.requests == []


def test_a_rejected_b2b_token_request_is_declined_with_a_hint(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.on("b2b_token", snap_reply("4017300", "Unauthorized. Invalid Signature"))
    with pytest.raises(DeclinedError) as caught:
        client.check_status(STATUS)
    assert caught.value.response_code == "4017300"
    assert "PRIVATE_KEY" in str(caught.value)
    assert fake_doku.requests_to("check_status") == []


def test_a_token_answer_without_access_token_is_retryable(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.on("b2b_token", snap_reply("2007300", expiresIn=900))
    with pytest.raises(RetryableError):
        client.get_b2b_token()

# --------------------------------------------------------------------------- invalid token
def test_invalid_b2b_token_forces_one_refresh_and_one_resend_with_a_new_external_id(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.on("payment", snap_reply("4015401", "Invalid Token (B2B)"),
            snap_reply("2005400", referenceNo="REF-P", webRedirectUrl="https://allo/p"))
    result = client.pay(PAYMENT, customer_token=CUSTOMER_TOKEN, customer=CUSTOMER,
                        external_id="111111111111111111111111")
    first, second = fake_doku.requests_to("payment")
    assert len(fake_doku.requests_to("b2b_token")) == 2
    assert first.header("X-EXTERNAL-ID") == "111111111111111111111111"
    assert second.header("X-EXTERNAL-ID") != first.header("X-EXTERNAL-ID")
    assert result.response.external_id == second.header("X-EXTERNAL-ID")
    assert first.body == second.body
    assert_signed_call(first, b2b_token="b2b-token-1")
    assert_signed_call(second, b2b_token="b2b-token-2")
    assert result.reference_no == "REF-P"


def test_the_resend_can_keep_its_external_id(
    make_client: ClientFactory, fake_doku: FakeDoku,
) -> None:
    client = make_client(new_external_id_after_token_refresh=False)
    fake_doku.on("payment", snap_reply("4015401", "Invalid Token (B2B)"),
            snap_reply("2005400", referenceNo="REF-P", webRedirectUrl="https://allo/p"))
    result = client.pay(PAYMENT, customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)
    first, second = fake_doku.requests_to("payment")
    assert first.header("X-EXTERNAL-ID") == second.header("X-EXTERNAL-ID")
    assert result.response.external_id == first.header("X-EXTERNAL-ID")


def test_a_second_invalid_token_answer_is_declined_without_a_third_attempt(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.on("payment", snap_reply("4015401", "Invalid Token (B2B)"))
    with pytest.raises(DeclinedError) as caught:
        client.pay(PAYMENT, customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)
    assert caught.value.response_code == "4015401"
    assert len(fake_doku.requests_to("payment")) == 2
    assert len(fake_doku.requests_to("b2b_token")) == 2


def test_a_bad_signature_answer_is_not_retried(client: AlloClient, fake_doku: FakeDoku) -> None:
    fake_doku.on("payment", snap_reply("4015400", "Unauthorized. Signature"))
    with pytest.raises(DeclinedError) as caught:
        client.pay(PAYMENT, customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)
    assert "CLIENT_SECRET" in str(caught.value)
    assert len(fake_doku.requests_to("payment")) == 1
    assert len(fake_doku.requests_to("b2b_token")) == 1


def test_an_invalid_customer_token_raises_its_own_error(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.on("balance_inquiry", snap_reply("4011102", "Invalid Customer Token"))
    with pytest.raises(InvalidCustomerTokenError):
        client.balance_inquiry(customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)
