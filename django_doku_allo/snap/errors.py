"""The one exception hierarchy of django-doku-allo, rooted in :class:`DokuAlloError`.

Each SNAP outcome has a class, so callers branch on ``except`` clauses rather
than on code strings. Messages say what happened and what to do next; they never
contain secrets, tokens or full phone numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .codes import Outcome, ResponseCode

if TYPE_CHECKING:
    from .messages import SnapResponse

__all__ = [
    "ConfigurationError",
    "ConnectFailedError",
    "DeclinedError",
    "DokuAlloError",
    "InvalidCustomerTokenError",
    "InvalidRequestError",
    "OutcomeUnknownError",
    "RetryableError",
    "SnapError",
]


class DokuAlloError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigurationError(DokuAlloError):
    """``settings.DOKU_ALLO`` is missing something or holds an unusable value."""


class InvalidRequestError(DokuAlloError, ValueError):
    """A request failed validation before anything was sent to DOKU (nothing happened)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SnapError(DokuAlloError):
    """A call to DOKU did not succeed. ``outcome`` says what the caller may do."""

    outcome: Outcome = Outcome.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        external_id: str | None = None,
        response: SnapResponse | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.external_id = external_id
        self.response = response
        self.http_status = http_status if http_status is not None else (
            response.http_status if response is not None else None)

    @property
    def code(self) -> ResponseCode | None:
        return self.response.code if self.response is not None else None

    @property
    def response_code(self) -> str | None:
        """The raw ``responseCode``, if DOKU sent one."""
        return self.response.response_code if self.response is not None else None

    @property
    def response_message(self) -> str | None:
        return self.response.response_message if self.response is not None else None

    @property
    def raw(self) -> dict[str, Any]:
        return dict(self.response.raw) if self.response is not None else {}


class DeclinedError(SnapError):
    """DOKU refused the request for good; sending it again unchanged will not help."""

    outcome = Outcome.DECLINED


class InvalidCustomerTokenError(DeclinedError):
    """The customer's B2B2C token or authCode is no longer accepted.

    From the B2B2C token endpoint (``4017400``) this means the customer revoked
    the binding at Allo Bank; bind the account again.
    """


class RetryableError(SnapError):
    """Nothing happened at DOKU; the same request may be sent again later."""

    outcome = Outcome.RETRYABLE


class ConnectFailedError(RetryableError):
    """The connection to DOKU could not be opened: the request provably never arrived."""


class OutcomeUnknownError(SnapError):
    """The request may or may not have taken effect at DOKU.

    Check the transaction's status before doing anything else; never resend a
    payment or refund blindly.
    """

    outcome = Outcome.UNKNOWN
