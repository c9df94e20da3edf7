"""SNAP response codes: parsing and the outcome each one means for the caller.

A ``responseCode`` is HTTP status (3 digits) + service code (2) + case code (2),
e.g. ``2005400``. What a code *means* depends on whether the call could have
changed anything at DOKU: a 500 on a balance inquiry is worth retrying, a 500 on
a payment means nobody knows whether money moved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

__all__ = [
    "B2B2C_TOKEN_UNAUTHORIZED",
    "B2B_TOKEN_BAD_REQUEST",
    "B2B_TOKEN_INVALID_FIELD_FORMAT",
    "B2B_TOKEN_SUCCESS",
    "B2B_TOKEN_UNAUTHORIZED",
    "INVALID_B2B_TOKEN_CASES",
    "INVALID_CUSTOMER_TOKEN_CASES",
    "NOTIFICATION_BAD_REQUEST",
    "NOTIFICATION_INTERNAL_ERROR",
    "NOTIFICATION_INVALID_AMOUNT",
    "NOTIFICATION_INVALID_FIELD_FORMAT",
    "NOTIFICATION_INVALID_TOKEN",
    "NOTIFICATION_PROCESSED",
    "NOTIFICATION_TRANSACTION_NOT_FOUND",
    "NOTIFICATION_UNAUTHORIZED",
    "PAYMENT_EXCEEDS_TRANSACTION_LIMIT",
    "PAYMENT_INSUFFICIENT_FUNDS",
    "PAYMENT_INVALID_AMOUNT",
    "REFUND_SUCCESS",
    "Outcome",
    "ResponseCode",
    "ServiceCode",
    "TransactionStatus",
    "classify",
]

#: ASCII digits only, matched in full: ``\d`` takes any Unicode digit and ``$`` a final newline.
_CODE_RE = re.compile(r"([0-9]{3})([0-9]{2})([0-9]{2})")


class ServiceCode(str, Enum):
    """SNAP service codes of the Allo Bank direct debit operations."""

    ACCOUNT_BINDING = "07"
    ACCOUNT_UNBINDING = "09"
    BALANCE_INQUIRY = "11"
    PAYMENT = "54"
    CHECK_STATUS = "55"
    NOTIFICATION = "56"
    REFUND = "58"
    B2B_TOKEN = "73"
    B2B2C_TOKEN = "74"


#: Services whose call may move money or change a binding at DOKU.
WRITE_SERVICES = frozenset({
    ServiceCode.ACCOUNT_BINDING.value,
    ServiceCode.ACCOUNT_UNBINDING.value,
    ServiceCode.PAYMENT.value,
    ServiceCode.REFUND.value,
})

# ------------------------------------------------------------------- named codes
# Every full responseCode the package sends or branches on, named once, so a
# typo in a 7-digit literal cannot silently become a different answer.
# Codes built from parts (the simulator's status + service + case) stay built.

# Notification (56): what we answer DOKU's payment notification with.
NOTIFICATION_PROCESSED: Final = "2005600"
NOTIFICATION_BAD_REQUEST: Final = "4005600"
NOTIFICATION_INVALID_FIELD_FORMAT: Final = "4005601"
NOTIFICATION_UNAUTHORIZED: Final = "4015600"
NOTIFICATION_INVALID_TOKEN: Final = "4015601"
NOTIFICATION_TRANSACTION_NOT_FOUND: Final = "4045601"
NOTIFICATION_INVALID_AMOUNT: Final = "4045613"
NOTIFICATION_INTERNAL_ERROR: Final = "5005601"

# B2B token (73): DOKU's answers to us, and ours to DOKU at our token endpoint.
B2B_TOKEN_SUCCESS: Final = "2007300"
B2B_TOKEN_BAD_REQUEST: Final = "4007300"
B2B_TOKEN_INVALID_FIELD_FORMAT: Final = "4007301"
B2B_TOKEN_UNAUTHORIZED: Final = "4017300"

# B2B2C token (74): the customer's binding no longer yields a token.
B2B2C_TOKEN_UNAUTHORIZED: Final = "4017400"

# Payment (54): refusals a merchant meets most (each has a hint in the channel profile).
PAYMENT_EXCEEDS_TRANSACTION_LIMIT: Final = "4035402"
PAYMENT_INSUFFICIENT_FUNDS: Final = "4035414"
PAYMENT_INVALID_AMOUNT: Final = "4045413"

# Refund (58).
REFUND_SUCCESS: Final = "2005800"

#: 401 case codes meaning the B2B token is no longer good: refresh once and retry.
INVALID_B2B_TOKEN_CASES = frozenset({"01", "03"})
#: 401 case codes meaning the customer's B2B2C token is no longer good.
INVALID_CUSTOMER_TOKEN_CASES = frozenset({"02", "04"})


class Outcome(str, Enum):
    """What a response means for the caller, whatever the operation."""

    SUCCESS = "success"
    #: Accepted, still in progress (HTTP 202): poll the status.
    PENDING = "pending"
    #: Final refusal; repeating the same request will not help.
    DECLINED = "declined"
    #: Nothing happened at DOKU; the same request may be sent again later.
    RETRYABLE = "retryable"
    #: Nobody knows whether it took effect: ask for the status, never resend blindly.
    UNKNOWN = "unknown"


class TransactionStatus(str, Enum):
    """``latestTransactionStatus`` of a status inquiry or notification."""

    SUCCESS = "00"
    INITIATED = "01"
    PAYING = "02"
    PENDING = "03"
    REFUNDED = "04"
    CANCELED = "05"
    FAILED = "06"
    NOT_FOUND = "07"

    @property
    def is_final(self) -> bool:
        return self in {TransactionStatus.SUCCESS, TransactionStatus.REFUNDED,
                        TransactionStatus.CANCELED, TransactionStatus.FAILED}


@dataclass(frozen=True)
class ResponseCode:
    """A parsed SNAP ``responseCode``."""

    raw: str
    http_status: int
    service: str
    case: str

    @classmethod
    def parse(cls, raw: object) -> ResponseCode | None:
        """Parse ``raw``; ``None`` when it is not a 7-digit SNAP code."""
        if not isinstance(raw, str):
            return None
        match = _CODE_RE.fullmatch(raw)
        if match is None:
            return None
        return cls(raw=raw, http_status=int(match[1]), service=match[2], case=match[3])

    @property
    def is_invalid_b2b_token(self) -> bool:
        return self.http_status == 401 and self.case in INVALID_B2B_TOKEN_CASES

    @property
    def is_invalid_customer_token(self) -> bool:
        return self.http_status == 401 and self.case in INVALID_CUSTOMER_TOKEN_CASES

    def __str__(self) -> str:
        return self.raw


def classify(code: ResponseCode, *, write: bool | None = None) -> Outcome:
    """The outcome ``code`` means. ``write`` defaults to whether the code's service moves money.

    Rules (spec section 7; reference section 9.3):
    2xx with case 00 succeeds, 202 is in progress; 4xx are final refusals except
    409 (a duplicate: the first request's fate is what counts, so it is unknown),
    429 and 403xx06 (cut-off in progress), which are worth trying later; 404xx18 on a
    refund means the refund number was already used, so the refund may have
    happened; 5xx is unknown for a write and retryable for a read.
    """
    if write is None:
        write = code.service in WRITE_SERVICES
    status, case = code.http_status, code.case
    if status == 202:
        return Outcome.PENDING
    if 200 <= status < 300:
        return Outcome.SUCCESS if case == "00" else Outcome.PENDING
    if status == 409:
        return Outcome.UNKNOWN if write else Outcome.RETRYABLE
    if status == 429 or (status == 403 and case == "06"):
        return Outcome.RETRYABLE
    if status == 404 and case == "18" and code.service == ServiceCode.REFUND.value:
        return Outcome.UNKNOWN
    if 400 <= status < 500:
        return Outcome.DECLINED
    return Outcome.UNKNOWN if write else Outcome.RETRYABLE
