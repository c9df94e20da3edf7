"""Forward-only state machines: one table per model, enforced here and nowhere else."""

from __future__ import annotations

from collections.abc import Mapping

from .exceptions import TransitionNotAllowed

Table = Mapping[str, frozenset[str]]


def terminal_states(table: Table) -> frozenset[str]:
    return frozenset(state for state, targets in table.items() if not targets)


def check(table: Table, model: str, current: str, target: str) -> bool:
    """True when ``current -> target`` changes something, False for a no-op repeat.

    Raises :class:`TransitionNotAllowed` for a move the table forbids, including
    any move out of a terminal state.
    """
    if current == target:
        return False
    if target not in table.get(current, frozenset()):
        raise TransitionNotAllowed(model, current, target)
    return True
