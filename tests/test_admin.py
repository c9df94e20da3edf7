"""Django admin: what staff see, search and do with bindings, payments, refunds, notifications."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_doku_allo.models import (
    Binding,
    BindingStatus,
    Notification,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from django_doku_allo.testing import notification_body
from tests.api.fake_doku import FakeAlloClient, declined, install, outcome_unknown
from tests.threads import run_together

PHONE = "6281100000001"
MASKED = "6281*****0001"


@pytest.fixture
def doku(monkeypatch: pytest.MonkeyPatch) -> FakeAlloClient:
    return install(monkeypatch)


def changelist(model: str) -> str:
    return reverse(f"admin:doku_allo_{model}_changelist")


def change(obj: Any) -> str:
    return reverse(f"admin:doku_allo_{obj._meta.model_name}_change", args=[obj.pk])


def staff_client(django_user_model: Any, *codenames: str, username: str = "staff") -> Client:
    member = django_user_model.objects.create_user(username=username, password="x",
                                                   is_staff=True)
    member.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="doku_allo", codename__in=codenames))
    client = Client()
    client.force_login(member)
    return client


def run_action(client: Client, model: str, action: str, objects: list[Any],
               **data: str) -> Any:
    """POST ``action`` from the change list, as the action bar does (``index`` set)."""
    return client.post(changelist(model), {
        "action": action, "_selected_action": [obj.pk for obj in objects], "index": "0",
        **data})


def confirm_refund(client: Client, payments: list[Any], reason: str) -> Any:
    """POST the refund confirmation page's form."""
    return client.post(changelist("payment"), {
        "action": "refund_payments", "_selected_action": [p.pk for p in payments],
        "confirm": "Yes, refund them", "reason": reason})


def sent_messages(response: Any) -> list[tuple[str, str]]:
    return [(message.tags, str(message)) for message in get_messages(response.wsgi_request)]


def action_names(response: Any) -> set[str]:
    form = response.context["action_form"]  # None when no action is offered at all
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def make_refund(payment: Payment, **fields: Any) -> Refund:
    defaults: dict[str, Any] = {
        "payment": payment, "partner_refund_no": f"RFND{payment.pk:036d}",
        "external_id": f"{payment.pk:024d}", "amount": payment.amount,
        "status": RefundStatus.SUCCEEDED, "reason": "Out of stock",
    }
    defaults.update(fields)
    return Refund.objects.create(**defaults)


def make_notification(payment: Payment, status: str = "00", **fields: Any) -> Notification:
    defaults: dict[str, Any] = {
        "body": json.dumps(notification_body(payment, status)),
        "headers": {"X-EXTERNAL-ID": "123", "Authorization": "Bearer leaked-jwt"},
        "original_partner_reference_no": payment.partner_reference_no,
        "latest_transaction_status": status, "verified": True, "payment": payment,
    }
    defaults.update(fields)
    return Notification.objects.create(**defaults)


# --------------------------------------------------------------------------- change lists
@pytest.mark.django_db
@pytest.mark.parametrize("model", ["binding", "payment", "refund", "notification"])
def test_changelist_query_count_does_not_grow_with_the_number_of_rows(
        admin_client: Client, make_binding: Callable[..., Binding],
        make_payment: Callable[..., Payment], model: str) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            binding = make_binding(phone_number=f"62811{Binding.objects.count():08d}")
            payment = make_payment(binding=binding, status=PaymentStatus.REFUNDED)
            make_refund(payment, requested_by=binding.user)
            make_notification(payment)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(changelist(model)).status_code == 200
        return len(captured)

    add(5)
    five = queries()
    add(45)
    assert queries() == five


@pytest.mark.django_db
def test_binding_changelist_shows_phone_numbers_masked_and_no_token(
        admin_client: Client, make_binding: Callable[..., Binding]) -> None:
    make_binding(phone_number=PHONE)

    page = admin_client.get(changelist("binding")).content.decode()

    assert MASKED in page
    for secret in (PHONE, "customer-token-1", "auth-code-1"):
        assert secret not in page


@pytest.mark.django_db
def test_binding_page_shows_no_token_and_redacts_the_auth_code_in_dokus_answer(
        admin_client: Client, make_binding: Callable[..., Binding]) -> None:
    binding = make_binding(raw={"responseCode": "2000700", "phoneNo": PHONE,
                                "additionalInfo": {"authCode": "raw-auth-code-9"}},
                           refresh_token="refresh-token-1", state_digest="d" * 64)

    response = admin_client.get(change(binding))

    page = response.content.decode()
    assert response.status_code == 200
    assert "2000700" in page
    assert "[redacted]" in page
    assert MASKED in page
    for secret in (PHONE, "raw-auth-code-9", "customer-token-1", "auth-code-1",
                   "refresh-token-1", "d" * 64):
        assert secret not in page


@pytest.mark.django_db
def test_notification_page_shows_headers_with_credentials_redacted(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    notification = make_notification(make_payment())

    page = admin_client.get(change(notification)).content.decode()

    assert "leaked-jwt" not in page
    assert "X-EXTERNAL-ID" in page
    assert notification.original_partner_reference_no in page


@pytest.mark.django_db
def test_payment_page_shows_its_refunds_and_links_its_binding_and_notifications(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    payment = make_payment(status=PaymentStatus.REFUNDED)
    refund = make_refund(payment)

    page = admin_client.get(change(payment)).content.decode()

    assert refund.partner_refund_no in page
    assert change(payment.binding) in page
    assert f"{changelist('notification')}?payment={payment.pk}" in page
    assert "150000.00 IDR" in page


@pytest.mark.django_db
def test_the_binding_link_lists_only_that_bindings_payments(
        admin_client: Client, make_binding: Callable[..., Binding],
        make_payment: Callable[..., Payment]) -> None:
    mine = make_payment()
    other = make_payment(binding=make_binding(phone_number="6281199999999"))

    page = admin_client.get(f"{changelist('payment')}?binding={mine.binding_id}"
                            ).content.decode()

    assert mine.partner_reference_no in page
    assert other.partner_reference_no not in page


@pytest.mark.django_db
def test_dates_are_shown_in_the_sites_time_zone(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    payment = make_payment(status=PaymentStatus.SUCCEEDED,
                           paid_at=datetime(2026, 1, 1, 0, 30, tzinfo=timezone.utc))

    page = admin_client.get(change(payment)).content.decode()

    # TIME_ZONE is Asia/Jakarta: UTC+7.
    assert "Jan. 1, 2026, 7:30 a.m." in page


@pytest.mark.django_db
def test_pages_are_read_only_no_add_no_edit_no_delete(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    payment = make_payment()

    assert admin_client.get(reverse("admin:doku_allo_payment_add")).status_code == 403
    assert admin_client.get(reverse("admin:doku_allo_payment_delete", args=[payment.pk])
                            ).status_code == 403
    page = admin_client.get(change(payment)).content.decode()
    assert 'name="_save"' not in page
    response = admin_client.post(change(payment), {"status": "succeeded"})
    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


# --------------------------------------------------------------------------- search
@pytest.mark.django_db
@pytest.mark.parametrize("typed", [PHONE, "+62 811-0000-0001", "081100000001"])
def test_a_full_phone_number_finds_the_binding_but_it_is_shown_masked(
        admin_client: Client, make_binding: Callable[..., Binding], typed: str) -> None:
    binding = make_binding(phone_number=PHONE, reference_no="BINDREF1")
    make_binding(phone_number="6281199999999", reference_no="BINDREF2")

    response = admin_client.get(changelist("binding"), {"q": typed})

    assert list(response.context["cl"].result_list) == [binding]
    rows = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    # Links keep the staff member's own query; what the rows show is what counts.
    rows = re.sub(r'href="[^"]*"', "", rows)
    assert MASKED in rows
    assert PHONE not in rows


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["62811000", "0001", "81100000001"])
def test_part_of_a_phone_number_finds_nothing(
        admin_client: Client, make_binding: Callable[..., Binding], typed: str) -> None:
    make_binding(phone_number=PHONE)

    response = admin_client.get(changelist("binding"), {"q": typed})

    assert list(response.context["cl"].result_list) == []


@pytest.mark.django_db
def test_payments_are_found_by_reference_order_username_email_and_phone(
        admin_client: Client, user: Any, make_binding: Callable[..., Binding],
        make_payment: Callable[..., Payment], other_user_factory: Callable[..., Any]) -> None:
    user.email = "siti@example.id"
    user.save()
    payment = make_payment(order_id="ORD-42", reference_no="DOKUREF42")
    other = other_user_factory()
    make_payment(binding=make_binding(user=other, phone_number="6281199999999"))

    for typed in (payment.partner_reference_no, "DOKUREF42", "ORD-42", "siti",
                  "siti@example.id", PHONE):
        response = admin_client.get(changelist("payment"), {"q": typed})
        assert list(response.context["cl"].result_list) == [payment], typed


@pytest.mark.django_db
def test_refunds_are_found_by_their_payments_reference_and_customer_phone(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    refund = make_refund(make_payment(status=PaymentStatus.REFUNDED))

    for typed in (refund.partner_refund_no, refund.payment.partner_reference_no, PHONE):
        response = admin_client.get(changelist("refund"), {"q": typed})
        assert list(response.context["cl"].result_list) == [refund], typed


@pytest.fixture
def other_user_factory(django_user_model: Any) -> Callable[..., Any]:
    def make() -> Any:
        return django_user_model.objects.create_user(username="budi", password="x",
                                                     email="budi@example.id")

    return make


# --------------------------------------------------------------------------- refund action
@pytest.mark.django_db
def test_refund_action_first_asks_for_a_reason_listing_eligible_and_ineligible_payments(
        admin_client: Client, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], doku: FakeAlloClient) -> None:
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
    assert doku.calls == []


@pytest.mark.django_db
def test_refund_action_refunds_eligible_payments_and_reports_skipped_ones(
        admin_client: Client, admin_user: Any, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], doku: FakeAlloClient) -> None:
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
    assert [tag for tag, _ in reports[1:]] == ["warning", "warning", "warning"]
    assert "skipped: Only a succeeded payment" in reports[1][1]
    assert "skipped: Payment" in reports[2][1]
    assert "already has refund" in reports[2][1]
    assert "skipped: The customer's Allo Bank account is no longer linked" in reports[3][1]
    assert doku.operations() == ["refund"]


@pytest.mark.django_db
def test_refund_action_without_a_reason_shows_the_page_again_and_refunds_nothing(
        admin_client: Client, make_payment: Callable[..., Payment],
        doku: FakeAlloClient) -> None:
    paid = make_payment(status=PaymentStatus.SUCCEEDED)

    response = confirm_refund(admin_client, [paid], "")

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert not Refund.objects.exists()
    assert doku.calls == []


@pytest.mark.django_db
def test_refund_action_submitted_twice_refunds_once(
        admin_client: Client, make_payment: Callable[..., Payment],
        doku: FakeAlloClient) -> None:
    paid = make_payment(status=PaymentStatus.SUCCEEDED)

    confirm_refund(admin_client, [paid], "Out of stock")
    admin_client.get(changelist("payment"))  # the first submit's messages are shown
    second = confirm_refund(admin_client, [paid], "Out of stock")

    assert Refund.objects.count() == 1
    assert doku.operations() == ["refund"]
    [(tag, text)] = sent_messages(second)
    assert tag == "warning"
    assert "skipped" in text


@pytest.mark.django_db
def test_refund_action_reports_a_refusal_by_doku_as_failed(
        admin_client: Client, make_payment: Callable[..., Payment],
        doku: FakeAlloClient) -> None:
    paid = make_payment(status=PaymentStatus.SUCCEEDED)
    doku.errors["refund"] = declined("refund", "4045801", "Refund Not Allowed")

    response = confirm_refund(admin_client, [paid], "Out of stock")

    [(tag, text)] = sent_messages(response)
    assert tag == "error"
    assert "failed: DOKU refused the refund: Refund Not Allowed" in text
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.SUCCEEDED


@pytest.mark.django_db
def test_refund_action_reports_an_unknown_outcome_and_says_not_to_refund_again(
        admin_client: Client, make_payment: Callable[..., Payment],
        doku: FakeAlloClient) -> None:
    paid = make_payment(status=PaymentStatus.SUCCEEDED)
    doku.errors["refund"] = outcome_unknown("refund")

    response = confirm_refund(admin_client, [paid], "Out of stock")

    [(tag, text)] = sent_messages(response)
    assert tag == "warning"
    assert "do not refund again" in text
    assert Refund.objects.get().status == RefundStatus.UNKNOWN


@pytest.mark.django_db
def test_refund_action_is_offered_only_to_staff_with_can_refund(
        django_user_model: Any, make_payment: Callable[..., Payment],
        doku: FakeAlloClient) -> None:
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
        doku: FakeAlloClient) -> None:
    paid = make_payment(status=PaymentStatus.SUCCEEDED)
    clients = [staff_client(django_user_model, "view_payment", "can_refund", username=name)
               for name in ("dewi", "eko")]
    doku.delay = 0.3
    results = run_together([
        lambda client=client: sent_messages(confirm_refund(client, [paid], "Complaint"))
        for client in clients])
    reports: list[list[tuple[str, str]]] = [
        r for r in results if not isinstance(r, BaseException)]

    assert Refund.objects.count() == 1
    assert doku.operations() == ["refund"]
    assert sorted(report[0][0] for report in reports) == ["success", "warning"]


# --------------------------------------------------------------------------- unbind action
@pytest.mark.django_db
def test_unbind_action_unbinds_active_bindings_and_reports_skipped_ones(
        admin_client: Client, make_binding: Callable[..., Binding],
        doku: FakeAlloClient) -> None:
    active = make_binding(phone_number="6281100000001")
    pending = make_binding(phone_number="6281100000002", status=BindingStatus.PENDING)
    unbound = make_binding(phone_number="6281100000003", status=BindingStatus.UNBOUND)

    response = run_action(admin_client, "binding", "unbind_bindings",
                          [active, pending, unbound])

    active.refresh_from_db()
    assert active.status == BindingStatus.UNBOUND
    assert active.access_token == ""
    assert doku.operations() == ["account_unbinding"]
    reports = sent_messages(response)
    assert reports[0] == ("success", "6281*****0001 (Active): unbound (Unbound).")
    assert reports[1][0] == "warning"
    assert "skipped: A pending" in reports[1][1]
    assert reports[2] == ("warning", "6281*****0003 (Unbound): skipped: already unbound.")


@pytest.mark.django_db
def test_unbind_action_reports_a_refusal_by_doku_and_keeps_the_binding(
        admin_client: Client, make_binding: Callable[..., Binding],
        doku: FakeAlloClient) -> None:
    binding = make_binding()
    doku.errors["account_unbinding"] = declined("account_unbinding")

    response = run_action(admin_client, "binding", "unbind_bindings", [binding])

    [(tag, text)] = sent_messages(response)
    assert tag == "error"
    assert "failed: DOKU declined" in text
    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE


@pytest.mark.django_db
def test_unbind_action_is_offered_only_to_staff_with_can_unbind(
        django_user_model: Any, make_binding: Callable[..., Binding],
        doku: FakeAlloClient) -> None:
    binding = make_binding()
    viewer = staff_client(django_user_model, "view_binding", username="viewer")
    unbinder = staff_client(django_user_model, "view_binding", "can_unbind",
                            username="unbinder")

    assert "unbind_bindings" not in action_names(viewer.get(changelist("binding")))
    assert "unbind_bindings" in action_names(unbinder.get(changelist("binding")))
    run_action(viewer, "binding", "unbind_bindings", [binding])
    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE
    assert doku.calls == []


# --------------------------------------------------------------------------- check status
@pytest.mark.django_db
def test_check_status_action_applies_dokus_answer_to_each_payment(
        admin_client: Client, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], doku: FakeAlloClient) -> None:
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
    ]
    assert doku.operations() == ["check_status"]


@pytest.mark.django_db
def test_check_status_action_reports_when_doku_cannot_answer(
        admin_client: Client, make_payment: Callable[..., Payment],
        doku: FakeAlloClient) -> None:
    pending = make_payment(status=PaymentStatus.PENDING)
    doku.errors["check_status"] = outcome_unknown("check_status")

    response = run_action(admin_client, "payment", "check_payment_status", [pending])

    [(tag, text)] = sent_messages(response)
    assert tag == "error"
    assert "failed: DOKU's answer never came" in text


@pytest.mark.django_db
def test_check_status_action_settles_an_unknown_refund(
        admin_client: Client, make_payment: Callable[..., Payment],
        make_binding: Callable[..., Binding], doku: FakeAlloClient) -> None:
    binding = make_binding()
    payment = make_payment(binding=binding, status=PaymentStatus.SUCCEEDED)
    unknown = make_refund(payment, status=RefundStatus.UNKNOWN)
    done = make_refund(make_payment(binding=binding, status=PaymentStatus.REFUNDED),
                       partner_refund_no="RFND" + "9" * 36)
    doku.check_status_answer = {"latestTransactionStatus": "04", "refundHistory": [
        {"partnerRefundNo": unknown.partner_refund_no, "refundStatus": "00",
         "refundNo": "RF1"}]}

    response = run_action(admin_client, "refund", "check_refund_status", [unknown, done])

    unknown.refresh_from_db()
    assert unknown.status == RefundStatus.SUCCEEDED
    assert sent_messages(response) == [
        ("success", f"Refund {unknown.partner_refund_no}: Unknown (awaiting status check) "
                    "→ Succeeded."),
        ("warning", f"Refund {done.partner_refund_no}: skipped: already succeeded."),
    ]


@pytest.mark.django_db
def test_check_status_is_offered_to_staff_who_can_view(
        django_user_model: Any) -> None:
    viewer = staff_client(django_user_model, "view_payment", "view_refund")

    assert action_names(viewer.get(changelist("payment"))) == {"check_payment_status"}
    assert action_names(viewer.get(changelist("refund"))) == {"check_refund_status"}


# --------------------------------------------------------------------------- reprocess
@pytest.mark.django_db
def test_reprocess_action_applies_verified_notifications_and_skips_unverified_ones(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    payment = make_payment(status=PaymentStatus.PENDING)
    verified = make_notification(payment)
    forged = make_notification(payment, verified=False, verification_error="bad signature")

    response = run_action(admin_client, "notification", "reprocess_notifications",
                          [verified, forged])

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    reports = sent_messages(response)
    assert reports[0] == ("success", f"Notification {verified.pk}: processed: "
                                     "pending -> succeeded.")
    assert reports[1][0] == "warning"
    assert "skipped: This delivery failed verification" in reports[1][1]
    assert "bad signature" in reports[1][1]


@pytest.mark.django_db
def test_reprocess_action_reports_a_flagged_notification(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    payment = make_payment(status=PaymentStatus.PENDING)
    body = notification_body(payment, "00")
    body["amount"] = {"value": "1.00", "currency": "IDR"}
    notification = make_notification(payment, body=json.dumps(body))

    response = run_action(admin_client, "notification", "reprocess_notifications",
                          [notification])

    assert sent_messages(response) == [
        ("warning", f"Notification {notification.pk}: flagged, not applied: amount does "
                    "not match the payment.")]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_reprocess_action_needs_the_change_notification_permission(
        django_user_model: Any) -> None:
    viewer = staff_client(django_user_model, "view_notification", username="viewer")
    operator = staff_client(django_user_model, "view_notification", "change_notification",
                            username="operator")

    assert action_names(viewer.get(changelist("notification"))) == set()
    assert action_names(operator.get(changelist("notification"))) == {
        "reprocess_notifications"}
