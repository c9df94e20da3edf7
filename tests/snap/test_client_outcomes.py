"""What each SNAP answer means for the caller: declined, unknown, retryable, pending
(spec section 7)."""

from __future__ import annotations

from typing import Any

import pytest

from django_doku_allo.snap.client import AlloClient
from django_doku_allo.snap.errors import (
    DeclinedError,
    DokuAlloError,
    OutcomeUnknownError,
    RetryableError,
    SnapError,
)
from django_doku_allo.snap.signing import new_external_id
from tests.support.fake_doku import FakeDoku, Recorded, snap_reply
from tests.support.snap_client import (
    CUSTOMER,
    CUSTOMER_TOKEN,
    PAYMENT,
    REFUND,
)


# --------------------------------------------------------------------------- outcomes
@pytest.mark.parametrize(("code", "message"), [
    ("4035414", "Insufficient Funds"), ("4005401", "Invalid Field Format amount"),
    ("4045411", "Invalid Account"), ("4045418", "Inconsistent Request"),
    ("4035418", "Inactive Account"), ("4035402", "Exceeds Transaction Amount Limit"),
])
def test_declined_payment_codes_raise_declined_error_with_code_and_message(
    client: AlloClient, fake_doku: FakeDoku, code: str, message: str,
) -> None:
    fake_doku.on("payment", snap_reply(code, message))
    external_id = new_external_id()
    with pytest.raises(DeclinedError) as caught:
        client.pay(PAYMENT, customer_token=CUSTOMER_TOKEN, customer=CUSTOMER,
                   external_id=external_id)
    error = caught.value
    assert (error.response_code, error.response_message) == (code, message)
    assert error.http_status == int(code[:3])
    assert error.external_id == external_id
    assert error.operation == "payment"
    assert error.raw["responseCode"] == code
    assert code in str(error)
    assert message in str(error)
    assert isinstance(error, SnapError)
    assert isinstance(error, DokuAlloError)


@pytest.mark.parametrize("code", ["4095400", "4095401", "5005400", "5005401", "5005402",
                                  "5045400"])
def test_duplicate_and_server_error_codes_leave_a_payment_unknown(
    client: AlloClient, fake_doku: FakeDoku, code: str,
) -> None:
    fake_doku.on("payment", snap_reply(code, "Whatever"))
    with pytest.raises(OutcomeUnknownError) as caught:
        client.pay(PAYMENT, customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)
    assert caught.value.response_code == code
    assert "status" in str(caught.value)
    assert len(fake_doku.requests_to("payment")) == 1  # never resent blindly


def test_refund_inconsistent_request_is_unknown_to_be_confirmed_by_status(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.on("refund", snap_reply("4045818", "Inconsistent Request"))
    with pytest.raises(OutcomeUnknownError):
        client.refund(REFUND, customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)


@pytest.mark.parametrize("code", ["5001100", "5041100", "4291100", "4031106"])
def test_server_errors_and_throttling_on_a_balance_inquiry_are_retryable(
    client: AlloClient, fake_doku: FakeDoku, code: str,
) -> None:
    fake_doku.on("balance_inquiry", snap_reply(code, "Later"))
    with pytest.raises(RetryableError) as caught:
        client.balance_inquiry(customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)
    assert caught.value.response_code == code


def test_a_replayed_answer_with_http_409_is_read_by_its_body(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    # DOKU answers a replay (same X-EXTERNAL-ID, same body) with the first answer's body
    # and HTTP 409: the body's code is what happened.
    def replay(_: Recorded, exchange: Any) -> None:
        exchange.json(409, {"responseCode": "2005400", "responseMessage": "Successful",
                            "referenceNo": "REF-P", "webRedirectUrl": "https://allo/p"})

    fake_doku.on("payment", replay)
    result = client.pay(PAYMENT, customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)
    assert result.reference_no == "REF-P"
    assert result.response.http_status == 409


def test_pending_202_is_returned_not_raised(client: AlloClient, fake_doku: FakeDoku) -> None:
    fake_doku.on("payment", snap_reply("2025400", "Request In Progress"))
    result = client.pay(PAYMENT, customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)
    assert result.response.response_code == "2025400"
