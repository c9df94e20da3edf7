"""The example shop end to end in Debian's Chromium: link, pay, refund, unlink.

Every step goes through real pages: the shop's, the simulator's OTP/PIN pages
(DOKU's side) and Django admin, served by one ``runserver`` process. The order
turns Paid through DOKU's notification, sent by the simulator's delivery thread,
and the payment signals the shop listens to.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest

from .support import Screenshots, ShopServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HAPPY_PHONE = "6281100000001"
LOW_BALANCE_PHONE = "6281100000002"  # IDR 5,000 in the simulator
OTP = PIN = "123456"
STEP_TIMEOUT_MS = 15_000
#: The notification goes out at once from a background thread; 20 s is generous.
SETTLE_TIMEOUT_MS = 20_000
#: Straight to the local server, whatever proxy the environment names.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@contextmanager
def _explained(server: ShopServer, screenshots: Screenshots, page: Any) -> Iterator[None]:
    """On failure, keep a screenshot of where the browser was and show the server's log."""
    try:
        yield
    except Exception:
        # Evidence only: a browser too broken to screenshot must not hide the real error.
        with suppress(Exception):
            screenshots(page, "failure")
        print(f"--- example shop log (tail) ---\n{server.log_tail(120)}")
        raise


def _sign_in(page: Any, username: str, password: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form [type=submit]").last.click()


def _confirm_with_otp_and_pin(page: Any, screenshots: Screenshots, kind: str) -> None:
    """Allo Bank's page (the simulator's): OTP, then PIN."""
    from playwright.sync_api import expect

    expect(page.locator("#otp")).to_be_visible()
    screenshots(page, f"{kind}-otp")
    page.fill("#otp", OTP)
    page.click("#submit")
    expect(page.locator("#pin")).to_be_visible()
    screenshots(page, f"{kind}-pin")
    page.fill("#pin", PIN)
    page.click("#submit")


def _control(server: ShopServer, path: str, data: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    """The simulator's control API (on in the example project): DOKU's side of things."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(f"{server.url}/doku-simulator/_control/{path}", data=body,
                                     headers={"Content-Type": "application/json"})
    with _LOCAL.open(request, timeout=5) as answer:
        return dict(json.load(answer))


def _simulator_payment(server: ShopServer, reference: str) -> dict[str, Any]:
    return _control(server, f"payments/{reference}")


def _wait_for_delivered_notification(server: ShopServer, reference: str) -> dict[str, Any]:
    deadline = time.monotonic() + SETTLE_TIMEOUT_MS / 1000
    while True:
        notifications = _simulator_payment(server, reference)["notifications"]
        delivered = [n for n in notifications if n["status"] == "delivered"]
        if delivered or time.monotonic() > deadline:
            assert delivered, f"no notification delivered for {reference}: {notifications}"
            return delivered[0]
        time.sleep(0.25)


def test_customer_links_pays_gets_refunded_and_unlinks(
        chromium: Any, shop_server: ShopServer, screenshots: Screenshots) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    shop = shop_server.url
    customer = chromium.new_context(viewport={"width": 1100, "height": 800})
    staff = chromium.new_context(viewport={"width": 1920, "height": 900})
    page = customer.new_page()
    admin = staff.new_page()
    for tab in (page, admin):
        tab.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        with _explained(shop_server, screenshots, page):
            # Sign in as the demo customer: not linked yet, nothing to buy with.
            page.goto(f"{shop}/")
            expect(page).to_have_url(re.compile(r"/accounts/login/"))
            screenshots(page, "sign-in")
            _sign_in(page, "demo", "demo-pass-123")
            expect(page.locator("#allo-status")).to_have_text("Not linked")
            expect(page.locator("#product-batik-tote button")).to_be_disabled()
            screenshots(page, "home-not-linked")

            # Link Allo Bank: the simulator's OTP and PIN pages, then back to the shop.
            page.fill("#id_phone", HAPPY_PHONE)
            page.click("#link")
            expect(page).to_have_url(re.compile(r"/doku-simulator/pages/binding/"))
            expect(page.locator("#phone")).to_have_text(HAPPY_PHONE)
            _confirm_with_otp_and_pin(page, screenshots, "bind")
            expect(page).to_have_url(f"{shop}/")
            expect(page.locator(".messages")).to_contain_text("linked")
            expect(page.locator("#allo-status")).to_have_text("Linked")
            phone = page.locator("#allo-phone")
            expect(phone).to_contain_text("0001")
            expect(phone).not_to_contain_text(HAPPY_PHONE)  # masked outside the services
            expect(page.locator("#allo-balance")).to_have_text("IDR 10,000,000.00")
            screenshots(page, "home-linked")

            # Buy: Allo Bank's payment page, then the order page, which refreshes
            # itself until the payment settles. The return view asks DOKU for the
            # status, which would settle the payment before the notification lands;
            # that one check fails here (as when DOKU's status API has a bad moment),
            # so only the notification can mark the order paid.
            _control(shop_server, "faults", {"kind": "error", "operation": "status",
                                             "code": "5005500", "times": 1})
            page.click("#product-batik-tote button")
            expect(page).to_have_url(re.compile(r"/doku-simulator/pages/payment/"))
            expect(page.locator("#amount")).to_have_text("IDR 150,000.00")
            _confirm_with_otp_and_pin(page, screenshots, "pay")
            expect(page).to_have_url(re.compile(r"/orders/SHOP-[0-9A-F]+/$"))
            order_url = page.url
            screenshots(page, "order-returned")
            expect(page.locator("#order-status")).to_have_text(
                "Paid", timeout=SETTLE_TIMEOUT_MS)
            screenshots(page, "order-paid")
            assert _control(shop_server, "faults")["faults"] == [], "no status check ran"
            reference = page.locator("#payment-reference").inner_text().strip()
            delivered = _wait_for_delivered_notification(shop_server, reference)
            assert delivered["transaction_status"] == "00"
            assert delivered["attempts"][-1]["http_status"] == 200
            page.goto(f"{shop}/")
            expect(page.locator("#allo-balance")).to_have_text("IDR 9,850,000.00")

        with _explained(shop_server, screenshots, admin):
            # Staff refund it from Django admin: the payments list's refund action.
            admin.goto(f"{shop}/admin/")
            _sign_in(admin, "admin", "admin-pass-123")
            expect(admin.locator("#site-name")).to_be_visible()
            # The shop recorded DOKU's notification, and it is what settled the payment.
            admin.goto(f"{shop}/admin/doku_allo/notification/?q={reference}")
            expect(admin.locator("#result_list tbody tr")).to_have_count(1)
            expect(admin.locator("#result_list tbody tr")).to_contain_text(
                "pending -> succeeded")
            screenshots(admin, "admin-notification")

            # Staff refund it from Django admin: the payments list's refund action,
            # which asks for a reason on a confirmation page.
            admin.goto(f"{shop}/admin/doku_allo/payment/")
            row = admin.locator("#result_list tbody tr", has_text=reference)
            expect(row).to_have_count(1)
            row.locator("input.action-select").check()
            admin.select_option("select[name=action]", "refund_payments")
            screenshots(admin, "admin-payments")
            admin.click("button[name=index]")
            expect(admin.locator("#refund-eligible")).to_contain_text(reference)
            admin.fill("input[name=reason]", "Customer returned the item")
            screenshots(admin, "admin-refund-confirm")
            admin.click("input[name=confirm]")
            expect(admin.locator(".messagelist .success")).to_contain_text("refunded")
            expect(admin.locator("#result_list tbody tr", has_text=reference)).to_contain_text(
                "Refunded")
            screenshots(admin, "admin-refunded")

        with _explained(shop_server, screenshots, page):
            # The refund signal marked the order refunded; the money is back.
            page.goto(order_url)
            expect(page.locator("#order-status")).to_have_text("Refunded")
            screenshots(page, "order-refunded")
            page.goto(f"{shop}/")
            expect(page.locator("#allo-balance")).to_have_text("IDR 10,000,000.00")

            # Unlink: the account is gone from the shop, and buying is off again.
            page.click("#unlink")
            expect(page.locator(".messages")).to_contain_text("unlinked")
            expect(page.locator("#allo-status")).to_have_text("Not linked")
            expect(page.locator("#product-batik-tote button")).to_be_disabled()
            screenshots(page, "home-unlinked")
    finally:
        customer.close()
        staff.close()


def test_payment_refused_for_insufficient_funds_fails_the_order(
        chromium: Any, shop_server: ShopServer, screenshots: Screenshots) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    shop = shop_server.url
    # The staff user shops too: its own binding, independent of the demo customer's.
    context = chromium.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        with _explained(shop_server, screenshots, page):
            page.goto(f"{shop}/accounts/login/")
            _sign_in(page, "admin", "admin-pass-123")
            page.fill("#id_phone", LOW_BALANCE_PHONE)
            page.click("#link")
            _confirm_with_otp_and_pin(page, screenshots, "low-balance-bind")
            expect(page.locator("#allo-balance")).to_have_text("IDR 5,000.00")

            # DOKU refuses the payment outright: no OTP page, the order fails at once.
            page.click("#product-kopi-susu button")
            expect(page).to_have_url(re.compile(r"/orders/SHOP-[0-9A-F]+/$"))
            expect(page.locator(".messages")).to_contain_text("Insufficient Funds")
            expect(page.locator("#order-status")).to_have_text("Payment failed")
            expect(page.locator("#payment-status")).to_have_text("Failed")
            screenshots(page, "low-balance-order-failed")

            page.goto(f"{shop}/")
            expect(page.locator("#allo-balance")).to_have_text("IDR 5,000.00")
            page.click("#unlink")
            expect(page.locator("#allo-status")).to_have_text("Not linked")
    finally:
        context.close()
