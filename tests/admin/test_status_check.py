"""The "Check status at DOKU" actions on payments and refunds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from django_doku_allo.models import Binding, Payment, PaymentStatus, RefundStatus
from tests.admin.helpers import (
    action_names,
    changelist,
    make_refund,
    run_action,
    sent_messages,
    staff_client,
)
from tests.support.fake_client import FakeAlloClient, outcome_unknown


@pytest.mark.django_db
def test_check_status_action_applies_dokus_answer_to_each_payment(
        admin_client: Client, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    pending = make_payment(binding=binding, status=PaymentStatus.PENDING)
    failed = make_payment(binding=binding, status=PaymentStatus.FAILED)

    response = run_action(admin_client, "payment", "check_payment_status", [pending, failed])

    pending.refresh_from_db()
    assert pending.status == PaymentStatus.SUCCEEDED
    assert sent_messages(response) == [
        ("success", f"Payment {pending.partner_reference_no}: Pending (customer confirming "
                    "with OTP/PIN) → Succeeded."),
        ("warning", f"Payment {failed.partner_reference_no}: skipped: already failed."),
        ("warning", "2 Allo Bank payments: 1 done, 1 skipped or not settled yet, 0 failed."),
    ]
    assert fake_client.operations() == ["check_status"]


@pytest.mark.django_db
def test_check_status_action_reports_when_doku_cannot_answer(
        admin_client: Client, make_payment: Callable[..., Payment],
        fake_client: FakeAlloClient) -> None:
    pending = make_payment(status=PaymentStatus.PENDING)
    fake_client.errors["check_status"] = outcome_unknown("check_status")

    response = run_action(admin_client, "payment", "check_payment_status", [pending])

    [(tag, text)] = sent_messages(response)
    assert tag == "error"
    assert "failed: DOKU's answer never came" in text


@pytest.mark.django_db
def test_check_status_action_settles_an_unknown_refund(
        admin_client: Client, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    payment = make_payment(binding=binding, status=PaymentStatus.SUCCEEDED)
    unknown = make_refund(payment, status=RefundStatus.UNKNOWN)
    done = make_refund(make_payment(binding=binding, status=PaymentStatus.REFUNDED),
                       partner_refund_no="RFND" + "9" * 36)
    fake_client.check_status_answer = {"latestTransactionStatus": "04", "refundHistory": [
        {"partnerRefundNo": unknown.partner_refund_no, "refundStatus": "00",
         "refundNo": "RF1"}]}

    response = run_action(admin_client, "refund", "check_refund_status", [unknown, done])

    unknown.refresh_from_db()
    assert unknown.status == RefundStatus.SUCCEEDED
    assert sent_messages(response) == [
        ("success", f"Refund {unknown.partner_refund_no}: Unknown (awaiting status check) "
                    "→ Succeeded."),
        ("warning", f"Refund {done.partner_refund_no}: skipped: already succeeded."),
        ("warning", "2 Allo Bank refunds: 1 done, 1 skipped or not settled yet, 0 failed."),
    ]


@pytest.mark.django_db
def test_check_status_is_offered_to_staff_who_can_view(
        django_user_model: Any) -> None:
    viewer = staff_client(django_user_model, "view_payment", "view_refund")

    assert action_names(viewer.get(changelist("payment"))) == {"check_payment_status"}
    assert action_names(viewer.get(changelist("refund"))) == {"check_refund_status"}
