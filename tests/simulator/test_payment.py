"""Payment host-to-host: validation, the confirmation page, special accounts, duplicates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from django_doku_allo.simulator import customer, state
from django_doku_allo.simulator.accounts import set_balance

from .conftest import (
    LOW_BALANCE_PHONE,
    TIMEOUT_PHONE,
    Bound,
    Snap,
    configure,
    payment_body,
    status_body,
)


def _page(response: Any) -> str:
    url: str = response.json()["webRedirectUrl"]
    return url.removeprefix("http://testserver")


def test_payment_is_created_initiated_with_a_redirect_url(snap: Snap, bound: Bound) -> None:
    response = snap.pay(bound)

    body = response.json()
    assert response.status_code == 200
    assert body["responseCode"] == "2005400"
    assert set(body) == {"responseCode", "responseMessage", "referenceNo",
                         "partnerReferenceNo", "webRedirectUrl"}
    assert state.payment_status(body["referenceNo"]) == "01"
    assert state.debit_count() == 0


@pytest.mark.parametrize(("change", "code"), [
    ({"partnerReferenceNo": "x" * 65}, "4005401"),
    ({"amount": {"value": "10000", "currency": "IDR"}}, "4005401"),
    ({"amount": {"value": "10000.00", "currency": "USD"}}, "4005401"),
    ({"amount": None}, "4005402"),
    ({"payOptionDetails": [{"payMethod": "BALANCE"}]}, "4005402"),
])
def test_payment_rejects_bad_top_level_fields(snap: Snap, bound: Bound,
                                              change: dict[str, Any], code: str) -> None:
    body = {**payment_body(), **change}

    assert snap.pay(bound, body).json()["responseCode"] == code


@pytest.mark.parametrize(("info", "code"), [
    ({"remarks": "r" * 41}, "4005401"),
    ({"remarks": ""}, "4005402"),
    ({"lineItems": []}, "4005402"),
    ({"lineItems": [{"name": "Bag", "price": "abc", "quantity": "1"}]}, "4005401"),
    ({"lineItems": [{"name": "Bag", "price": "1.00", "quantity": "0"}]}, "4005401"),
    ({"successPaymentUrl": None}, "4005402"),
    ({"failedPaymentUrl": "not a url"}, "4005401"),
])
def test_payment_rejects_bad_additional_info(snap: Snap, bound: Bound,
                                             info: dict[str, Any], code: str) -> None:
    assert snap.pay(bound, payment_body(**info)).json()["responseCode"] == code


def test_zero_amount_is_an_invalid_amount_4045413(snap: Snap, bound: Bound) -> None:
    assert snap.pay(bound, payment_body(value="0.00")).json()["responseCode"] == "4045413"


def test_strict_mode_requires_line_items_and_pay_options_to_add_up(snap: Snap, bound: Bound,
                                                                   simulator_settings: Any) -> None:
    items = payment_body(lineItems=[{"name": "Bag", "price": "4000.00", "quantity": "2"}])
    options = {**payment_body(), "payOptionDetails": [{
        "payMethod": "BALANCE", "transAmount": {"value": "9000.00", "currency": "IDR"},
        "feeAmount": {"value": "0.00", "currency": "IDR"}}]}

    lenient = snap.pay(bound, items)
    configure(simulator_settings, STRICT=True)

    assert lenient.json()["responseCode"] == "2005400"
    assert snap.pay(bound, payment_body(lineItems=[{"name": "Bag", "price": "4000.00",
                                                    "quantity": "2"}])
                    ).json()["responseCode"] == "4045413"
    assert snap.pay(bound, options).json()["responseCode"] == "4045413"


def test_payment_page_confirm_debits_and_redirects_to_the_success_url(snap: Snap,
                                                                      bound: Bound) -> None:
    created = snap.pay(bound)
    page = _page(created)

    shown = snap.client.get(page)
    snap.client.post(page, {"otp": "123456", "action": "submit"})
    done = snap.client.post(page, {"pin": "123456", "action": "submit"})

    assert b"Rp10,000" in shown.content
    assert b"Bag" in shown.content
    assert done.status_code == 302
    assert done["Location"] == "https://shop.example/pay/ok?order=1"
    assert state.payment_status(created.json()["referenceNo"]) == "00"
    assert state.account_balance(bound.phone) == Decimal("9990000.00")


def test_payment_page_cancel_ends_05_at_the_failed_url(snap: Snap, bound: Bound) -> None:
    created = snap.pay(bound)

    done = snap.client.post(_page(created), {"action": "cancel"})

    assert done["Location"] == "https://shop.example/pay/fail?order=1"
    assert state.payment_status(created.json()["referenceNo"]) == "05"
    assert state.debit_count() == 0


def test_three_wrong_otps_fail_the_payment_06(snap: Snap, bound: Bound) -> None:
    reference_no = snap.pay(bound).json()["referenceNo"]

    results = [customer.confirm_payment(reference_no, otp="111111") for _ in range(3)]

    assert results[-1].succeeded is False
    assert results[-1].redirect_url == "https://shop.example/pay/fail?order=1"
    assert state.payment_status(reference_no) == "06"


def test_confirming_twice_debits_once(snap: Snap, bound: Bound) -> None:
    reference_no = snap.pay(bound).json()["referenceNo"]

    first = customer.confirm_payment(reference_no)
    second = customer.confirm_payment(reference_no)

    assert first.succeeded
    assert second.succeeded
    assert state.debit_count() == 1


def test_insufficient_funds_is_4035414(snap: Snap) -> None:
    bound = snap.bound_customer(phone=LOW_BALANCE_PHONE)

    response = snap.pay(bound, payment_body(value="10000.00"))

    assert response.status_code == 403
    assert response.json()["responseCode"] == "4035414"
    assert state.account_balance(LOW_BALANCE_PHONE) == Decimal("5000.00")


def test_funds_gone_before_confirmation_fail_the_payment_06(snap: Snap, bound: Bound) -> None:
    reference_no = snap.pay(bound).json()["referenceNo"]
    set_balance(bound.phone, "10.00")

    result = customer.confirm_payment(reference_no)

    assert result.succeeded is False
    assert state.payment_status(reference_no) == "06"


def test_bank_timeout_account_answers_504_but_the_debit_happened(snap: Snap) -> None:
    bound = snap.bound_customer(phone=TIMEOUT_PHONE)
    body = payment_body()

    response = snap.pay(bound, body)

    assert response.status_code == 504
    assert response.json()["responseCode"] == "5045400"
    assert state.debit_count(TIMEOUT_PHONE) == 1
    status = snap.post("status", {"originalPartnerReferenceNo": body["partnerReferenceNo"],
                                  "serviceCode": "54"}).json()
    assert status["latestTransactionStatus"] == "00"


def test_same_partner_reference_with_same_params_is_4095401(snap: Snap, bound: Bound) -> None:
    body = payment_body("INV-dup")
    snap.pay(bound, body)

    response = snap.pay(bound, body)

    assert response.status_code == 409
    assert response.json()["responseCode"] == "4095401"


def test_same_partner_reference_with_other_params_is_4045418(snap: Snap, bound: Bound) -> None:
    snap.pay(bound, payment_body("INV-dup"))

    response = snap.pay(bound, payment_body("INV-dup", value="20000.00"))

    assert response.json()["responseCode"] == "4045418"


def test_status_of_an_unknown_payment_is_4045501(snap: Snap) -> None:
    response = snap.post("status", {"originalPartnerReferenceNo": "nope", "serviceCode": "55"})

    assert response.status_code == 404
    assert response.json()["responseCode"] == "4045501"


@pytest.mark.parametrize(("change", "code"), [
    ({"serviceCode": "56"}, "4005501"),
    ({"serviceCode": None}, "4005502"),
    ({"originalPartnerReferenceNo": None, "originalReferenceNo": None}, "4005502"),
])
def test_status_rejects_bad_bodies(snap: Snap, bound: Bound, change: dict[str, Any],
                                   code: str) -> None:
    payment = snap.paid(bound)

    assert snap.post("status", {**status_body(payment), **change}).json()["responseCode"] == code


def test_status_finds_a_payment_by_reference_no_alone_with_service_code_54(
        snap: Snap, bound: Bound) -> None:
    payment = snap.paid(bound)

    response = snap.post("status", {"originalReferenceNo": payment["referenceNo"],
                                    "serviceCode": "54"})

    assert response.json()["latestTransactionStatus"] == "00"
    assert response.json()["originalPartnerReferenceNo"] == payment["partnerReferenceNo"]
