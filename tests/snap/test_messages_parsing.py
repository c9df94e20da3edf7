"""Requests refuse bad input before anything is signed; responses read DOKU leniently."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_doku_allo.snap.codes import Outcome, TransactionStatus
from django_doku_allo.snap.errors import InvalidRequestError
from django_doku_allo.snap.messages import (
    AccountBindingRequest,
    AccountBindingResponse,
    B2B2CToken,
    BalanceInquiryResponse,
    CheckStatusRequest,
    CheckStatusResponse,
    CustomerContext,
    LineItem,
    Money,
    PaymentRequest,
    PaymentResponse,
    PayOption,
    RefundRequest,
    RefundResponse,
    SnapResponse,
    format_amount,
    parse_amount,
)
from django_doku_allo.snap.redaction import REDACTED, mask_phone, redact_headers

CHANNEL = "DIRECT_DEBIT_ALLO_SNAP"


def binding(**overrides: Any) -> AccountBindingRequest:
    fields: dict[str, Any] = {
        "phone_no": "6281234567890", "cust_id_merchant": "cust-001",
        "success_registration_url": "https://shop.example/bind/ok",
        "failed_registration_url": "https://shop.example/bind/fail",
    }
    fields.update(overrides)
    return AccountBindingRequest(**fields)


def payment(**overrides: Any) -> PaymentRequest:
    fields: dict[str, Any] = {
        "partner_reference_no": "INV-0001", "amount": Decimal("10000"),
        "remarks": "Order INV-0001", "success_payment_url": "https://shop.example/pay/ok",
        "failed_payment_url": "https://shop.example/pay/fail",
        "line_items": [LineItem("Bag", Decimal("10000"), 1)],
    }
    fields.update(overrides)
    return PaymentRequest(**fields)


def refund(**overrides: Any) -> RefundRequest:
    fields: dict[str, Any] = {
        "original_partner_reference_no": "INV-0001", "original_reference_no": "REF-1",
        "original_external_id": "123456789012345678901234", "refund_amount": Decimal("10000"),
        "partner_refund_no": "R" * 32, "reason": "Customer complaint",
    }
    fields.update(overrides)
    return RefundRequest(**fields)


def response(payload: dict[str, Any], status: int = 200) -> SnapResponse:
    return SnapResponse.from_json(status, payload)


# --------------------------------------------------------------------------- amounts
@pytest.mark.parametrize(("value", "wire"), [
    (Decimal("10000"), "10000.00"), (10000, "10000.00"), ("10000.5", "10000.50"),
    (Decimal("0.01"), "0.01"), (Decimal("10000.000"), "10000.00"),
    (Decimal("9999999999999999.99"), "9999999999999999.99"),
])
def test_amounts_go_on_the_wire_with_two_decimals(value: Any, wire: str) -> None:
    assert format_amount(value) == wire


@pytest.mark.parametrize("value", [
    10000.0, 0.1, True, Decimal("10000.001"), "1.005", Decimal("0"), -1, "abc", None,
    Decimal("NaN"), Decimal("Infinity"), Decimal("1e16"), Decimal("1e30"), Decimal("1e400"),
])
def test_floats_sub_cent_non_positive_and_out_of_range_amounts_are_refused(value: Any) -> None:
    with pytest.raises(InvalidRequestError):
        format_amount(value)


@given(st.decimals(allow_nan=True, allow_infinity=True) | st.integers() | st.text(max_size=30))
def test_format_amount_either_formats_or_raises_invalid_request(value: Any) -> None:
    try:
        text = format_amount(value)
    except InvalidRequestError:
        return
    assert Decimal(text) == Decimal(value)
    assert len(text.split(".")[1]) == 2


def test_parse_amount_reads_money_and_ignores_junk() -> None:
    assert parse_amount({"value": "10000.00", "currency": "IDR"}) == Money(Decimal("10000.00"))
    assert parse_amount({"value": "1.5"}) == Money(Decimal("1.5"), "IDR")
    for junk in (None, "10000.00", {"value": None}, {"value": "NaN"}, {"value": "x"}, []):
        assert parse_amount(junk) is None


# --------------------------------------------------------------------------- context
@pytest.mark.parametrize("ip", ["10.0.0.1", "203.0.113.7", "255.255.255.255"])
def test_a_short_ipv4_is_never_rejected_client_side(ip: str) -> None:
    assert CustomerContext(ip).headers() == {"X-IP-ADDRESS": ip}


@pytest.mark.parametrize("ip", ["::1", "2001:db8::1", "10.0.0", "010.0.0.1", "localhost", "",
                                167772161, None, "10.0.0.1\n"])
def test_a_non_ipv4_address_is_refused(ip: Any) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        CustomerContext(ip)
    assert caught.value.field == "ip_address"


@pytest.mark.parametrize("device", ["", "dev-1", "a b", "x" * 65, "abc\n", "abc\r\nX-Evil: 1"])
def test_a_device_id_with_symbols_or_too_long_is_refused(device: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        CustomerContext("10.0.0.1", device)
    assert caught.value.field == "device_id"


def test_customer_context_headers_carry_device_id_when_given() -> None:
    assert CustomerContext("10.0.0.1", "95221").headers() == {
        "X-IP-ADDRESS": "10.0.0.1", "X-DEVICE-ID": "95221"}


# --------------------------------------------------------------------------- binding
def test_binding_body_has_every_allo_field_in_order() -> None:
    body = binding(customer_name="Siti", email="siti@example.com",
                   date_of_birth="19900101").to_body(CHANNEL)
    assert body == {
        "phoneNo": "6281234567890",
        "additionalInfo": {
            "channel": CHANNEL, "custIdMerchant": "cust-001", "customerName": "Siti",
            "email": "siti@example.com", "dateOfBirth": "19900101",
            "successRegistrationUrl": "https://shop.example/bind/ok",
            "failedRegistrationUrl": "https://shop.example/bind/fail",
            "deviceModel": "web", "osType": "android", "channelId": "web",
        },
    }
    assert list(body) == ["phoneNo", "additionalInfo"]


ARABIC_INDIC_DIGITS = "\u0661\u0662\u0663\u0664\u0665\u0666\u0667"


@pytest.mark.parametrize("phone", ["081234567890", "62123456", "62" + "1" * 15, "+6281234567",
                                   "6281234567890\n", "62" + ARABIC_INDIC_DIGITS, ""])
def test_binding_refuses_a_phone_number_not_in_62_format(phone: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        binding(phone_no=phone)
    assert caught.value.field == "phone_no"


@pytest.mark.parametrize("phone", ["621234567", "62" + "1" * 14])
def test_binding_accepts_phone_numbers_of_9_to_16_digits(phone: str) -> None:
    assert binding(phone_no=phone).to_body(CHANNEL)["phoneNo"] == phone


@pytest.mark.parametrize(("field", "value"), [
    ("cust_id_merchant", "c" * 65), ("cust_id_merchant", ""),
    ("success_registration_url", "/relative"), ("failed_registration_url", ""),
    ("os_type", "windows"), ("channel_id", "kiosk"), ("device_model", ""),
    ("customer_name", "n" * 71), ("date_of_birth", "1990-01-01"),
    ("date_of_birth", "19900101\n"),
])
def test_binding_refuses_bad_fields(field: str, value: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        binding(**{field: value})
    assert caught.value.field == field


def test_binding_accepts_a_64_character_cust_id_merchant() -> None:
    assert binding(cust_id_merchant="c" * 64)


# --------------------------------------------------------------------------- payment
def test_payment_body_matches_the_allo_example() -> None:
    body = payment(pay_options=[PayOption("BALANCE", Decimal("10000"), Decimal("0"))]).to_body(
        CHANNEL)
    assert body == {
        "partnerReferenceNo": "INV-0001",
        "amount": {"value": "10000.00", "currency": "IDR"},
        "payOptionDetails": [{"payMethod": "BALANCE",
                              "transAmount": {"value": "10000.00", "currency": "IDR"},
                              "feeAmount": {"value": "0.00", "currency": "IDR"}}],
        "additionalInfo": {
            "channel": CHANNEL, "remarks": "Order INV-0001",
            "successPaymentUrl": "https://shop.example/pay/ok",
            "failedPaymentUrl": "https://shop.example/pay/fail",
            "lineItems": [{"name": "Bag", "price": "10000.00", "quantity": "1"}],
        },
    }


@pytest.mark.parametrize(("field", "value"), [
    ("partner_reference_no", ""), ("partner_reference_no", "p" * 65),
    ("amount", 10000.0), ("amount", Decimal("10000.001")), ("amount", Decimal("0")),
    ("remarks", ""), ("remarks", "r" * 41),
    ("line_items", []), ("line_items", [{"name": "Bag", "price": "1.00", "quantity": "1"}]),
    ("success_payment_url", "shop.example/ok"),
])
def test_payment_refuses_bad_fields(field: str, value: Any) -> None:
    with pytest.raises(InvalidRequestError):
        payment(**{field: value})


def test_payment_accepts_40_character_remarks_and_64_character_reference() -> None:
    assert payment(remarks="r" * 40, partner_reference_no="p" * 64)


@pytest.mark.parametrize("item", [
    lambda: LineItem("", Decimal("1")), lambda: LineItem("Bag", 1.5),  # type: ignore[arg-type]
    lambda: LineItem("Bag", Decimal("1"), 0), lambda: LineItem("Bag", Decimal("1.001")),
    lambda: PayOption("BALANCE", 10000.0),  # type: ignore[arg-type]
    lambda: PayOption("BALANCE", Decimal("1"), 0.5),  # type: ignore[arg-type]
    lambda: PayOption("", Decimal("1")),
])
def test_line_items_and_pay_options_refuse_bad_values_when_built(item: Any) -> None:
    with pytest.raises(InvalidRequestError):
        item()


# --------------------------------------------------------------------------- refund
def test_refund_body_carries_the_original_identifiers_and_the_full_amount() -> None:
    assert refund().to_body(CHANNEL) == {
        "originalPartnerReferenceNo": "INV-0001", "originalReferenceNo": "REF-1",
        "originalExternalId": "123456789012345678901234",
        "refundAmount": {"value": "10000.00", "currency": "IDR"},
        "partnerRefundNo": "R" * 32, "reason": "Customer complaint",
        "additionalInfo": {"channel": CHANNEL},
    }


@pytest.mark.parametrize(("field", "value"), [
    ("partner_refund_no", "R" * 31), ("partner_refund_no", "R" * 65),
    ("original_partner_reference_no", ""), ("original_external_id", "1" * 37),
    ("refund_amount", 10000.0), ("reason", "x" * 256),
])
def test_refund_refuses_bad_fields(field: str, value: Any) -> None:
    with pytest.raises(InvalidRequestError):
        refund(**{field: value})


# --------------------------------------------------------------------------- status
def test_status_body_names_the_payment_and_the_configured_service_code() -> None:
    request = CheckStatusRequest(
        original_partner_reference_no="INV-0001", original_reference_no="REF-1",
        original_external_id="123", amount=Decimal("10000"),
        transaction_date=datetime(2024, 1, 1, 3, 0, tzinfo=timezone.utc))
    assert request.to_body(CHANNEL, "54") == {
        "originalPartnerReferenceNo": "INV-0001", "originalReferenceNo": "REF-1",
        "originalExternalId": "123", "serviceCode": "54",
        "transactionDate": "2024-01-01T10:00:00+07:00",
        "amount": {"value": "10000.00", "currency": "IDR"},
        "additionalInfo": {"channel": CHANNEL},
    }


# --------------------------------------------------------------------------- responses
def test_response_classifies_by_its_code_and_treats_a_missing_code_as_unknown() -> None:
    assert response({"responseCode": "2005400"}).outcome(write=True) is Outcome.SUCCESS
    assert response({"responseMessage": "?"}).outcome(write=True) is Outcome.UNKNOWN
    assert response({"responseCode": 2005400}).outcome(write=False) is Outcome.RETRYABLE


def test_binding_response_reads_either_status_key_and_keeps_auth_code_out_of_repr() -> None:
    for key in ("accountStatus", "status"):
        parsed = AccountBindingResponse.from_response(response({
            "responseCode": "2000700", "referenceNo": "R1", "redirectUrl": "https://allo/x",
            "additionalInfo": {key: "PENDING", "authCode": "AUTH-SECRET", "extra": [1]},
            "unknownTopLevel": True}))
        assert parsed.account_status == "PENDING"
        assert parsed.auth_code == "AUTH-SECRET"
        assert parsed.redirect_url == "https://allo/x"
        assert "AUTH-SECRET" not in repr(parsed)


@pytest.mark.parametrize("key", ["flatAmount", "floatAmount"])
def test_balance_response_reads_flat_or_float_amount(key: str) -> None:
    parsed = BalanceInquiryResponse.from_response(response({
        "responseCode": "2001100",
        "accountInfos": [{"balanceType": "BALANCE",
                          "amount": {"value": "50000.00", "currency": "IDR"},
                          key: {"value": "45000.00", "currency": "IDR"},
                          "holdAmount": {"value": "5000.00", "currency": "IDR"},
                          "availableBalance": "whatever"}, "junk"],
        "name": "Siti"}))
    assert parsed.available == Money(Decimal("50000.00"))
    assert parsed.accounts[0].flat_amount == Money(Decimal("45000.00"))
    assert parsed.accounts[0].hold_amount == Money(Decimal("5000.00"))
    assert len(parsed.accounts) == 1


def test_payment_response_ignores_unknown_fields_the_sdk_chokes_on() -> None:
    parsed = PaymentResponse.from_response(response({
        "responseCode": "2005400", "referenceNo": "R1", "partnerReferenceNo": "INV-0001",
        "webRedirectUrl": "https://allo/pay", "approvalCode": "A1",
        "appRedirectUrl": "allo://pay", "additionalInfo": {"x": 1}}))
    assert (parsed.reference_no, parsed.web_redirect_url, parsed.approval_code) == (
        "R1", "https://allo/pay", "A1")


def test_refund_response_reads_a_refund_time_without_offset_as_jakarta_time() -> None:
    parsed = RefundResponse.from_response(response({
        "responseCode": "2005800", "refundNo": "RF1", "partnerRefundNo": "R" * 32,
        "refundAmount": {"value": "10000.00", "currency": "IDR"},
        "refundTime": "2024-01-01T09:09:00.123", "originalExternalId": "1"}))
    assert parsed.refund_time == datetime(2024, 1, 1, 2, 9, 0, 123000, tzinfo=timezone.utc)
    assert parsed.refund_amount == Money(Decimal("10000.00"))


def test_status_response_reads_status_amount_and_either_refund_number_key() -> None:
    parsed = CheckStatusResponse.from_response(response({
        "responseCode": "2005500", "latestTransactionStatus": "04",
        "transactionStatusDesc": "Refunded", "originalReferenceNo": "R1",
        "transAmount": {"value": "10000.00", "currency": "IDR"},
        "paidTime": "2024-01-01T10:00:00+07:00", "requestID": "x",
        "refundHistory": [{"refundNo": "RF1", "partnerRefundNo": "P1", "refundStatus": "00"},
                          {"refundNo": "RF2", "partnerReferenceNo": "P2"}, 7]}))
    assert parsed.latest_transaction_status is TransactionStatus.REFUNDED
    assert parsed.amount == Money(Decimal("10000.00"))
    assert parsed.paid_time == datetime(2024, 1, 1, 3, 0, tzinfo=timezone.utc)
    assert [e.partner_refund_no for e in parsed.refund_history] == ["P1", "P2"]


def test_status_response_with_an_unknown_status_value_reads_as_none() -> None:
    parsed = CheckStatusResponse.from_response(response({"responseCode": "2005500",
                                                         "latestTransactionStatus": "99"}))
    assert parsed.latest_transaction_status is None


def test_customer_token_reads_iso_expiry_times_and_hides_tokens_from_repr() -> None:
    token = B2B2CToken.from_response(response({
        "responseCode": "2007400", "accessToken": "CUSTOMER-SECRET",
        "accessTokenExpiryTime": "2030-01-01T00:00:00+07:00", "refreshToken": "REFRESH-SECRET",
        "refreshTokenExpiryTime": "2030-06-01T00:00:00Z", "tokenType": "Bearer"}))
    assert token.access_token_expires_at == datetime(2029, 12, 31, 17, tzinfo=timezone.utc)
    assert token.refresh_token_expires_at == datetime(2030, 6, 1, tzinfo=timezone.utc)
    assert "SECRET" not in repr(token)


# --------------------------------------------------------------------------- redaction
def test_credential_headers_are_redacted_and_others_kept() -> None:
    redacted = redact_headers({"Authorization": "Bearer x", "authorization-customer": "y",
                               "X-SIGNATURE": "z", "X-EXTERNAL-ID": "123"})
    assert redacted == {"Authorization": REDACTED, "authorization-customer": REDACTED,
                        "X-SIGNATURE": REDACTED, "X-EXTERNAL-ID": "123"}


def test_phone_numbers_are_masked_enough_to_recognise_not_to_dial() -> None:
    assert mask_phone("6281234567890") == "6281*****7890"
    assert mask_phone("") == ""
    assert "345" not in mask_phone("6281234567890")
