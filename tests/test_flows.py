"""The merchant's money flow end to end, against the DOKU simulator over real HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from django_doku_allo import services, signals
from django_doku_allo.exceptions import BindingNotActive, NotRefundable
from django_doku_allo.models import (
    BindingStatus,
    Notification,
    PaymentStatus,
    RefundStatus,
)
from django_doku_allo.simulator import customer as sim_customer
from django_doku_allo.simulator import faults, state
from tests.flows import CUSTOMER, bind, deliver, follow, pay, return_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_link_pay_notify_refund_and_unlink(
        live_simulator: Any, user: Any, signals_sent: Any) -> None:
    binding = bind(live_simulator, user)
    assert binding.status == BindingStatus.ACTIVE
    assert binding.access_token
    assert binding.activated_at
    assert [c["binding"].pk for c in signals_sent(signals.binding_activated)] == [binding.pk]

    balance = services.balance_inquiry(binding, customer=CUSTOMER)
    assert balance.available is not None
    assert balance.available.value == Decimal("10000000.00")

    payment = pay(binding)
    assert payment.status == PaymentStatus.PENDING
    assert payment.reference_no
    assert payment.web_redirect_url
    assert payment.request_body["amount"] == {"value": "150000.00", "currency": "IDR"}

    sim_customer.confirm_payment(payment.reference_no)
    assert deliver() >= 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert len(signals_sent(signals.payment_succeeded)) == 1
    assert Notification.objects.filter(payment=payment, verified=True, processed=True).exists()
    assert state.debit_count(phone="6281100000001") == 1

    refund = services.refund(payment, reason="Customer changed their mind")
    assert refund.status == RefundStatus.SUCCEEDED
    assert len(refund.partner_refund_no) >= 32
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert [c["refund"].pk for c in signals_sent(signals.payment_refunded)] == [refund.pk]
    assert state.refund_count() == 1

    binding = services.unbind(binding, customer=CUSTOMER)
    assert binding.status == BindingStatus.UNBOUND
    assert not binding.access_token
    assert not binding.auth_code
    assert len(signals_sent(signals.binding_unbound)) == 1
    with pytest.raises(BindingNotActive):
        services.balance_inquiry(binding, customer=CUSTOMER)


def test_binding_whose_otp_always_fails_ends_failed(live_simulator: Any, user: Any,
                                                    signals_sent: Any) -> None:
    start = services.begin_binding(user=user, phone_number="6281100000003",
                                   customer=CUSTOMER, return_url=return_url(live_simulator))
    page = None
    for _ in range(3):
        page = sim_customer.submit_binding_otp(start.binding.auth_code, "123456")
    assert page is not None
    assert page.redirect_url
    follow(Client(), page.redirect_url)

    start.binding.refresh_from_db()
    assert start.binding.status == BindingStatus.FAILED
    assert len(signals_sent(signals.binding_failed)) == 1


def test_success_redirect_without_otp_does_not_activate_the_binding(live_simulator: Any, user: Any
                                                                    ) -> None:
    start = services.begin_binding(user=user, phone_number="6281100000001",
                                   customer=CUSTOMER, return_url=return_url(live_simulator))
    # A forged "success" return: the customer never passed OTP/PIN at Allo Bank.
    success_url = start.binding.redirect_url  # unused, the state is what counts
    assert success_url
    from django_doku_allo.models import Binding
    binding = Binding.objects.get(pk=start.binding.pk)

    result = services.complete_binding(binding)

    assert result.status == BindingStatus.FAILED


def test_insufficient_funds_fails_the_payment_with_doku_code(live_simulator: Any, user: Any,
                                                             signals_sent: Any) -> None:
    binding = bind(live_simulator, user, phone="6281100000002")

    payment = pay(binding, amount="150000.00")

    assert payment.status == PaymentStatus.FAILED
    assert payment.response_code == "4035414"
    assert "balance" in payment.failure_reason.lower() or payment.response_message
    assert len(signals_sent(signals.payment_failed)) == 1
    assert state.debit_count(phone="6281100000002") == 0


def test_customer_cancelling_on_the_payment_page_fails_the_payment(live_simulator: Any, user: Any
                                                                   ) -> None:
    binding = bind(live_simulator, user)
    payment = pay(binding)

    sim_customer.cancel_payment(payment.reference_no)
    deliver()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


def test_bank_timeout_after_debit_is_unknown_then_settled_by_status_check(
        live_simulator: Any, user: Any) -> None:
    binding = bind(live_simulator, user, phone="6281100000004")

    payment = pay(binding)
    assert payment.status == PaymentStatus.UNKNOWN

    payment = services.sync_payment(payment)
    assert payment.status != PaymentStatus.UNKNOWN
    assert state.debit_count(phone="6281100000004") <= 1


def test_answer_dropped_after_the_debit_is_unknown_then_settled_once(live_simulator: Any, user: Any,
                                                                     signals_sent: Any) -> None:
    binding = bind(live_simulator, user)
    faults.drop_response("payment", mode="html502")

    payment = pay(binding)

    assert payment.status == PaymentStatus.UNKNOWN
    assert payment.response_code == ""
    synced = services.sync_payment(payment)
    assert synced.status == PaymentStatus.SUCCEEDED
    assert state.debit_count(phone="6281100000001") == 1
    assert len(signals_sent(signals.payment_succeeded)) == 1


def test_refund_of_an_unpaid_payment_is_refused(live_simulator: Any, user: Any) -> None:
    binding = bind(live_simulator, user)
    payment = pay(binding)

    with pytest.raises(NotRefundable):
        services.refund(payment, reason="too early")
    assert state.refund_count() == 0


def test_second_refund_of_one_payment_is_refused(live_simulator: Any, user: Any) -> None:
    binding = bind(live_simulator, user)
    payment = pay(binding)
    sim_customer.confirm_payment(payment.reference_no)
    deliver()
    services.refund(payment, reason="first")

    with pytest.raises(NotRefundable):
        services.refund(payment, reason="second")
    assert state.refund_count() == 1


def test_refund_timeout_is_unknown_until_a_status_check(live_simulator: Any, user: Any) -> None:
    binding = bind(live_simulator, user)
    payment = pay(binding)
    sim_customer.confirm_payment(payment.reference_no)
    deliver()
    faults.drop_response("refund", mode="html502")

    refund = services.refund(payment, reason="timeout please")

    assert refund.status == RefundStatus.UNKNOWN
    refund = services.sync_refund(refund)
    assert refund.status == RefundStatus.SUCCEEDED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


def test_browser_return_settles_the_payment_by_status_check(live_simulator: Any, user: Any,
                                                            signals_sent: Any) -> None:
    from django_doku_allo.views import payment_return_url

    binding = bind(live_simulator, user)
    reference = services.new_partner_reference_no()
    payment = pay(binding, partner_reference_no=reference)
    sim_customer.confirm_payment(payment.reference_no)

    response = follow(Client(), payment_return_url(None, reference, "success"))

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    deliver()  # the notification arrives afterwards: no second transition
    assert len(signals_sent(signals.payment_succeeded)) == 1


def test_binding_return_state_is_single_use(live_simulator: Any, user: Any) -> None:
    start = services.begin_binding(user=user, phone_number="6281100000001",
                                   customer=CUSTOMER, return_url=return_url(live_simulator))
    page = sim_customer.complete_binding(start.binding.auth_code)
    assert page.redirect_url

    first = follow(Client(), page.redirect_url)
    second = follow(Client(), page.redirect_url)

    assert first.status_code == 302
    assert second.status_code == 400


def test_browser_return_can_leave_settling_to_the_notification(live_simulator: Any, user: Any,
                                                               settings: Any) -> None:
    from django_doku_allo.views import payment_return_url

    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "PAYMENT_RETURN_STATUS_CHECK": False}
    binding = bind(live_simulator, user)
    reference = services.new_partner_reference_no()
    payment = pay(binding, partner_reference_no=reference)
    sim_customer.confirm_payment(payment.reference_no)

    follow(Client(), payment_return_url(None, reference, "success"))

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    deliver()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
