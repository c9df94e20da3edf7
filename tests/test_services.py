"""Service contracts beyond the happy path: tokens, revocation, refusals, secrets at rest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from django_doku_allo import services, signals
from django_doku_allo.exceptions import (
    BindingNotActive,
    DeclinedError,
    InvalidRequestError,
    InvalidState,
)
from django_doku_allo.models import Binding, BindingStatus, PaymentStatus
from django_doku_allo.simulator import customer as sim_customer
from django_doku_allo.simulator import faults, state
from tests.flows import CUSTOMER, bind, deliver, pay, return_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_customer_token_is_encrypted_at_rest(live_simulator: Any, user: Any) -> None:
    binding = bind(live_simulator, user)

    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, auth_code FROM doku_allo_binding WHERE id = %s",
                       [binding.pk])
        stored_token, stored_code = cursor.fetchone()

    assert binding.access_token
    assert binding.access_token not in stored_token
    assert stored_token.startswith("gAAAA")  # a Fernet token
    assert binding.auth_code not in stored_code


def test_phone_number_is_shown_masked(make_binding: Any) -> None:
    binding = make_binding(phone_number="6281234567890")

    assert binding.masked_phone == "6281*****7890"
    assert "6281234567890" not in str(binding)


def test_expired_customer_token_is_renewed_before_the_call(live_simulator: Any, user: Any) -> None:
    binding = bind(live_simulator, user)
    old_token = binding.access_token
    Binding.objects.filter(pk=binding.pk).update(
        access_token_expires_at=timezone.now() - timedelta(minutes=1))

    payment = pay(Binding.objects.get(pk=binding.pk))

    assert payment.status == PaymentStatus.PENDING
    binding.refresh_from_db()
    assert binding.access_token != old_token
    assert binding.access_token_expires_at > timezone.now()


def test_customer_token_refused_by_doku_is_renewed_once_and_the_call_repeated(
    live_simulator: Any, user: Any,
) -> None:
    binding = bind(live_simulator, user)
    faults.force_error("balance", "4011102")

    balance = services.balance_inquiry(binding, customer=CUSTOMER)

    assert balance.available is not None


def test_revoked_binding_becomes_unbound_and_the_payment_fails(live_simulator: Any, user: Any,
                                                              signals_sent: Any) -> None:
    binding = bind(live_simulator, user)
    Binding.objects.filter(pk=binding.pk).update(
        access_token_expires_at=timezone.now() - timedelta(minutes=1), refresh_token="")
    faults.force_error("token_b2b2c", "4017400", times=None)

    payment = pay(Binding.objects.get(pk=binding.pk))

    assert payment.status == PaymentStatus.FAILED
    binding.refresh_from_db()
    assert binding.status == BindingStatus.UNBOUND
    assert len(signals_sent(signals.binding_unbound)) == 1
    assert state.debit_count() == 0


def test_declined_unbinding_keeps_the_binding_active(live_simulator: Any, user: Any) -> None:
    binding = bind(live_simulator, user)
    faults.force_error("unbinding", "4030905")

    with pytest.raises(DeclinedError):
        services.unbind(binding, customer=CUSTOMER)

    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE
    assert binding.response_code == "4030905"


def test_unbinding_with_unknown_outcome_stays_unbinding_and_can_be_retried(live_simulator: Any,
                                                                           user: Any) -> None:
    from django_doku_allo.exceptions import OutcomeUnknownError

    binding = bind(live_simulator, user)
    faults.force_error("unbinding", "5000900")

    with pytest.raises(OutcomeUnknownError):
        services.unbind(binding, customer=CUSTOMER)
    binding.refresh_from_db()
    assert binding.status == BindingStatus.UNBINDING

    assert services.unbind(binding, customer=CUSTOMER).status == BindingStatus.UNBOUND


def test_pay_refuses_a_binding_that_is_not_active(make_binding: Any) -> None:
    binding = make_binding(status=BindingStatus.PENDING)

    with pytest.raises(BindingNotActive):
        pay(binding)


def test_pay_refuses_bad_amounts_before_storing_anything(make_binding: Any) -> None:
    binding = make_binding()

    for amount in ("0", "-5", "10.001", "abc"):
        with pytest.raises(InvalidRequestError):
            pay(binding, amount=amount)
    assert not binding.payments.exists()


def test_begin_binding_refuses_a_malformed_phone_before_storing_anything(user: Any) -> None:
    with pytest.raises(InvalidRequestError):
        services.begin_binding(user=user, phone_number="0812345", customer=CUSTOMER,
                               return_url="https://shop.example/return/")
    assert not Binding.objects.exists()


def test_binding_return_with_unknown_or_expired_state_is_refused(
        live_simulator: Any, user: Any) -> None:
    start = services.begin_binding(user=user, phone_number="6281100000001",
                                   customer=CUSTOMER, return_url=return_url(live_simulator))
    Binding.objects.filter(pk=start.binding.pk).update(
        state_expires_at=timezone.now() - timedelta(seconds=1))
    state_value = start.binding.raw and ""  # the state itself is never stored

    with pytest.raises(InvalidState):
        services.handle_binding_return("forged-state-value", succeeded=True)
    with pytest.raises(InvalidState):
        services.handle_binding_return(state_value, succeeded=True)


def test_signals_are_not_sent_when_the_transaction_rolls_back(
    make_payment: Any, signals_sent: Any,
) -> None:
    from django_doku_allo.models import Payment
    payment = make_payment()

    def succeed_then_roll_back() -> None:
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            services.payments.apply_status(locked, PaymentStatus.SUCCEEDED, source="test")
            raise RuntimeError("rollback")

    with pytest.raises(RuntimeError):
        succeed_then_roll_back()

    assert signals_sent(signals.payment_succeeded) == []
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_failing_signal_receiver_does_not_undo_the_state_change(
    make_payment: Any,
) -> None:
    from django_doku_allo.models import Payment

    def broken_receiver(**kwargs: Any) -> None:
        raise ValueError("fulfilment is down")

    signals.payment_succeeded.connect(broken_receiver, weak=False)
    try:
        payment = make_payment()
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            services.payments.apply_status(locked, PaymentStatus.SUCCEEDED, source="test")
    finally:
        signals.payment_succeeded.disconnect(broken_receiver)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_refunded_status_from_doku_settles_our_unknown_refund(
        live_simulator: Any, user: Any) -> None:
    binding = bind(live_simulator, user)
    payment = pay(binding)
    sim_customer.confirm_payment(payment.reference_no)
    deliver()
    faults.drop_response("refund", mode="html502")
    refund = services.refund(payment, reason="dropped answer")

    payment = services.sync_payment(payment)

    refund.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert refund.status == "succeeded"


@pytest.mark.parametrize(("code", "expected"), [
    ("4295400", PaymentStatus.FAILED),    # too many requests: refused, nothing happened
    ("2025400", PaymentStatus.PENDING),   # in progress: settled later by status
    ("4095400", PaymentStatus.UNKNOWN),   # duplicate X-EXTERNAL-ID: the first one's fate counts
    ("4095401", PaymentStatus.UNKNOWN),   # duplicate partnerReferenceNo
    ("5005400", PaymentStatus.UNKNOWN),   # general error after sending
    ("5045400", PaymentStatus.UNKNOWN),   # issuer timeout
    ("4035402", PaymentStatus.FAILED),    # exceeds limit: declined
])
def test_each_payment_answer_code_gives_its_documented_state(
    live_simulator: Any, user: Any, code: str, expected: str,
) -> None:
    binding = bind(live_simulator, user)
    faults.force_error("payment", code)

    payment = pay(binding)

    assert payment.status == expected
    assert payment.response_code == code
    assert state.debit_count() == 0
