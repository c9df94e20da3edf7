"""The change lists fit a 1280 px screen, measured in Debian's Chromium.

A list wider than the window hides its last columns behind a horizontal scroll
(the payments list once needed 1920 px).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from django_doku_allo.models import Binding, Payment, PaymentStatus
from tests.admin.helpers import changelist, make_notification, make_refund
from tests.e2e.support import ARTIFACTS, debian_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 1280


@pytest.fixture
def chromium() -> Iterator[Any]:
    with debian_chromium() as browser:
        yield browser


@pytest.fixture
def rows(admin_user: Any, make_binding: Callable[..., Binding],
         make_payment: Callable[..., Payment]) -> None:
    """The widest rows each list shows: long statuses, references, an error."""
    # Here, before the browser starts: Playwright's sync API keeps an event loop
    # running in this thread, and Django refuses ORM calls from such a thread.
    admin_user.set_password("pw-admin-1")
    admin_user.save()
    binding = make_binding(user=admin_user)
    for number, status in enumerate(PaymentStatus):
        payment = make_payment(binding=binding, status=status,
                               order_id=f"ORDER-2026-{number:06d}")
        make_refund(payment, status="unknown", partner_refund_no=f"RFND{payment.pk:036d}",
                    requested_by=admin_user)
        make_notification(payment, processed=False, error="KeyError: 'latestTransaction"
                          "Status' while applying the delivery to the payment row " * 3)


@pytest.mark.parametrize("model", ["payment", "refund", "binding", "notification"])
def test_changelist_fits_a_1280_px_screen(rows: None, chromium: Any, live_server: Any,
                                          admin_user: Any, model: str) -> None:
    context = chromium.new_context(viewport={"width": WIDTH, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", admin_user.username)
        page.fill("#id_password", "pw-admin-1")
        page.click("input[type=submit]")
        page.goto(f"{live_server.url}{changelist(model)}")
        assert page.locator("#result_list").count() == 1
        width = page.evaluate("document.documentElement.scrollWidth")
        # The admin puts the table in a box that scrolls on its own: it must not either.
        table_overflow = page.evaluate(
            "(() => { const box = document.querySelector('#changelist .results');"
            " return box.scrollWidth - box.clientWidth; })()")
        # Evidence for a reviewer (test-artifacts/ is not committed).
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"admin-{model}-list-{WIDTH}px.png"),
                        full_page=True)
    finally:
        context.close()

    assert width <= WIDTH, f"the {model} list is {width} px wide"
    assert table_overflow <= 0, f"the {model} table scrolls sideways by {table_overflow} px"

