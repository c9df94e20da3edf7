"""Every operation against a real local HTTP server: paths, headers, exact signed bytes,
token handling, outcomes and logs (spec sections 2 to 5 and 7)."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from django_doku_allo.snap.client import AlloClient
from django_doku_allo.snap.codes import TransactionStatus
from django_doku_allo.snap.errors import (
    DeclinedError,
    DokuAlloError,
    InvalidCustomerTokenError,
    InvalidRequestError,
    OutcomeUnknownError,
    RetryableError,
    SnapError,
)
from django_doku_allo.snap.messages import (
    AccountBindingRequest,
    CheckStatusRequest,
    CustomerContext,
    LineItem,
    PaymentRequest,
    RefundRequest,
)
from django_doku_allo.snap.signing import (
    minify,
    new_external_id,
    parse_snap_timestamp,
    verify_asymmetric_signature,
)

from .conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    ClientFactory,
    FakeDoku,
    KeyPair,
    Recorded,
    raw_symmetric_signature,
    snap_reply,
)

CHANNEL = "DIRECT_DEBIT_ALLO_SNAP"
CUSTOMER = CustomerContext(ip_address="10.0.0.1", device_id="95221")
CUSTOMER_TOKEN = "customer-token-XYZ"
TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00")

BINDING = AccountBindingRequest(
    phone_no="6281234567890", cust_id_merchant="cust-001", customer_name="Siti Café",
    success_registration_url="https://shop.example/bind/ok?state=a/b",
    failed_registration_url="https://shop.example/bind/fail", device_model="iPhone 12",
    os_type="ios", channel_id="web")
PAYMENT = PaymentRequest(
    partner_reference_no="INV-0001", amount=Decimal("10000"), remarks="Order INV-0001",
    success_payment_url="https://shop.example/pay/ok",
    failed_payment_url="https://shop.example/pay/fail",
    line_items=[LineItem("Bag", Decimal("10000"), 1)])
REFUND = RefundRequest(
    original_partner_reference_no="INV-0001", original_reference_no="REF-1",
    original_external_id="123456789012345678901234", refund_amount=Decimal("10000"),
    partner_refund_no="RF" + "0" * 30, reason="Customer complaint")
STATUS = CheckStatusRequest(original_partner_reference_no="INV-0001",
                            original_reference_no="REF-1", original_external_id="42")


def assert_signed_call(request: Recorded, *, b2b_token: str) -> None:
    """The SNAP headers every transactional call carries, and a signature over exactly
    the bytes the server received (recomputed here, independently of the client)."""
    assert request.method == "POST"
    assert request.header("Content-Type") == "application/json"
    timestamp = request.header("X-TIMESTAMP") or ""
    assert TIMESTAMP_RE.fullmatch(timestamp)
    parse_snap_timestamp(timestamp)
    assert request.header("X-PARTNER-ID") == CLIENT_ID
    external_id = request.header("X-EXTERNAL-ID") or ""
    assert external_id.isdigit()
    assert len(external_id) <= 36
    assert request.header("CHANNEL-ID") == "H2H"
    assert request.header("Authorization") == f"Bearer {b2b_token}"
    assert request.header("X-SIGNATURE") == raw_symmetric_signature(
        CLIENT_SECRET, "POST", request.path, b2b_token, request.body, timestamp)
    # The bytes sent are the canonical compact form: hashed == sent.
    assert request.body == minify(request.json()).encode("utf-8")


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


# --------------------------------------------------------------------------- operations
def test_account_binding_request_on_the_wire(client: AlloClient, fake_doku: FakeDoku) -> None:
    fake_doku.on("account_binding", snap_reply(
        "2000700", referenceNo="REF-B", redirectUrl="https://allo.example/otp/1",
        additionalInfo={"custIdMerchant": "cust-001", "accountStatus": "PENDING",
                        "status": "PENDING", "authCode": "AUTH-1"}))
    result = client.bind_account(BINDING, customer=CUSTOMER)
    [request] = fake_doku.requests_to("account_binding")
    assert request.path == "/direct-debit/core/v1/registration-account-binding"
    assert_signed_call(request, b2b_token="b2b-token-1")
    assert request.header("X-IP-ADDRESS") == "10.0.0.1"
    assert request.header("X-DEVICE-ID") == "95221"
    assert request.header("Authorization-Customer") is None
    assert request.json() == {"phoneNo": "6281234567890", "additionalInfo": {
        "channel": CHANNEL, "custIdMerchant": "cust-001", "customerName": "Siti Café",
        "successRegistrationUrl": "https://shop.example/bind/ok?state=a/b",
        "failedRegistrationUrl": "https://shop.example/bind/fail",
        "deviceModel": "iPhone 12", "osType": "ios", "channelId": "web"}}
    # Raw UTF-8 and unescaped slashes: the bytes are the canonical form itself.
    assert "Café".encode() in request.body
    assert b"\\/" not in request.body
    assert (result.reference_no, result.redirect_url, result.auth_code,
            result.account_status) == ("REF-B", "https://allo.example/otp/1", "AUTH-1",
                                       "PENDING")


def test_account_binding_without_a_device_id_is_refused_before_sending(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.bind_account(BINDING, customer=CustomerContext("10.0.0.1"))
    assert caught.value.field == "device_id"
    assert fake_doku.requests == []


def test_balance_inquiry_request_on_the_wire(client: AlloClient, fake_doku: FakeDoku) -> None:
    fake_doku.on("balance_inquiry", snap_reply("2001100", accountInfos=[{
        "balanceType": "BALANCE", "amount": {"value": "50000.00", "currency": "IDR"},
        "floatAmount": {"value": "50000.00", "currency": "IDR"},
        "holdAmount": {"value": "0.00", "currency": "IDR"}}]))
    result = client.balance_inquiry(customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)
    [request] = fake_doku.requests_to("balance_inquiry")
    assert request.path == "/direct-debit/core/v1/balance-inquiry"
    assert_signed_call(request, b2b_token="b2b-token-1")
    assert request.header("Authorization-Customer") == f"Bearer {CUSTOMER_TOKEN}"
    assert request.header("X-IP-ADDRESS") == "10.0.0.1"
    assert request.body == b'{"additionalInfo":{"channel":"DIRECT_DEBIT_ALLO_SNAP"}}'
    assert result.available is not None
    assert result.available.value == Decimal("50000.00")
    assert result.accounts[0].flat_amount is not None


def test_payment_request_on_the_wire(client: AlloClient, fake_doku: FakeDoku) -> None:
    fake_doku.on("payment", snap_reply(
        "2005400", referenceNo="REF-P", partnerReferenceNo="INV-0001",
        webRedirectUrl="https://allo.example/pay/1", approvalCode="A1",
        appRedirectUrl="allo://x", additionalInfo={"anything": "new"}))
    external_id = new_external_id()
    result = client.pay(PAYMENT, customer_token=CUSTOMER_TOKEN, customer=CUSTOMER,
                        external_id=external_id)
    [request] = fake_doku.requests_to("payment")
    assert request.path == "/direct-debit/core/v1/debit/payment-host-to-host"
    assert_signed_call(request, b2b_token="b2b-token-1")
    assert request.header("X-EXTERNAL-ID") == external_id
    assert request.header("Authorization-Customer") == f"Bearer {CUSTOMER_TOKEN}"
    assert request.header("X-IP-ADDRESS") == "10.0.0.1"
    assert request.header("X-DEVICE-ID") == "95221"
    assert request.json() == {
        "partnerReferenceNo": "INV-0001", "amount": {"value": "10000.00", "currency": "IDR"},
        "additionalInfo": {"channel": CHANNEL, "remarks": "Order INV-0001",
                           "successPaymentUrl": "https://shop.example/pay/ok",
                           "failedPaymentUrl": "https://shop.example/pay/fail",
                           "lineItems": [{"name": "Bag", "price": "10000.00",
                                          "quantity": "1"}]}}
    assert (result.reference_no, result.web_redirect_url) == ("REF-P",
                                                              "https://allo.example/pay/1")


def test_refund_request_on_the_wire(client: AlloClient, fake_doku: FakeDoku) -> None:
    fake_doku.on("refund", snap_reply(
        "2005800", refundNo="RF-1", partnerRefundNo=REFUND.partner_refund_no,
        refundAmount={"value": "10000.00", "currency": "IDR"},
        refundTime="2024-01-01T10:00:00+07:00", originalReferenceNo="REF-1"))
    result = client.refund(REFUND, customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)
    [request] = fake_doku.requests_to("refund")
    assert request.path == "/direct-debit/core/v1/debit/refund"
    assert_signed_call(request, b2b_token="b2b-token-1")
    assert request.header("Authorization-Customer") == f"Bearer {CUSTOMER_TOKEN}"
    assert request.header("X-IP-ADDRESS") == "10.0.0.1"
    assert request.json() == REFUND.to_body(CHANNEL)
    assert result.refund_no == "RF-1"
    assert result.refund_time == datetime(2024, 1, 1, 3, tzinfo=timezone.utc)


@pytest.mark.parametrize("service_code", ["55", "54"])
def test_check_status_request_on_the_wire(
    make_client: ClientFactory, fake_doku: FakeDoku, service_code: str,
) -> None:
    client = make_client(status_service_code=service_code)
    fake_doku.on("check_status", snap_reply(
        "2005500", latestTransactionStatus="00", transactionStatusDesc="Success",
        originalReferenceNo="REF-1", originalPartnerReferenceNo="INV-0001",
        transAmount={"value": "10000.00", "currency": "IDR"}, sessionId="s"))
    result = client.check_status(STATUS)
    [request] = fake_doku.requests_to("check_status")
    assert request.path == "/orders/v1.0/debit/status"
    assert_signed_call(request, b2b_token="b2b-token-1")
    assert request.header("Authorization-Customer") is None
    assert request.header("X-IP-ADDRESS") is None
    assert request.json() == {"originalPartnerReferenceNo": "INV-0001",
                              "originalReferenceNo": "REF-1", "originalExternalId": "42",
                              "serviceCode": service_code,
                              "additionalInfo": {"channel": CHANNEL}}
    assert result.latest_transaction_status is TransactionStatus.SUCCESS


def test_account_unbinding_request_on_the_wire(client: AlloClient, fake_doku: FakeDoku) -> None:
    fake_doku.on("account_unbinding", snap_reply("2000900", referenceNo="UNB-1"))
    result = client.unbind_account(customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)
    [request] = fake_doku.requests_to("account_unbinding")
    assert request.path == "/direct-debit/core/v1/registration-account-unbinding"
    assert_signed_call(request, b2b_token="b2b-token-1")
    assert request.header("Authorization-Customer") is None
    assert request.header("X-IP-ADDRESS") == "10.0.0.1"
    assert request.json() == {"tokenId": CUSTOMER_TOKEN, "additionalInfo": {"channel": CHANNEL}}
    assert result.reference_no == "UNB-1"


def test_a_base_url_with_a_prefix_is_part_of_the_signed_path(
    make_client: ClientFactory, merchant_keys: KeyPair,
) -> None:
    prefixed = FakeDoku(prefix="/doku-simulator")
    try:
        prefixed.on("check_status", snap_reply("2005500", latestTransactionStatus="03"))
        client = make_client(base_url=prefixed.base_url)
        client.check_status(STATUS)
        [request] = prefixed.requests_to("check_status")
        assert request.path == "/doku-simulator/orders/v1.0/debit/status"
        assert_signed_call(request, b2b_token="b2b-token-1")
    finally:
        prefixed.close()


def test_each_call_gets_a_fresh_external_id(client: AlloClient, fake_doku: FakeDoku) -> None:
    fake_doku.on("check_status", snap_reply("2005500", latestTransactionStatus="03"))
    for _ in range(3):
        client.check_status(STATUS)
    ids = {r.header("X-EXTERNAL-ID") for r in fake_doku.requests_to("check_status")}
    assert len(ids) == 3


@pytest.mark.parametrize("external_id", ["", "abc", "12-34", "1" * 37, "\uff11\uff12\uff13"])
def test_a_non_numeric_external_id_is_refused_before_sending(
    client: AlloClient, fake_doku: FakeDoku, external_id: str,
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.check_status(STATUS, external_id=external_id)
    assert caught.value.field == "external_id"
    assert fake_doku.requests == []


def test_a_body_that_is_not_json_is_refused_before_sending(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    with pytest.raises(InvalidRequestError):
        client.call("check_status", {"amount": Decimal("1")}, write=False)
    with pytest.raises(InvalidRequestError):
        client.call("check_status", {"amount": float("nan")}, write=False)
    assert fake_doku.requests == []


def test_build_headers_signs_the_given_text_for_the_operations_path(client: AlloClient) -> None:
    text = '{"additionalInfo":{"channel":"DIRECT_DEBIT_ALLO_SNAP"}}'
    headers = client.build_headers("balance_inquiry", text, external_id="1", b2b_token="T",
                                   customer=CUSTOMER, customer_token="C",
                                   timestamp="2024-01-01T00:00:00+07:00")
    assert headers["X-SIGNATURE"] == raw_symmetric_signature(
        CLIENT_SECRET, "POST", "/direct-debit/core/v1/balance-inquiry", "T", text.encode(),
        "2024-01-01T00:00:00+07:00")
    assert headers["Authorization-Customer"] == "Bearer C"
    assert headers["X-DEVICE-ID"] == "95221"


# --------------------------------------------------------------------------- invalid token
def test_invalid_b2b_token_forces_one_refresh_and_one_resend_with_the_same_external_id(
    client: AlloClient, fake_doku: FakeDoku,
) -> None:
    fake_doku.on("payment", snap_reply("4015401", "Invalid Token (B2B)"),
            snap_reply("2005400", referenceNo="REF-P", webRedirectUrl="https://allo/p"))
    result = client.pay(PAYMENT, customer_token=CUSTOMER_TOKEN, customer=CUSTOMER)
    first, second = fake_doku.requests_to("payment")
    assert len(fake_doku.requests_to("b2b_token")) == 2
    assert first.header("X-EXTERNAL-ID") == second.header("X-EXTERNAL-ID")
    assert first.body == second.body
    assert_signed_call(first, b2b_token="b2b-token-1")
    assert_signed_call(second, b2b_token="b2b-token-2")
    assert result.reference_no == "REF-P"


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
    from django_doku_allo.snap.tokens import MemoryTokenStore

    from .conftest import make_config

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
