"""The whole life of a customer: bind, pay, check, refund, unbind."""

from __future__ import annotations

from decimal import Decimal

from django_doku_allo.simulator import state

from .conftest import CHANNEL, HAPPY_PHONE, Snap, binding_body, payment_body, refund_body


def test_bind_pay_refund_unbind_end_to_end(snap: Snap) -> None:
    # Binding, then the customer on the Allo page (OTP, then PIN).
    binding = snap.post("binding", binding_body()).json()
    assert binding["responseCode"] == "2000700"
    page = binding["redirectUrl"].removeprefix("http://testserver")
    assert snap.client.post(page, {"otp": "123456", "action": "submit"}).status_code == 302
    back = snap.client.post(page, {"pin": "123456", "action": "submit"})
    assert back["Location"] == "https://shop.example/bind/ok?state=s3cr3t"

    # The customer token.
    auth_code = binding["additionalInfo"]["authCode"]
    tokens = snap.b2b2c(auth_code).json()
    assert tokens["responseCode"] == "2007400"
    customer_token = tokens["accessToken"]

    # Balance.
    balance = snap.post("balance", {"additionalInfo": {"channel": CHANNEL}},
                        customer_token=customer_token).json()
    assert balance["responseCode"] == "2001100"
    assert balance["accountInfos"] == [{
        "balanceType": "BALANCE",
        "amount": {"value": "10000000.00", "currency": "IDR"},
        "flatAmount": {"value": "10000000.00", "currency": "IDR"},
        "holdAmount": {"value": "0.00", "currency": "IDR"},
    }]

    # Payment, created as Initiated.
    order = payment_body("INV-0001", value="25000.00")
    created = snap.post("payment", order, customer_token=customer_token).json()
    assert created["responseCode"] == "2005400"
    assert created["partnerReferenceNo"] == "INV-0001"
    reference_no = created["referenceNo"]
    pay_page = created["webRedirectUrl"].removeprefix("http://testserver")
    status = {"originalPartnerReferenceNo": "INV-0001", "originalReferenceNo": reference_no,
              "serviceCode": "55", "additionalInfo": {"channel": CHANNEL}}
    assert snap.post("status", status).json()["latestTransactionStatus"] == "01"
    assert state.account_balance(HAPPY_PHONE) == Decimal("10000000.00")

    # The customer confirms: the account is debited.
    snap.client.post(pay_page, {"otp": "123456", "action": "submit"})
    paid = snap.client.post(pay_page, {"pin": "123456", "action": "submit"})
    assert paid["Location"] == "https://shop.example/pay/ok?order=1"
    assert state.account_balance(HAPPY_PHONE) == Decimal("9975000.00")
    assert state.debit_count(HAPPY_PHONE) == 1

    checked = snap.post("status", status).json()
    assert checked["responseCode"] == "2005500"
    assert checked["latestTransactionStatus"] == "00"
    assert checked["transactionStatusDesc"] == "Success"
    assert checked["transAmount"] == {"value": "25000.00", "currency": "IDR"}
    assert checked["originalExternalId"]
    assert checked["paidTime"]
    assert checked["refundHistory"] == []

    # Full refund.
    refund = refund_body({**order, "referenceNo": reference_no}, value="25000.00")
    refunded = snap.post("refund", refund, customer_token=customer_token).json()
    assert refunded["responseCode"] == "2005800"
    assert refunded["refundAmount"] == {"value": "25000.00", "currency": "IDR"}
    assert refunded["partnerRefundNo"] == refund["partnerRefundNo"]
    assert refunded["originalPartnerReferenceNo"] == "INV-0001"
    assert refunded["originalReferenceNo"] == reference_no
    assert refunded["refundNo"]
    assert refunded["refundTime"].endswith("+07:00")
    assert state.account_balance(HAPPY_PHONE) == Decimal("10000000.00")
    assert state.refund_count() == 1

    after = snap.post("status", status).json()
    assert after["latestTransactionStatus"] == "04"
    assert after["transactionStatusDesc"] == "Refunded"
    [history] = after["refundHistory"]
    assert history["refundNo"] == refunded["refundNo"]
    assert history["partnerRefundNo"] == refund["partnerRefundNo"]
    assert history["refundStatus"] == "00"
    assert history["reason"] == "Customer changed their mind"

    # Unbinding revokes the customer token and the authCode.
    unbound = snap.post("unbinding", {"tokenId": customer_token,
                                      "additionalInfo": {"channel": CHANNEL}}).json()
    assert unbound["responseCode"] == "2000900"
    assert unbound["referenceNo"]
    assert snap.b2b2c(auth_code).json()["responseCode"] == "4017400"
    again = snap.post("balance", {"additionalInfo": {"channel": CHANNEL}},
                      customer_token=customer_token)
    assert again.json()["responseCode"] == "4011102"
