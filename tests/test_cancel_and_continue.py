"""A pending payment can be continued while its Allo link is valid, or canceled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from django_doku_allo import checkout, services, signals
from django_doku_allo.models import Binding, BindingStatus, Payment, PaymentStatus
from django_doku_allo.wording import customer_message
from tests.support.fake_client import PAY_URL, FakeAlloClient, unreachable

pytestmark = pytest.mark.django_db


def test_a_pending_payment_can_be_continued_at_its_allo_page(
        make_payment: Callable[..., Payment]) -> None:
    payment = make_payment(web_redirect_url=PAY_URL)

    assert payment.continue_url == PAY_URL


def test_no_continue_link_after_the_confirmation_window(
        make_payment: Callable[..., Payment], settings) -> None:
    payment = make_payment(web_redirect_url=PAY_URL)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(hours=1))
    payment.refresh_from_db()

    assert payment.continue_url is None


@pytest.mark.parametrize("status", [PaymentStatus.SUCCEEDED, PaymentStatus.FAILED,
                                    PaymentStatus.EXPIRED, PaymentStatus.UNKNOWN])
def test_no_continue_link_unless_pending(make_payment: Callable[..., Payment],
                                         status: PaymentStatus) -> None:
    assert make_payment(web_redirect_url=PAY_URL, status=status).continue_url is None


def test_cancel_ends_an_unconfirmed_payment_and_frees_its_order(
        make_payment: Callable[..., Payment], fake_client: FakeAlloClient,
        signals_sent, django_capture_on_commit_callbacks) -> None:
    fake_client.check_status_answer = {"latestTransactionStatus": "03",
                                       "transactionStatusDesc": "Pending"}
    payment = make_payment(web_redirect_url=PAY_URL, order_id="ORD-9")
    with django_capture_on_commit_callbacks(execute=True):
        canceled = checkout.cancel_payment(payment)

    assert canceled.status == PaymentStatus.EXPIRED
    assert canceled.failure_reason == "Canceled by the customer."
    assert canceled.continue_url is None
    assert fake_client.operations() == ["check_status"]
    [failed] = signals_sent(signals.payment_failed)
    assert failed["reason"] == "Canceled by the customer."
    assert customer_message(canceled) == ("You canceled this payment. You can pay again "
                                          "whenever you are ready.")


def test_cancel_of_a_payment_the_customer_did_confirm_ends_it_paid(
        make_payment: Callable[..., Payment], fake_client: FakeAlloClient) -> None:
    payment = make_payment(web_redirect_url=PAY_URL)  # the fake answers "00" by default

    assert checkout.cancel_payment(payment).status == PaymentStatus.SUCCEEDED


def test_cancel_when_doku_cannot_answer_still_ends_the_payment(
        make_payment: Callable[..., Payment], fake_client: FakeAlloClient) -> None:
    fake_client.errors["check_status"] = unreachable("check_status")
    payment = make_payment(web_redirect_url=PAY_URL)

    assert checkout.cancel_payment(payment).status == PaymentStatus.EXPIRED


def test_cancel_leaves_an_ended_payment_as_it_is(
        make_payment: Callable[..., Payment], fake_client: FakeAlloClient) -> None:
    payment = make_payment(status=PaymentStatus.SUCCEEDED)

    assert checkout.cancel_payment(payment).status == PaymentStatus.SUCCEEDED
    assert fake_client.operations() == []


@pytest.mark.parametrize(("initiated_by", "reason"), [
    ("customer", "Unlinked by the customer."), ("merchant", "Unbound by the merchant.")])
def test_unbind_says_who_unlinked_the_account(
        make_binding: Callable[..., Binding], fake_client: FakeAlloClient,
        initiated_by: str, reason: str) -> None:
    binding = services.unbind(make_binding(), initiated_by=initiated_by)

    assert binding.status == BindingStatus.UNBOUND
    assert binding.failure_reason == reason
