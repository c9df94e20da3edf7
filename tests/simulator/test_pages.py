"""The customer's Allo Bank pages: amounts people read, a phone layout, failures in
customer words with the way back to the merchant."""

from __future__ import annotations

import re
from typing import Any

import pytest

from django_doku_allo.simulator import customer
from django_doku_allo.simulator.accounts import set_balance

from .conftest import INDONESIAN, LOW_BALANCE_PHONE, Bound, Snap, payment_body

pytestmark = pytest.mark.usefixtures("locale_middleware")

PHONE_WIDTH_PX = 390


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def _payment_page(snap: Snap, bound: Bound, value: str = "150000.00") -> tuple[str, str]:
    created: Any = snap.pay(bound, payment_body(value=value))
    return _path(created.json()["webRedirectUrl"]), created.json()["referenceNo"]


# --------------------------------------------------------------------------- amounts
def test_payment_page_shows_the_amount_in_rupiah_for_english(snap: Snap, bound: Bound) -> None:
    page, _ = _payment_page(snap, bound)

    html = snap.client.get(page).content.decode()

    assert re.search(r'id="amount">Rp150,000<', html)
    assert "IDR 150" not in html
    assert "150000.00" not in html


def test_payment_page_shows_the_amount_in_rupiah_for_indonesian(snap: Snap,
                                                               bound: Bound) -> None:
    page, _ = _payment_page(snap, bound)

    html = snap.client.get(page, headers=INDONESIAN).content.decode()

    assert re.search(r'id="amount">Rp150\.000<', html)


def test_line_item_prices_are_formatted_amounts(snap: Snap, bound: Bound) -> None:
    page, _ = _payment_page(snap, bound, value="150000.50")

    html = snap.client.get(page).content.decode()

    assert '<td class="num price">Rp150,000.50</td>' in html


def test_finished_payment_page_says_what_was_paid(snap: Snap, bound: Bound) -> None:
    page, reference_no = _payment_page(snap, bound)
    customer.confirm_payment(reference_no)

    html = snap.client.get(page, headers=INDONESIAN).content.decode()

    assert "Pembayaran berhasil" in html
    assert "Rp150.000" in html


# --------------------------------------------------------------------------- a phone
def test_pages_carry_a_viewport_for_phones(snap: Snap, bound: Bound) -> None:
    binding_page = _path(snap.bind(phone="6281100000077")["redirectUrl"])
    payment_page, _ = _payment_page(snap, bound)

    for page in (binding_page, payment_page):
        html = snap.client.get(page).content.decode()
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_page_style_fits_a_390_px_phone(snap: Snap, bound: Bound) -> None:
    page, _ = _payment_page(snap, bound)
    html = snap.client.get(page).content.decode()
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]

    # Nothing is laid out wider than the phone: no fixed width or min-width above 390px
    # (1rem = 16px), and a narrow screen gets its own rules.
    for prop, value, unit in re.findall(r"(?<![-\w])(width|min-width)\s*:\s*([\d.]+)(px|rem)",
                                        style):
        pixels = float(value) * (16 if unit == "rem" else 1)
        assert pixels <= PHONE_WIDTH_PX or prop == "max-width", (prop, value, unit)
    assert "@media (max-width:" in style
    assert "overflow-wrap: anywhere" in style


def test_code_fields_bring_up_the_number_pad(snap: Snap) -> None:
    page = _path(snap.bind()["redirectUrl"])

    html = snap.client.get(page).content.decode()

    assert re.search(r'<input id="otp"[^>]*inputmode="numeric"', html)


# --------------------------------------------------------------------------- failures
def test_wrong_otp_says_how_many_tries_are_left_in_indonesian(snap: Snap) -> None:
    page = _path(snap.bind()["redirectUrl"])

    html = snap.client.post(page, {"otp": "000000", "action": "submit"},
                            headers=INDONESIAN).content.decode()

    assert "OTP salah. Sisa 2 kali percobaan." in html


def test_revisited_failed_binding_says_why_and_links_back(snap: Snap) -> None:
    binding = snap.bind()
    page = _path(binding["redirectUrl"])
    for _ in range(3):
        customer.submit_binding_otp(binding["referenceNo"], "000000")

    html = snap.client.get(page).content.decode()

    assert "Account not linked" in html
    assert "The OTP was wrong three times" in html
    assert 'href="https://shop.example/bind/fail?state=s3cr3t"' in html
    assert "Return to the merchant" in html


def test_revisited_cancelled_payment_says_no_money_was_taken(snap: Snap, bound: Bound) -> None:
    page, reference_no = _payment_page(snap, bound)
    customer.cancel_payment(reference_no)

    html = snap.client.get(page, headers=INDONESIAN).content.decode()

    assert "Pembayaran dibatalkan" in html
    assert "tidak ada dana yang terpotong" in html
    assert 'href="https://shop.example/pay/fail?order=1"' in html


def test_payment_failed_for_balance_says_top_up(snap: Snap) -> None:
    bound = snap.bound_customer(phone=LOW_BALANCE_PHONE)
    page, reference_no = _payment_page(snap, bound, value="4000.00")
    set_balance(LOW_BALANCE_PHONE, "1000.00")
    customer.confirm_payment(reference_no)

    html = snap.client.get(page).content.decode()

    assert "Payment not completed" in html
    assert "Top up your balance and try again, or use another account." in html


def test_account_linked_to_another_customer_says_use_another_account(snap: Snap) -> None:
    # Two customers start linking the same account; the first to finish wins it.
    first = snap.bind(cust_id="cust-001")
    second = snap.bind(cust_id="cust-other")
    customer.complete_binding(first["referenceNo"])
    result = customer.complete_binding(second["referenceNo"])

    html = snap.client.get(_path(second["redirectUrl"])).content.decode()

    assert result.succeeded is False
    assert "already linked to another customer" in html
    assert "Use another Allo Bank account." in html


def test_unknown_page_link_is_a_404_the_customer_can_read(snap: Snap) -> None:
    response = snap.client.get("/doku-simulator/pages/payment/999/", headers=INDONESIAN)

    assert response.status_code == 404
    assert "Tautan ini tidak berlaku" in response.content.decode()
