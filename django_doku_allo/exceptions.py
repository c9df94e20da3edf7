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


class IdempotencyKeyReused(DokuAlloError):
    """The idempotency key already belongs to a different request; send a new key."""


class IdempotencyKeyExpired(IdempotencyKeyReused):
    """The idempotency key is older than ``IDEMPOTENCY_KEY_TTL``; send a new key.

    Refused rather than treated as new, so a very late retry never charges twice.
    """


class OrderHasLivePayment(DokuAlloError):
    """The merchant order already has a payment in progress or paid; no second one."""


__all__ += ["IdempotencyKeyExpired", "IdempotencyKeyReused", "OrderHasLivePayment"]


def database_error_trace(exc: BaseException) -> str:
    """``exc``'s class and where it was raised, without its message, for the logs.

    A database error's message can quote row values (an IntegrityError names the
    phone number), so the surfaces log this instead of the exception itself.
    """
    import traceback

    return exc.__class__.__name__ + "\n" + "".join(traceback.format_tb(exc.__traceback__))


__all__ += ["database_error_trace"]
