"""The one action helper: what every admin action reports, and what it locks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import OperationalError, connection
from django.test import Client, RequestFactory

from django_doku_allo import services
from django_doku_allo.admin.actions import Outcome, Tally, run_each
from django_doku_allo.models import Payment, PaymentStatus
from tests.admin.helpers import run_action, sent_messages
from tests.support.fake_client import FakeAlloClient

pytestmark = pytest.mark.django_db


def test_a_database_error_is_reported_for_its_object_and_the_others_still_run(
        admin_client: Client, make_payment: Callable[..., Payment],
        monkeypatch: pytest.MonkeyPatch, fake_client: FakeAlloClient) -> None:
    stuck = make_payment(status=PaymentStatus.PENDING)
    other = make_payment(binding=stuck.binding, status=PaymentStatus.PENDING)
    real_sync = services.sync_payment

    def deadlocked_once(payment: Payment) -> Payment:
        if payment.pk == stuck.pk:
            # A database's message can quote row values; none may reach staff or logs.
            raise OperationalError(f"deadlock detected: {stuck.binding.phone_number}")
        return real_sync(payment)

    monkeypatch.setattr(services, "sync_payment", deadlocked_once)

    response = run_action(admin_client, "payment", "check_payment_status", [stuck, other])

    assert response.status_code == 302
    assert sent_messages(response) == [
        ("error", f"Payment {stuck.partner_reference_no}: failed: database error "
                  "(OperationalError); check its current status before trying again."),
        ("success", f"Payment {other.partner_reference_no}: Pending (customer confirming "
                    "with OTP/PIN) → Succeeded."),
        ("error", "2 Allo Bank payments: 1 done, 0 skipped or not settled yet, 1 failed."),
    ]


@pytest.mark.parametrize("lock", [True, False])
def test_only_a_locking_run_wraps_the_operation_in_a_transaction_of_its_own(
        admin_user: Any, make_payment: Callable[..., Payment], lock: bool) -> None:
    # The services the actions call commit before calling DOKU: without lock=True
    # the helper must not open a transaction around them.
    payment = make_payment()
    request = RequestFactory().post("/", {"action": "test"})
    request.user = admin_user
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    depth = len(connection.atomic_blocks)
    seen: list[tuple[int, bool]] = []

    def operation(obj: Payment) -> Outcome:
        seen.append((len(connection.atomic_blocks) - depth, obj is payment))
        return Outcome("looked at.")

    tally = run_each(admin.site._registry[Payment], request, [payment], operation, lock=lock)

    # Locked: a fresh row read inside one more atomic block; else the object as given.
    assert seen == ([(1, False)] if lock else [(0, True)])
    assert tally == Tally(succeeded=1)
    assert [str(m) for m in request._messages] == [  # type: ignore[attr-defined]
        f"Payment {payment.partner_reference_no}: looked at."]
