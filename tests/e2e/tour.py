"""What the browser tests share: the words a customer reads in each language, and steps.

The expected words are written out per language, as the customer reads them, rather
than looked up in the catalogues: a missing or wrong translation then fails the test.
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from .support import Screenshots, ShopServer

OTP = PIN = "123456"
STEP_TIMEOUT_MS = 15_000
#: The notification goes out at once from a background thread; 20 s is generous.
SETTLE_TIMEOUT_MS = 20_000
#: Straight to the local server, whatever proxy the environment names.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Words:
    """Texts of the shop (and of the app's customer messages) in one language."""

    sign_in: str
    not_linked: str
    linked: str
    linked_message: str
    unlinked_message: str
    why_buy_is_disabled: str
    unlink_question: str
    awaiting_payment: str
    paid: str
    payment_failed: str
    refunded: str
    payment_successful: str
    top_up: str
    canceled: str
    otp_refused: str
    thousands: str  # the grouping separator of amounts: Rp150,000 or Rp150.000

    def rupiah(self, amount: int) -> str:
        return "Rp" + f"{amount:,}".replace(",", self.thousands)


WORDS = {
    "en": Words(
        sign_in="Sign in", not_linked="Not linked", linked="Linked",
        linked_message="Your Allo Bank account is linked.",
        unlinked_message="Your Allo Bank account is unlinked.",
        why_buy_is_disabled="Link your Allo Bank account above to buy.",
        unlink_question="Unlink your Allo Bank account?",
        awaiting_payment="Awaiting payment", paid="Paid", payment_failed="Payment failed",
        refunded="Refunded", payment_successful="Your payment was successful.",
        top_up="Top up your balance", canceled="You canceled this payment.",
        otp_refused="the OTP/PIN was not completed. Try linking again.", thousands=","),
    "id": Words(
        sign_in="Masuk", not_linked="Belum tertaut", linked="Tertaut",
        linked_message="Akun Allo Bank Anda sudah tertaut.",
        unlinked_message="Tautan akun Allo Bank Anda sudah diputuskan.",
        why_buy_is_disabled="Tautkan akun Allo Bank Anda di atas untuk membeli.",
        unlink_question="Putuskan tautan akun Allo Bank Anda?",
        awaiting_payment="Menunggu pembayaran", paid="Lunas", payment_failed="Pembayaran gagal",
        refunded="Dana dikembalikan", payment_successful="Pembayaran Anda berhasil.",
        top_up="Isi saldo Anda", canceled="Anda membatalkan pembayaran ini.",
        otp_refused="OTP/PIN tidak diselesaikan. Coba tautkan lagi.", thousands="."),
}


@contextmanager
def explained(server: ShopServer, screenshots: Screenshots, page: Any) -> Iterator[None]:
    """On failure, keep a screenshot of where the browser was and show the server's log."""
    try:
        yield
    except Exception:
        # Evidence only: a browser too broken to screenshot must not hide the real error.
        with suppress(Exception):
            screenshots(page, "failure", shop_page=False)
        print(f"--- example shop log (tail) ---\n{server.log_tail(120)}")
        raise


def choose_language(page: Any, language: str) -> None:
    """The header's language form (Django's set_language view), as a customer uses it."""
    from playwright.sync_api import expect

    page.select_option("#language", language)
    page.click("#set-language")
    expect(page.locator("html")).to_have_attribute("lang", language)


def sign_in(page: Any, username: str, password: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    # The last form's button: the shop's and the admin's sign-in pages both end with it
    # (the shop's header holds the language form before it).
    page.locator("form [type=submit]").last.click()


def confirm_with_otp_and_pin(page: Any, screenshots: Screenshots, kind: str) -> None:
    """Allo Bank's page (the simulator's): OTP, then PIN."""
    from playwright.sync_api import expect

    expect(page.locator("#otp")).to_be_visible()
    screenshots(page, f"{kind}-otp", shop_page=False)
    page.fill("#otp", OTP)
    page.click("#submit")
    expect(page.locator("#pin")).to_be_visible()
    screenshots(page, f"{kind}-pin", shop_page=False)
    page.fill("#pin", PIN)
    page.click("#submit")


def unlink(page: Any, screenshots: Screenshots, words: Words, step: str) -> None:
    """Unlink from the home page: the confirmation page first, then the account is gone."""
    from playwright.sync_api import expect

    page.click("#unlink")
    expect(page.locator("h1")).to_have_text(words.unlink_question)
    screenshots(page, f"{step}-unlink-confirm")
    page.click("#confirm-unlink")
    expect(page.locator(".messages")).to_contain_text(words.unlinked_message)
    expect(page.locator("#allo-status")).to_have_text(words.not_linked)


def control(server: ShopServer, path: str, data: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    """The simulator's control API (on in the example project): DOKU's side of things."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(f"{server.url}/doku-simulator/_control/{path}", data=body,
                                     headers={"Content-Type": "application/json"})
    with _LOCAL.open(request, timeout=5) as answer:
        return dict(json.load(answer))


def wait_for_delivered_notification(server: ShopServer, reference: str) -> dict[str, Any]:
    deadline = time.monotonic() + SETTLE_TIMEOUT_MS / 1000
    while True:
        notifications = control(server, f"payments/{reference}")["notifications"]
        delivered = [n for n in notifications if n["status"] == "delivered"]
        if delivered or time.monotonic() > deadline:
            assert delivered, f"no notification delivered for {reference}: {notifications}"
            return delivered[0]
        time.sleep(0.25)


def stored_notifications(server: ShopServer) -> list[dict[str, Any]]:
    """Every notification the shop stored, read from its database (read-only)."""
    uri = f"file:{server.database}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT original_partner_reference_no AS reference, verified, processed, "
            "error, verification_error, result FROM doku_allo_notification").fetchall()
    return [dict(row) for row in rows]


def assert_every_notification_processed_cleanly(server: ShopServer) -> None:
    notifications = stored_notifications(server)
    assert notifications, "the shop stored no notification"
    troubled = [n for n in notifications
                if not (n["verified"] and n["processed"]) or n["error"]
                or n["verification_error"]]
    assert troubled == [], f"notifications not processed cleanly: {troubled}"
