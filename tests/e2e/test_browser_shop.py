"""The example shop end to end in Debian's Chromium: link, pay, refund, unlink.

Every step goes through real pages: the shop's, the simulator's OTP/PIN pages
(DOKU's side) and Django admin, served by one ``runserver`` process. The order
turns Paid through DOKU's notification, sent by the simulator's delivery thread,
and the payment signals the shop listens to. The tour runs once in English and
once in Bahasa Indonesia, chosen with the shop's language form; every page is kept
as a screenshot at 1280 px and at 390 px under test-artifacts/e2e/<lang>/<width>/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .support import ARTIFACTS, Screenshots, ShopServer
from .tour import (
    SETTLE_TIMEOUT_MS,
    STEP_TIMEOUT_MS,
    WORDS,
    assert_every_notification_processed_cleanly,
    choose_language,
    confirm_with_otp_and_pin,
    control,
    explained,
    sign_in,
    stored_notifications,
    unlink,
    wait_for_delivered_notification,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HAPPY_PHONE = "6281100000001"  # Rp10,000,000 in the simulator
DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("language", ["en", "id"])
def test_customer_links_pays_gets_refunded_and_unlinks(
        language: str, chromium: Any, shop_server: ShopServer) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    words = WORDS[language]
    screenshots = Screenshots(ARTIFACTS / language)
    shop = shop_server.url
    # The customer's browser asks for English; the language form decides.
    customer = chromium.new_context(viewport=DESKTOP, locale="en-US")
    staff = chromium.new_context(viewport=DESKTOP, locale="en-US")
    page = customer.new_page()
    admin = staff.new_page()
    for tab in (page, admin):
        tab.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        with explained(shop_server, screenshots, page):
            # Sign in as the demo customer, in the language chosen in the header.
            page.goto(f"{shop}/")
            expect(page).to_have_url(re.compile(r"/accounts/login/"))
            choose_language(page, language)
            expect(page.locator("h1")).to_have_text(words.sign_in)
            expect(page.locator("#sign-in")).to_have_text(words.sign_in)
            screenshots(page, "sign-in")
            # The shop names its icon, and /favicon.ico (asked by pages that name none,
            # like the admin's) leads to it: no 404 in the log.
            icon = page.locator("link[rel=icon]").get_attribute("href")
            for url in (f"{shop}{icon}", f"{shop}/favicon.ico"):
                answer = page.request.get(url)
                assert answer.ok, f"{url}: HTTP {answer.status}"
                assert answer.headers["content-type"].startswith("image/svg+xml")
            sign_in(page, "demo", "demo-pass-123")
            expect(page.locator("#allo-status")).to_have_text(words.not_linked)
            # Buying is off, and the page says why in words, not only on hover.
            expect(page.locator("#product-batik-tote button")).to_be_disabled()
            expect(page.locator("#why-batik-tote")).to_have_text(words.why_buy_is_disabled)
            expect(page.locator("#product-batik-tote .price")).to_have_text(
                words.rupiah(150_000))
            # All four of the simulator's test accounts are named for the customer.
            for last in "1234":
                expect(page.locator("#test-accounts")).to_contain_text(f"628110000000{last}")
            screenshots(page, "home-not-linked")

            # Link Allo Bank: the simulator's OTP and PIN pages, then back to the shop.
            page.fill("#id_phone", HAPPY_PHONE)
            page.click("#link")
            expect(page).to_have_url(re.compile(r"/doku-simulator/pages/binding/"))
            expect(page.locator("#phone")).to_have_text(HAPPY_PHONE)
            confirm_with_otp_and_pin(page, screenshots, "bind")
            expect(page).to_have_url(f"{shop}/")
            expect(page.locator(".messages")).to_contain_text(words.linked_message)
            expect(page.locator("#allo-status")).to_have_text(words.linked)
            phone = page.locator("#allo-phone")
            expect(phone).to_contain_text("0001")
            expect(phone).not_to_contain_text(HAPPY_PHONE)  # masked outside the services
            expect(page.locator("#allo-balance")).to_have_text(words.rupiah(10_000_000))
            screenshots(page, "home-linked")

            # Buy: Allo Bank's payment page, then the order page, which refreshes
            # itself until the payment settles. The return view asks DOKU for the
            # status, which would settle the payment before the notification lands;
            # that one check fails here (as when DOKU's status API has a bad moment),
            # so only the notification can mark the order paid.
            control(shop_server, "faults", {"kind": "error", "operation": "status",
                                            "code": "5005500", "times": 1})
            page.click("#product-batik-tote button")
            expect(page).to_have_url(re.compile(r"/doku-simulator/pages/payment/"))
            expect(page.locator("#amount")).to_have_text(words.rupiah(150_000))
            confirm_with_otp_and_pin(page, screenshots, "pay")
            expect(page).to_have_url(re.compile(r"/orders/SHOP-[0-9A-F]+/$"))
            order_url = page.url
            screenshots(page, "order-returned")
            expect(page.locator("#order-status")).to_have_text(
                words.paid, timeout=SETTLE_TIMEOUT_MS)
            expect(page.locator("#payment-message")).to_have_text(words.payment_successful)
            # Settled: the page stops refreshing and offers nothing more to do.
            expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0)
            expect(page.locator("#continue-paying, #cancel-payment, #pay-again")).to_have_count(0)
            screenshots(page, "order-paid")
            assert control(shop_server, "faults")["faults"] == [], "no status check ran"
            reference = page.locator("#payment-reference").inner_text().strip()
            delivered = wait_for_delivered_notification(shop_server, reference)
            assert delivered["transaction_status"] == "00"
            assert delivered["attempts"][-1]["http_status"] == 200
            # What settled it is the notification: stored, verified, processed, no error.
            assert [n["reference"] for n in stored_notifications(shop_server)].count(
                reference) == 1
            assert_every_notification_processed_cleanly(shop_server)
            page.goto(f"{shop}/")
            expect(page.locator("#allo-balance")).to_have_text(words.rupiah(9_850_000))
            expect(page.locator("#orders")).to_contain_text(words.paid)
            screenshots(page, "home-with-order")

        with explained(shop_server, screenshots, admin):
            admin.goto(f"{shop}/admin/")
            sign_in(admin, "admin", "admin-pass-123")
            expect(admin.locator("#site-name")).to_be_visible()
            # The shop recorded DOKU's notification, and it is what settled the payment.
            admin.goto(f"{shop}/admin/doku_allo/notification/?q={reference}")
            expect(admin.locator("#result_list tbody tr")).to_have_count(1)
            expect(admin.locator("#result_list tbody tr")).to_contain_text(
                "pending -> succeeded")
            screenshots(admin, "admin-notification", shop_page=False)

            # Staff refund it from Django admin: the payments list's refund action,
            # which asks for a reason on a confirmation page.
            admin.goto(f"{shop}/admin/doku_allo/payment/")
            row = admin.locator("#result_list tbody tr", has_text=reference)
            expect(row).to_have_count(1)
            row.locator("input.action-select").check()
            admin.select_option("select[name=action]", "refund_payments")
            screenshots(admin, "admin-payments", shop_page=False)
            admin.click("button[name=index]")
            expect(admin.locator("#refund-eligible")).to_contain_text(reference)
            admin.fill("input[name=reason]", "Customer returned the item")
            screenshots(admin, "admin-refund-confirm", shop_page=False)
            admin.click("input[name=confirm]")
            expect(admin.locator(".messagelist .success")).to_contain_text("refunded")
            expect(admin.locator("#result_list tbody tr", has_text=reference)).to_contain_text(
                "Refunded")
            screenshots(admin, "admin-refunded", shop_page=False)

        with explained(shop_server, screenshots, page):
            # The refund signal marked the order refunded; the money is back.
            page.goto(order_url)
            expect(page.locator("#order-status")).to_have_text(words.refunded)
            screenshots(page, "order-refunded")
            page.goto(f"{shop}/")
            expect(page.locator("#allo-balance")).to_have_text(words.rupiah(10_000_000))

            # Unlink, after a confirmation: the account is gone, buying is off again.
            unlink(page, screenshots, words, "home")
            expect(page.locator("#product-batik-tote button")).to_be_disabled()
            expect(page.locator("html")).to_have_attribute("lang", language)
            screenshots(page, "home-unlinked")
            assert_every_notification_processed_cleanly(shop_server)
    finally:
        customer.close()
        staff.close()
