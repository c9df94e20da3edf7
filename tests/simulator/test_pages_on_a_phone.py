"""The customer's Allo Bank pages laid out by a real browser at a phone's 390 px.

The pages are rendered by Django first (Indonesian: its words are the longer ones),
then Debian's Chromium lays each out: nothing scrolls sideways and the code field
and buttons fit the screen. Skips without Chromium, as the shop's browser tests do.
"""

from __future__ import annotations

from typing import Any

import pytest

from django_doku_allo.simulator import customer
from tests.e2e.support import debian_chromium

from .conftest import INDONESIAN, Bound, Snap, payment_body

pytestmark = pytest.mark.usefixtures("locale_middleware")

PHONE = {"width": 390, "height": 844}


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def _pages(snap: Snap, bound: Bound) -> dict[str, str]:
    """Every kind of page the customer meets, as HTML, in Indonesian."""
    # A long product name is the widest thing a payment page holds.
    long_item = [{"name": "Tas ransel kulit asli ukuran besar warna cokelat tua", "price":
                  "1250000.00", "quantity": "1"}]
    payment = snap.pay(bound, payment_body(value="1250000.00", lineItems=long_item)).json()
    payment_page = _path(payment["webRedirectUrl"])
    binding = snap.bind(phone="6281234567890", cust_id="cust-phone")
    binding_page = _path(binding["redirectUrl"])
    pages = {
        "payment OTP": snap.client.get(payment_page, headers=INDONESIAN),
        "binding wrong OTP": snap.client.post(binding_page, {"otp": "000000", "action": "submit"},
                                              headers=INDONESIAN),
        "unknown link": snap.client.get("/doku-simulator/pages/payment/999/",
                                        headers=INDONESIAN),
    }
    customer.submit_payment_otp(payment["referenceNo"], "123456")
    pages["payment PIN"] = snap.client.get(payment_page, headers=INDONESIAN)
    customer.cancel_payment(payment["referenceNo"])
    pages["payment cancelled"] = snap.client.get(payment_page, headers=INDONESIAN)
    return {name: response.content.decode() for name, response in pages.items()}


def _layout(browser: Any, html: str) -> dict[str, Any]:
    page = browser.new_page(viewport=PHONE)
    try:
        page.set_content(html)
        return page.evaluate("""() => {
            const root = document.documentElement;
            const boxes = [...document.querySelectorAll('input, button, a.button')]
                .map(e => e.getBoundingClientRect())
                .map(r => ({left: r.left, right: r.right, height: r.height}));
            return {overflow: root.scrollWidth - root.clientWidth, boxes};
        }""")
    finally:
        page.close()


def test_every_page_fits_a_390_px_phone_without_sideways_scrolling(snap: Snap,
                                                                  bound: Bound) -> None:
    # The database work is done before Playwright starts: its sync API runs an event
    # loop, and Django refuses ORM calls while one is running.
    pages = _pages(snap, bound)
    with debian_chromium() as browser:
        layouts = {name: _layout(browser, html) for name, html in pages.items()}

    for name, layout in layouts.items():
        assert layout["overflow"] == 0, name
        for box in layout["boxes"]:
            # Inside the screen, and tall enough for a thumb (44 px, Apple's guideline).
            assert box["left"] >= 0, (name, box)
            assert box["right"] <= PHONE["width"], (name, box)
            assert box["height"] >= 44, (name, box)
    assert layouts["payment OTP"]["boxes"], "the OTP page has its field and buttons"
