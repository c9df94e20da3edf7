"""What the customer can do with an order that is not paid: continue, cancel, pay again.

The staff user shops here too, with bindings of its own, independent of the demo
customer's tour in test_browser_shop.py. Screenshots go to
test-artifacts/e2e/<lang>/<width>/ like the tour's (the order-actions-* files).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .support import ARTIFACTS, Screenshots, ShopServer
from .tour import (
    OTP,
    STEP_TIMEOUT_MS,
    WORDS,
    confirm_with_otp_and_pin,
    explained,
    sign_in,
    unlink,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOW_BALANCE_PHONE = "6281100000002"  # Rp5,000 in the simulator
OTP_REFUSED_PHONE = "6281100000003"  # the simulator refuses every OTP
ORDINARY_PHONE = "6281100000005"  # any other number: Rp1,000,000, everything normal
DESKTOP = {"width": 1280, "height": 900}


def _signed_in_as_staff(chromium: Any, shop: str) -> tuple[Any, Any]:
    context = chromium.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.goto(f"{shop}/accounts/login/")
    sign_in(page, "admin", "admin-pass-123")
    return context, page


def test_payment_refused_for_insufficient_funds_says_top_up_and_offers_pay_again(
        chromium: Any, shop_server: ShopServer) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    words = WORDS["en"]
    screenshots = Screenshots(ARTIFACTS / "en", first=51)  # after the tour's files
    context, page = _signed_in_as_staff(chromium, shop_server.url)
    try:
        with explained(shop_server, screenshots, page):
            page.fill("#id_phone", LOW_BALANCE_PHONE)
            page.click("#link")
            confirm_with_otp_and_pin(page, screenshots, "low-balance-bind")
            expect(page.locator("#allo-balance")).to_have_text(words.rupiah(5_000))

            # DOKU refuses the payment outright: no OTP page, the order fails at once,
            # and the customer reads what to do, once, without DOKU's code.
            page.click("#product-kopi-susu button")
            expect(page).to_have_url(re.compile(r"/orders/SHOP-[0-9A-F]+/$"))
            expect(page.locator("#order-status")).to_have_text(words.payment_failed)
            expect(page.locator("#payment-message")).to_contain_text(words.top_up)
            expect(page.locator("main")).not_to_contain_text("4035414")
            expect(page.get_by_text(words.top_up)).to_have_count(1)
            expect(page.locator("#pay-again")).to_be_visible()
            expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0)
            screenshots(page, "low-balance-order-failed")

            page.goto(f"{shop_server.url}/")
            expect(page.locator("#allo-balance")).to_have_text(words.rupiah(5_000))
            unlink(page, screenshots, words, "low-balance")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "id"])
def test_abandoned_payment_can_be_continued_canceled_and_paid_again(
        language: str, chromium: Any, shop_server: ShopServer) -> None:
    from playwright.sync_api import expect

    from .tour import choose_language

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    words = WORDS[language]
    screenshots = Screenshots(ARTIFACTS / language, first=61)  # after the tour's files
    shop = shop_server.url
    context, page = _signed_in_as_staff(chromium, shop)
    try:
        with explained(shop_server, screenshots, page):
            choose_language(page, language)
            page.fill("#id_phone", ORDINARY_PHONE)
            page.click("#link")
            confirm_with_otp_and_pin(page, screenshots, "order-actions-bind")
            expect(page.locator("#allo-status")).to_have_text(words.linked)

            # The customer starts paying, then walks away from Allo Bank's page.
            page.click("#product-earbuds button")
            expect(page).to_have_url(re.compile(r"/doku-simulator/pages/payment/"))
            allo_page = page.url
            page.goto(f"{shop}/")
            page.locator("#orders tbody tr").first.locator("a").click()
            expect(page.locator("#order-status")).to_have_text(words.awaiting_payment)
            # While it is open: continue paying (Allo Bank's stored page) or cancel.
            expect(page.locator("#continue-paying")).to_have_attribute("href", allo_page)
            expect(page.locator("#cancel-payment")).to_be_visible()
            expect(page.locator("meta[http-equiv=refresh]")).to_have_count(1)
            screenshots(page, "order-actions-awaiting")
            order_url = page.url
            page.click("#continue-paying")
            expect(page.locator("#otp")).to_be_visible()
            page.goto(order_url)

            # Cancel asks first (a page: it works without JavaScript), then ends it.
            page.click("#cancel-payment")
            expect(page.locator("#confirm-cancel")).to_be_visible()
            screenshots(page, "order-actions-cancel-confirm")
            page.click("#confirm-cancel")
            expect(page).to_have_url(order_url)
            expect(page.locator("#payment-message")).to_contain_text(words.canceled)
            expect(page.get_by_text(words.canceled)).to_have_count(1)  # said once
            expect(page.locator("#order-status")).to_have_text(words.payment_failed)
            expect(page.locator("#continue-paying, #cancel-payment")).to_have_count(0)
            expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0)
            screenshots(page, "order-actions-canceled")

            # Pay again: a new order, straight to Allo Bank's page.
            page.click("#pay-again")
            expect(page).to_have_url(re.compile(r"/doku-simulator/pages/payment/"))
            expect(page.locator("#amount")).to_have_text(words.rupiah(499_000))
            confirm_with_otp_and_pin(page, screenshots, "order-actions-pay-again")
            expect(page.locator("#order-status")).to_have_text(words.paid)
            expect(page).not_to_have_url(order_url)
            screenshots(page, "order-actions-paid-again")

            page.goto(f"{shop}/")
            unlink(page, screenshots, words, "order-actions")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "id"])
def test_refused_otp_tells_the_customer_why_the_account_is_not_linked(
        language: str, chromium: Any, shop_server: ShopServer) -> None:
    from playwright.sync_api import expect

    from .tour import choose_language

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    words = WORDS[language]
    screenshots = Screenshots(ARTIFACTS / language, first=81)  # after the tour's files
    context, page = _signed_in_as_staff(chromium, shop_server.url)
    try:
        with explained(shop_server, screenshots, page):
            choose_language(page, language)
            page.fill("#id_phone", OTP_REFUSED_PHONE)
            page.click("#link")
            for _attempt in range(3):  # Allo Bank gives up after three wrong OTPs
                expect(page.locator("#otp")).to_be_visible()
                page.fill("#otp", OTP)
                page.click("#submit")
            expect(page).to_have_url(f"{shop_server.url}/")
            # Not only "not linked": why, and what to do.
            expect(page.locator(".messages")).to_contain_text(words.otp_refused)
            expect(page.locator("#allo-status")).to_have_text(words.not_linked)
            screenshots(page, "otp-refused-home")
    finally:
        context.close()
