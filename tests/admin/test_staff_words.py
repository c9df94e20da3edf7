"""What staff read: headers in words, amounts as rupiah, the Refund button, the reasons."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from django_doku_allo.admin.paging import BoundedChangeList
from django_doku_allo.models import Binding, BindingStatus, Payment, PaymentStatus, Refund
from django_doku_allo.wording import REASON_UNBOUND_BY_CUSTOMER
from tests.admin.helpers import (
    change,
    changelist,
    make_notification,
    run_action,
    sent_messages,
    staff_client,
)
from tests.support.fake_client import FakeAlloClient


def headers(response: Any) -> list[str]:
    return [str(header["text"]) for header in response.context["result_headers"]]


@pytest.mark.django_db
def test_payment_list_headers_are_words_and_amounts_are_rupiah(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    make_payment(status=PaymentStatus.SUCCEEDED)

    response = admin_client.get(changelist("payment"))

    assert headers(response)[1:] == ["reference", "user", "amount", "status", "order",
                                     "created"]
    page = response.content.decode()
    assert "Rp150,000" in page
    assert "150000.00" not in page


@pytest.mark.django_db
def test_amounts_follow_the_staff_members_language(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    make_payment(status=PaymentStatus.SUCCEEDED)

    page = admin_client.get(changelist("payment"), HTTP_ACCEPT_LANGUAGE="id").content.decode()

    assert "Rp150.000" in page


@pytest.mark.django_db
def test_refund_button_on_a_refundable_payment_leads_to_the_confirmation_and_refunds_it(
        admin_client: Client, admin_user: Any, make_payment: Callable[..., Payment],
        fake_client: FakeAlloClient) -> None:
    paid = make_payment(status=PaymentStatus.SUCCEEDED)
    page = admin_client.get(change(paid)).content.decode()
    refund_url = f"{change(paid).removesuffix('change/')}refund/"
    assert f'href="{refund_url}"' in page

    confirmation = admin_client.get(refund_url)
    assert next(t.name for t in confirmation.templates) == \
        "admin/django_doku_allo/refund_confirmation.html"
    text = confirmation.content.decode()
    assert 'value="Yes, refund it"' in text
    assert "Rp150,000" in text

    done = admin_client.post(refund_url, {"confirm": "Yes, refund it", "reason": "Torn"})

    assert done.status_code == 302
    assert done["Location"] == change(paid)
    refund = Refund.objects.get(payment=paid)
    assert (refund.reason, refund.requested_by) == ("Torn", admin_user)
    assert sent_messages(done) == [
        ("success", f"Payment {paid.partner_reference_no}: refunded "
                    f"(refund {refund.partner_refund_no}).")]


@pytest.mark.django_db
def test_no_refund_button_for_a_payment_that_cannot_be_refunded_or_without_can_refund(
        admin_client: Client, django_user_model: Any,
        make_payment: Callable[..., Payment]) -> None:
    pending = make_payment(status=PaymentStatus.PENDING)
    paid = make_payment(binding=pending.binding, status=PaymentStatus.SUCCEEDED)
    viewer = staff_client(django_user_model, "view_payment", username="viewer")
    refund_url = f"{change(paid).removesuffix('change/')}refund/"

    assert "doku-allo-refund" not in admin_client.get(change(pending)).content.decode()
    assert "doku-allo-refund" not in viewer.get(change(paid)).content.decode()
    assert viewer.get(refund_url).status_code == 403
    assert viewer.post(refund_url, {"confirm": "1", "reason": "Sneaky"}).status_code == 403
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_the_confirmation_says_refund_them_for_several_payments(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    one = make_payment(status=PaymentStatus.SUCCEEDED)
    two = make_payment(binding=one.binding, status=PaymentStatus.SUCCEEDED)

    page = run_action(admin_client, "payment", "refund_payments", [one, two]
                      ).content.decode()

    assert 'value="Yes, refund them"' in page
    assert "These 2 payments will be refunded in full" in page


@pytest.mark.django_db
def test_a_binding_the_customer_unlinked_says_so_and_one_staff_unbound_says_merchant(
        admin_client: Client, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    by_customer = make_binding(status=BindingStatus.UNBOUND,
                               failure_reason=REASON_UNBOUND_BY_CUSTOMER)
    by_staff = make_binding(phone_number="6281100000002")
    run_action(admin_client, "binding", "unbind_bindings", [by_staff])

    customer_page = admin_client.get(change(by_customer)).content.decode()
    staff_page = admin_client.get(change(by_staff)).content.decode()

    assert "Unlinked by the customer." in customer_page
    assert "Unbound by the merchant" not in customer_page
    assert "Unbound by the merchant" in staff_page


@pytest.mark.django_db
def test_notifications_with_an_error_are_one_filter_away_and_the_error_shows_in_the_list(
        admin_client: Client, make_payment: Callable[..., Payment]) -> None:
    payment = make_payment()
    broken = make_notification(payment, processed=False,
                               error="KeyError: 'latestTransactionStatus'")
    forged = make_notification(payment, verified=False, verification_error="bad signature")
    fine = make_notification(payment, processed=True, result="pending -> succeeded")

    def shown(**query: str) -> set[int]:
        response = admin_client.get(changelist("notification"), query)
        return {row.pk for row in response.context["cl"].result_list}

    assert shown(error="processing") == {broken.pk}
    assert shown(error="verification") == {forged.pk}
    assert shown(error="none") == {fine.pk}
    page = admin_client.get(changelist("notification")).content.decode()
    assert "KeyError: &#x27;latestTransactionStatus&#x27;" in page
    assert "bad signature" in page


@pytest.mark.django_db
def test_action_messages_and_headers_are_in_indonesian_for_indonesian_staff(
        admin_client: Client, make_payment: Callable[..., Payment],
        fake_client: FakeAlloClient) -> None:
    with translation.override("id"):
        if translation.gettext("Yes, refund it") == "Yes, refund it":
            pytest.skip("the admin's Indonesian (.i18n-fragments/admin.po) is not merged "
                        "into django_doku_allo/locale yet")
    paid = make_payment(status=PaymentStatus.SUCCEEDED)
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "id"

    listing = admin_client.get(changelist("payment"))
    confirmation = run_action(admin_client, "payment", "refund_payments", [paid])

    assert headers(listing)[1] == "referensi"
    assert 'value="Ya, kembalikan dananya"' in confirmation.content.decode()


def test_counts_are_grouped_the_way_the_staff_members_language_groups_them() -> None:
    # The count text of a list too long to count: 5000 rows and more.
    too_long = SimpleNamespace(result_count=5000,
                               paginator=SimpleNamespace(count_is_lower_bound=True))

    def count_text(language: str) -> str:
        with translation.override(language):
            return BoundedChangeList.result_count_text.fget(too_long)  # type: ignore[attr-defined]

    assert count_text("en") == "more than 5,000"
    assert count_text("id") == "lebih dari 5.000"


@pytest.mark.django_db
def test_the_doku_status_filter_names_each_code_in_the_staff_members_language(
        admin_client: Client) -> None:
    with translation.override("id"):
        if translation.gettext("paying") == "paying":
            pytest.skip("the admin's Indonesian (.i18n-fragments/admin.po) is not merged "
                        "into django_doku_allo/locale yet")

    def choices(language: str) -> list[str]:
        response = admin_client.get(changelist("notification"),
                                    HTTP_ACCEPT_LANGUAGE=language)
        status_filter = next(spec for spec in response.context["cl"].filter_specs
                             if getattr(spec, "parameter_name", "") == "latest_transaction_status")
        return [str(title) for _, title in status_filter.lookup_choices]

    assert choices("en")[:3] == ["00 success", "01 initiated", "02 paying"]
    assert choices("id")[:3] == ["00 berhasil", "01 dimulai", "02 sedang dibayar"]
