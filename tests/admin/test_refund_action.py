"""The refund action: a confirmation page, then one refund per payment, at most."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from django_doku_allo.models import (
    Binding,
    BindingStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from tests.admin.helpers import (
    MASKED,
    PHONE,
    action_names,
    changelist,
    confirm_refund,
    make_refund,
    run_action,
    sent_messages,
    staff_client,
)
from tests.support.fake_client import FakeAlloClient, declined, outcome_unknown
from tests.support.threads import run_together


@pytest.mark.django_db
def test_refund_action_first_asks_for_a_reason_listing_eligible_and_ineligible_payments(
        admin_client: Client, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    paid = make_payment(binding=binding, status=PaymentStatus.SUCCEEDED)
    pending = make_payment(binding=binding, status=PaymentStatus.PENDING)

    response = run_action(admin_client, "payment", "refund_payments", [paid, pending])

    assert response.status_code == 200
    assert next(t.name for t in response.templates) == \
        "admin/django_doku_allo/refund_confirmation.html"
    assert response.context["eligible"] == [paid]
    assert [(p, reason) for p, reason in response.context["ineligible"]] == [
        (pending, "Only a succeeded payment can be refunded; this one is pending (customer "
                  "confirming with otp/pin).")]
    page = response.content.decode()
    assert MASKED in page
    assert PHONE not in page
    assert 'name="reason"' in page
    assert not Refund.objects.exists()
    assert fake_client.calls == []


@pytest.mark.django_db
def test_refund_action_refunds_eligible_payments_and_reports_skipped_ones(
        admin_client: Client, admin_user: Any, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    paid = make_payment(binding=binding, status=PaymentStatus.SUCCEEDED)
    pending = make_payment(binding=binding, status=PaymentStatus.PENDING)
    already = make_payment(binding=binding, status=PaymentStatus.SUCCEEDED)
    make_refund(already, status=RefundStatus.UNKNOWN)
    unlinked = make_payment(binding=make_binding(phone_number="6281199999999",
                                                 status=BindingStatus.UNBOUND),
                            status=PaymentStatus.SUCCEEDED)

    response = confirm_refund(admin_client, [paid, pending, already, unlinked],
                              "Out of stock")

    assert response.status_code == 302
    refund = Refund.objects.get(payment=paid)
    assert (refund.status, refund.reason, refund.requested_by) == (
        RefundStatus.SUCCEEDED, "Out of stock", admin_user)
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.REFUNDED
    reports = sent_messages(response)
    assert reports[0] == ("success", f"Payment {paid.partner_reference_no}: refunded "
                                     f"(refund {refund.partner_refund_no}).")
    assert [tag for tag, _ in reports[1:4]] == ["warning", "warning", "warning"]
    assert "skipped: Only a succeeded payment" in reports[1][1]
    assert "skipped: Payment" in reports[2][1]
    assert "already has refund" in reports[2][1]
    assert "skipped: The customer's Allo Bank account is no longer linked" in reports[3][1]
    assert reports[4] == ("warning", "4 Allo Bank payments: 1 done, 3 skipped or not "
                                     "settled yet, 0 failed.")
    assert fake_client.operations() == ["refund"]


@pytest.mark.django_db
def test_refund_action_without_a_reason_shows_the_page_again_and_refunds_nothing(
        admin_client: Client, make_payment: Callable[..., Payment],
        fake_client: FakeAlloClient) -> None:
    paid = make_payment(status=PaymentStatus.SUCCEEDED)

    response = confirm_refund(admin_client, [paid], "")

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert not Refund.objects.exists()
    assert fake_client.calls == []


@pytest.mark.django_db
def test_refund_action_submitted_twice_refunds_once(
        admin_client: Client, make_payment: Callable[..., Payment],
        fake_client: FakeAlloClient) -> None:
    paid = make_payment(status=PaymentStatus.SUCCEEDED)

    confirm_refund(admin_client, [paid], "Out of stock")
    admin_client.get(changelist("payment"))  # the first submit's messages are shown
    second = confirm_refund(admin_client, [paid], "Out of stock")

    assert Refund.objects.count() == 1
    assert fake_client.operations() == ["refund"]
    [(tag, text)] = sent_messages(second)
    assert tag == "warning"
    assert "skipped" in text


@pytest.mark.django_db
def test_refund_action_reports_a_refusal_by_doku_as_failed(
        admin_client: Client, make_payment: Callable[..., Payment],
        fake_client: FakeAlloClient) -> None:
    paid = make_payment(status=PaymentStatus.SUCCEEDED)
    fake_client.errors["refund"] = declined("refund", "4045801", "Refund Not Allowed")

    response = confirm_refund(admin_client, [paid], "Out of stock")

    [(tag, text)] = sent_messages(response)
    assert tag == "error"
    assert "failed: DOKU refused the refund: Refund Not Allowed" in text
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.SUCCEEDED


@pytest.mark.django_db
def test_refund_action_reports_an_unknown_outcome_and_says_not_to_refund_again(
        admin_client: Client, make_payment: Callable[..., Payment],
        fake_client: FakeAlloClient) -> None:
    paid = make_payment(status=PaymentStatus.SUCCEEDED)
    fake_client.errors["refund"] = outcome_unknown("refund")

    response = confirm_refund(admin_client, [paid], "Out of stock")

    [(tag, text)] = sent_messages(response)
    assert tag == "warning"
    assert "do not refund again" in text
    assert Refund.objects.get().status == RefundStatus.UNKNOWN


@pytest.mark.django_db
def test_refund_action_is_offered_only_to_staff_with_can_refund(
        django_user_model: Any, make_payment: Callable[..., Payment],
        fake_client: FakeAlloClient) -> None:
    paid = make_payment(status=PaymentStatus.SUCCEEDED)
    viewer = staff_client(django_user_model, "view_payment", username="viewer")
    refunder = staff_client(django_user_model, "view_payment", "can_refund",
                            username="refunder")

    assert "refund_payments" not in action_names(viewer.get(changelist("payment")))
    assert "refund_payments" in action_names(refunder.get(changelist("payment")))
    response = confirm_refund(viewer, [paid], "Sneaky")
    assert not Refund.objects.exists()
    assert sent_messages(response) == [("warning", "No action selected.")]


@pytest.mark.django_db(transaction=True)
def test_two_staff_members_refunding_at_once_refund_once(
        postgres_only: None, django_user_model: Any, make_payment: Callable[..., Payment],
        fake_client: FakeAlloClient) -> None:
    paid = make_payment(status=PaymentStatus.SUCCEEDED)
    clients = [staff_client(django_user_model, "view_payment", "can_refund", username=name)
               for name in ("dewi", "eko")]
    fake_client.delay = 0.3
    results = run_together([
        lambda client=client: sent_messages(confirm_refund(client, [paid], "Complaint"))
        for client in clients])
    reports: list[list[tuple[str, str]]] = [
        r for r in results if not isinstance(r, BaseException)]

    assert Refund.objects.count() == 1
    assert fake_client.operations() == ["refund"]
    assert sorted(report[0][0] for report in reports) == ["success", "warning"]
