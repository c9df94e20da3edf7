"""A stand-in for :class:`~django_doku_allo.snap.client.AlloClient`: DOKU's answers, no network.

The surfaces' tests (admin, API) exercise the real services; only the wire is
replaced, at the seam the library offers: ``DOKU_ALLO["CLIENT_FACTORY"]`` (see
:func:`install`, and the ``fake_client`` fixture). Each call is recorded, and a test
makes an operation fail by setting ``errors[operation]``. End-to-end tests against
the simulator live elsewhere.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

from django_doku_allo.snap.config import ALLO_CHANNEL
from django_doku_allo.snap.errors import DeclinedError, OutcomeUnknownError, RetryableError
from django_doku_allo.snap.messages import (
    AccountBindingRequest,
    AccountBindingResponse,
    AccountUnbindingResponse,
    B2B2CToken,
    BalanceInquiryResponse,
    CheckStatusRequest,
    CheckStatusResponse,
    CustomerContext,
    PaymentRequest,
    PaymentResponse,
    RefundRequest,
    RefundResponse,
    SnapResponse,
)

AUTH_CODE = "auth-code-from-doku-7f3a"
REDIRECT_URL = "https://allo.example/otp?session=s1"
PAY_URL = "https://allo.example/pay?session=p1"


@dataclass
class Call:
    operation: str
    customer: CustomerContext | None = None
    request: Any = None


@dataclass
class FakeAlloClient:
    config: Any = field(default_factory=lambda: SimpleNamespace(channel=ALLO_CHANNEL))
    calls: list[Call] = field(default_factory=list)
    errors: dict[str, Exception] = field(default_factory=dict)
    #: Seconds each call takes: lets concurrent requests overlap in threaded tests.
    delay: float = 0.0
    check_status_answer: dict[str, Any] = field(
        default_factory=lambda: {"latestTransactionStatus": "00",
                                 "transactionStatusDesc": "Success"})
    balance: str = "250000.00"
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def operations(self) -> list[str]:
        return [call.operation for call in self.calls]

    def _answer(self, operation: str, raw: dict[str, Any], *, customer: Any = None,
                request: Any = None) -> SnapResponse:
        with self._lock:
            self.calls.append(Call(operation, customer, request))
        if self.delay:
            time.sleep(self.delay)
        if operation in self.errors:
            raise self.errors[operation]
        return SnapResponse.from_json(200, {"responseCode": "2000000",
                                            "responseMessage": "Successful", **raw})

    def bind_account(self, request: AccountBindingRequest, *, customer: CustomerContext,
                     external_id: str | None = None) -> AccountBindingResponse:
        return AccountBindingResponse.from_response(self._answer(
            "account_binding", {"referenceNo": "BIND" + secrets.token_hex(6),
                                "redirectUrl": REDIRECT_URL,
                                "additionalInfo": {"authCode": AUTH_CODE}},
            customer=customer, request=request))

    def exchange_auth_code(self, auth_code: str) -> B2B2CToken:
        return B2B2CToken.from_response(self._answer("b2b2c_token", _token()))

    def refresh_customer_token(self, refresh_token: str) -> B2B2CToken:
        return B2B2CToken.from_response(self._answer("b2b2c_token", _token()))

    def balance_inquiry(self, *, customer_token: str, customer: CustomerContext,
                        external_id: str | None = None) -> BalanceInquiryResponse:
        amount = {"value": self.balance, "currency": "IDR"}
        return BalanceInquiryResponse.from_response(self._answer(
            "balance_inquiry", {"accountInfos": [{
                "balanceType": "CASH", "amount": amount, "flatAmount": amount,
                "holdAmount": {"value": "0", "currency": "IDR"}}]},
            customer=customer))

    def pay(self, request: PaymentRequest, *, customer_token: str, customer: CustomerContext,
            external_id: str | None = None) -> PaymentResponse:
        return PaymentResponse.from_response(self._answer(
            "payment", {"referenceNo": "DOKU" + secrets.token_hex(6),
                        "partnerReferenceNo": request.partner_reference_no,
                        "webRedirectUrl": PAY_URL},
            customer=customer, request=request))

    def refund(self, request: RefundRequest, *, customer_token: str,
               customer: CustomerContext, external_id: str | None = None) -> RefundResponse:
        return RefundResponse.from_response(self._answer(
            "refund", {"refundNo": "RF" + secrets.token_hex(6),
                       "partnerRefundNo": request.partner_refund_no,
                       "refundTime": datetime.now(timezone.utc).isoformat()},
            customer=customer, request=request))

    def check_status(self, request: CheckStatusRequest, *,
                     external_id: str | None = None) -> CheckStatusResponse:
        return CheckStatusResponse.from_response(self._answer(
            "check_status", {"originalPartnerReferenceNo": request.original_partner_reference_no,
                             **self.check_status_answer}, request=request))

    def unbind_account(self, *, customer_token: str, customer: CustomerContext | None = None,
                       external_id: str | None = None) -> AccountUnbindingResponse:
        return AccountUnbindingResponse.from_response(self._answer(
            "account_unbinding", {"referenceNo": "UNB" + secrets.token_hex(4)},
            customer=customer))


def _token() -> dict[str, Any]:
    expires = datetime.now(timezone.utc) + timedelta(hours=1)
    return {"accessToken": "customer-token-" + secrets.token_hex(4),
            "accessTokenExpiryTime": expires.isoformat(),
            "refreshToken": "refresh-" + secrets.token_hex(4)}


def declined(operation: str, code: str = "4030005", message: str = "Do Not Honor"
             ) -> DeclinedError:
    return DeclinedError(f"DOKU declined: {message}", operation=operation,
                         response=SnapResponse.from_json(403, {"responseCode": code,
                                                               "responseMessage": message}))


def unreachable(operation: str) -> RetryableError:
    return RetryableError("DOKU could not be reached; nothing was sent.", operation=operation)


def outcome_unknown(operation: str) -> OutcomeUnknownError:
    return OutcomeUnknownError("DOKU's answer never came; check the status.",
                               operation=operation)


def install(settings: Any) -> FakeAlloClient:
    """Make the services talk to a fresh fake client, through ``CLIENT_FACTORY``.

    ``settings`` is pytest-django's ``settings`` fixture: it restores ``DOKU_ALLO``
    after the test, and each change resets the cached client.
    """
    fake = FakeAlloClient()
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "CLIENT_FACTORY": lambda: fake}
    return fake
