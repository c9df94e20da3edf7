"""Every operation against a real local HTTP server: paths, headers and the exact
signed bytes (spec sections 3 and 4)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from django_doku_allo.snap.client import AlloClient
from django_doku_allo.snap.codes import TransactionStatus
from django_doku_allo.snap.errors import InvalidRequestError
from django_doku_allo.snap.messages import CustomerContext
from django_doku_allo.snap.signing import new_external_id
from tests.support.fake_doku import FakeDoku, snap_reply
from tests.support.keys import KeyPair
from tests.support.snap_client import (
    BINDING,
    CHANNEL,
    CLIENT_SECRET,
    CUSTOMER,
    CUSTOMER_TOKEN,
    PAYMENT,
    REFUND,
    STATUS,
    ClientFactory,
    assert_signed_call,
    raw_symmetric_signature,
)


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
