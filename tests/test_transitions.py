"""Every state machine: each allowed move works, every other move is refused."""

from __future__ import annotations

import itertools

import pytest

from django_doku_allo import transitions
from django_doku_allo.exceptions import TransitionNotAllowed
from django_doku_allo.models import (
    BINDING_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    REFUND_TRANSITIONS,
    BindingStatus,
    PaymentStatus,
    RefundStatus,
)

TABLES = {
    "Binding": (BINDING_TRANSITIONS, BindingStatus),
    "Payment": (PAYMENT_TRANSITIONS, PaymentStatus),
    "Refund": (REFUND_TRANSITIONS, RefundStatus),
}

CASES = [
    (model, current, target)
    for model, (table, choices) in TABLES.items()
    for current, target in itertools.product(choices.values, repeat=2)
    if current != target
]


@pytest.mark.parametrize(("model", "current", "target"), CASES)
def test_transition_is_allowed_exactly_when_the_table_lists_it(model: str, current: str,
                                                               target: str) -> None:
    table, _ = TABLES[model]
    if target in table[current]:
        assert transitions.check(table, model, current, target) is True
    else:
        with pytest.raises(TransitionNotAllowed, match=f"{model} cannot go"):
            transitions.check(table, model, current, target)


@pytest.mark.parametrize("model", TABLES)
def test_every_status_has_a_row_in_its_table(model: str) -> None:
    table, choices = TABLES[model]
    assert set(table) == set(choices.values)


@pytest.mark.parametrize("model", TABLES)
def test_terminal_states_have_no_way_out(model: str) -> None:
    table, _ = TABLES[model]
    for state in transitions.terminal_states(table):
        for target in table:
            if target != state:
                with pytest.raises(TransitionNotAllowed):
                    transitions.check(table, model, state, target)


def test_repeating_the_current_state_is_a_no_op() -> None:
    assert transitions.check(PAYMENT_TRANSITIONS, "Payment", "succeeded", "succeeded") is False


def test_terminal_states_are_the_expected_ones() -> None:
    assert transitions.terminal_states(PAYMENT_TRANSITIONS) == {"failed", "refunded"}
    assert transitions.terminal_states(REFUND_TRANSITIONS) == {"succeeded", "failed"}
    assert transitions.terminal_states(BINDING_TRANSITIONS) == {"failed", "unbound"}
