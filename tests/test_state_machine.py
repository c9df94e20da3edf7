"""Random interleavings of everything that can happen to one payment (hypothesis).

Whatever the order of the customer's choices, DOKU's notifications (duplicated,
reordered), browser returns, status checks, refunds and unbinding: a terminal
state never changes, and no more is refunded than was paid.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from django_doku_allo import services
from django_doku_allo.exceptions import DokuAlloError
from django_doku_allo.models import Binding, Payment, PaymentStatus, Refund, RefundStatus
from django_doku_allo.simulator import customer as sim_customer
from django_doku_allo.simulator import faults
from django_doku_allo.simulator.models import Refund as BankRefund
from django_doku_allo.views import payment_return_url
from tests.flows import CUSTOMER, bind, deliver, follow, pay

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TERMINAL = {PaymentStatus.FAILED, PaymentStatus.REFUNDED}


def make_machine(live_server: Any, user: Any) -> type[RuleBasedStateMachine]:
    class OnePayment(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            Binding.objects.filter(user=user).exclude(status="failed").update(status="unbound")
            self.binding = bind(live_server, user)
            reference = services.new_partner_reference_no()
            self.payment = pay(self.binding, amount="25000.00",
                               partner_reference_no=reference)
            self.return_url = payment_return_url(None, reference, "success")
            self.history: list[str] = [self.payment.status]

        def _swallow(self, action: Any) -> None:
            # A refusal is a legitimate outcome; the invariants judge the state.
            with contextlib.suppress(DokuAlloError):
                action()

        @rule()
        def customer_confirms(self) -> None:
            sim_customer.confirm_payment(self.payment.reference_no)

        @rule()
        def customer_cancels(self) -> None:
            sim_customer.cancel_payment(self.payment.reference_no)

        @rule()
        def doku_duplicates_and_reorders_the_next_notification(self) -> None:
            faults.duplicate_notifications(copies=3)
            faults.reorder_notifications(stale_status="03")

        @rule()
        def doku_delivers(self) -> None:
            deliver()

        @rule()
        def browser_returns(self) -> None:
            follow(Client(), self.return_url)

        @rule()
        def reconciliation_runs(self) -> None:
            self._swallow(lambda: services.sync_payment(self.payment))

        @rule()
        def staff_refunds(self) -> None:
            self._swallow(lambda: services.refund(self.payment, reason="random walk"))

        @rule()
        def refund_answer_is_lost(self) -> None:
            faults.drop_response("refund", mode="truncated")

        @rule()
        def refunds_are_checked(self) -> None:
            for refund in self.payment.refunds.all():
                self._swallow(lambda refund=refund: services.sync_refund(refund))

        @rule()
        def customer_unlinks(self) -> None:
            self._swallow(lambda: services.unbind(self.binding, customer=CUSTOMER))

        @invariant()
        def terminal_states_never_change(self) -> None:
            status = Payment.objects.get(pk=self.payment.pk).status
            previous = self.history[-1]
            if previous in TERMINAL:
                assert status == previous, [*self.history, status]
            if previous == PaymentStatus.SUCCEEDED:
                assert status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)
            self.history.append(status)

        @invariant()
        def never_refunds_more_than_was_paid(self) -> None:
            refunds = Refund.objects.filter(payment_id=self.payment.pk)
            live = refunds.exclude(status=RefundStatus.FAILED)
            assert live.count() <= 1
            refunded = sum((r.amount for r in refunds.filter(status=RefundStatus.SUCCEEDED)),
                           Decimal("0"))
            assert refunded <= self.payment.amount
            assert BankRefund.objects.filter(
                payment__reference_no=self.payment.reference_no).count() <= 1

        def teardown(self) -> None:
            faults.reset()

    return OnePayment


def test_random_interleavings_never_regress_or_over_refund(live_simulator: Any, user: Any) -> None:
    machine = make_machine(live_simulator, user)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=25, stateful_step_count=10, deadline=None,
        suppress_health_check=list(HealthCheck)))
