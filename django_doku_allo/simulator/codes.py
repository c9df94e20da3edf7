"""SNAP response codes as the simulator answers them: HTTP status + service code + case code."""

from __future__ import annotations

from typing import Any

__all__ = [
    "OPERATIONS",
    "SERVICE_CODES",
    "TRANSACTION_STATUS_DESC",
    "SnapError",
    "bad_request",
    "customer_token_not_found",
    "invalid_customer_token",
    "invalid_format",
    "invalid_token",
    "missing_field",
    "token_not_found",
    "unauthorized",
]

#: Operation name -> SNAP service code. The names are what faults and logs use.
SERVICE_CODES: dict[str, str] = {
    "token_b2b": "73",
    "token_b2b2c": "74",
    "binding": "07",
    "balance": "11",
    "payment": "54",
    "status": "55",
    "refund": "58",
    "unbinding": "09",
}
OPERATIONS: tuple[str, ...] = tuple(SERVICE_CODES)

#: latestTransactionStatus -> transactionStatusDesc (SNAP direct debit table).
TRANSACTION_STATUS_DESC: dict[str, str] = {
    "00": "Success",
    "01": "Initiated",
    "02": "Paying",
    "03": "Pending",
    "04": "Refunded",
    "05": "Canceled",
    "06": "Failed",
    "07": "Not Found",
}


class SnapError(Exception):
    """A SNAP error answer; the endpoint adds its service code to make the responseCode.

    Raising it inside a handler rolls back whatever the handler wrote.
    """

    def __init__(self, status: int, case: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status = status
        self.case = case
        self.message = message
        self.fields = fields

    def response_code(self, service: str) -> str:
        return f"{self.status}{service}{self.case}"


def bad_request(reason: str = "") -> SnapError:
    return SnapError(400, "00", f"Bad Request. {reason}".strip())


def invalid_format(field: str) -> SnapError:
    return SnapError(400, "01", f"Invalid Field Format {field}")


def missing_field(field: str) -> SnapError:
    return SnapError(400, "02", f"Invalid Mandatory Field {field}")


def unauthorized(reason: str) -> SnapError:
    return SnapError(401, "00", f"Unauthorized. {reason}")


def invalid_token() -> SnapError:
    return SnapError(401, "01", "Invalid Token (B2B)")


def invalid_customer_token() -> SnapError:
    return SnapError(401, "02", "Invalid Customer Token")


def token_not_found() -> SnapError:
    return SnapError(401, "03", "Token Not Found (B2B)")


def customer_token_not_found() -> SnapError:
    return SnapError(401, "04", "Customer Token Not Found")
