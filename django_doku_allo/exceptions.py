"""Every error the app raises, rooted in :class:`DokuAlloError`.

Protocol outcomes (declined, retryable, unknown, ...) come from
:mod:`django_doku_allo.snap.errors`; the domain adds refusals of state changes.
"""

from __future__ import annotations

from .snap.errors import (
    ConfigurationError,
    ConnectFailedError,
    DeclinedError,
    DokuAlloError,
    InvalidCustomerTokenError,
    InvalidRequestError,
    OutcomeUnknownError,
    RetryableError,
    SnapError,
)

__all__ = [
    "BindingNotActive",
    "ConfigurationError",
    "ConnectFailedError",
    "DeclinedError",
    "DokuAlloError",
    "InvalidCustomerTokenError",
    "InvalidNotification",
    "InvalidRequestError",
    "InvalidState",
    "NotRefundable",
    "OutcomeUnknownError",
    "RetryableError",
    "SnapError",
    "TransitionNotAllowed",
]


class TransitionNotAllowed(DokuAlloError):
    """A status change that the object's transition table forbids."""

    def __init__(self, model: str, current: str, target: str) -> None:
        super().__init__(f"{model} cannot go from {current!r} to {target!r}.")
        self.model, self.current, self.target = model, current, target


class BindingNotActive(DokuAlloError):
    """The operation needs an active Allo Bank binding; link the account (again) first."""


class NotRefundable(DokuAlloError):
    """The payment cannot be refunded (not succeeded, or a refund already exists)."""


class InvalidState(DokuAlloError):
    """The binding return ``state`` is missing, forged, expired or already used."""


class InvalidNotification(DokuAlloError):
    """A stored notification that cannot be (re)processed, e.g. one that failed verification."""
