"""The DOKU SNAP client for Allo Bank direct debit: every operation, typed.

Each call serialises its body once, signs those bytes and sends those bytes.
It retries only what provably never reached DOKU (a failed connect), with the
same X-EXTERNAL-ID and body, and refreshes the B2B token once when DOKU calls it
invalid. Every other failure is raised as the outcome it means
(:mod:`~django_doku_allo.snap.errors`): declined, retryable, or unknown, the last
to be settled by :meth:`AlloClient.check_status`, never by resending.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import requests

from .channels import ChannelProfile
from .codes import B2B_TOKEN_UNAUTHORIZED, Outcome, ServiceCode
from .config import SnapConfig
from .errors import (
    ConnectFailedError,
    DeclinedError,
    InvalidCustomerTokenError,
    InvalidRequestError,
    OutcomeUnknownError,
    RetryableError,
    SnapError,
)
from .messages import (
    AccessToken,
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
from .signing import asymmetric_signature, minify, new_external_id, snap_timestamp
from .signing import symmetric_signature as sign_symmetric
from .tokens import B2BTokenProvider, MemoryTokenStore, TokenStore, expiry_from_seconds
from .transport import ConnectFailed, DeadlineExceeded, HttpReply, Transport, TransportFailed

__all__ = ["AlloClient"]

logger = logging.getLogger(__name__)

_R = TypeVar("_R")

#: X-EXTERNAL-ID: "Numeric String", SNAP String(36).
_EXTERNAL_ID_RE = re.compile(r"[0-9]{1,36}")

#: What to do next after codes that mean the same on every channel; each channel's own
#: refusals (balance, limits, bindings) have their hints in its profile.
_HINTS: dict[str, str] = {
    B2B_TOKEN_UNAUTHORIZED: "Check DOKU_ALLO CLIENT_ID, that the public key uploaded to DOKU "
                            "matches PRIVATE_KEY, and this server's clock.",
}


def _hint(code: str | None, outcome: Outcome, profile: ChannelProfile) -> str:
    specific = profile.hint(code) or (_HINTS.get(code) if code else None)
    if specific:
        return specific
    if code and code.startswith("401") and code.endswith("00"):
        return "DOKU rejected the signature: check CLIENT_SECRET, the clock and the path."
    return {
        Outcome.DECLINED: "DOKU refused this request; sending it again unchanged will not help.",
        Outcome.RETRYABLE: "Nothing happened at DOKU; try again later.",
        Outcome.UNKNOWN: "It may or may not have taken effect: check the transaction's status "
                         "before doing anything else.",
    }.get(outcome, "")


class AlloClient:
    """Talks to DOKU's SNAP API for one channel (``config.profile``, Allo Bank by default).

    Thread-safe; share one per process.
    """

    def __init__(
        self,
        config: SnapConfig,
        token_store: TokenStore | None = None,
        *,
        session: requests.Session | None = None,
        token_cache_key: str | None = None,
    ) -> None:
        self.config = config
        self.transport = Transport(
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            deadline=config.deadline,
            max_response_bytes=config.max_response_bytes,
            session=session,
            user_agent=config.user_agent,
            pool_size=config.pool_size,
        )
        self.tokens = B2BTokenProvider(
            token_store if token_store is not None else MemoryTokenStore(),
            self.fetch_b2b_token,
            key=token_cache_key or f"doku_allo:b2b:{config.client_id}:{config.base_url}",
            refresh_margin=config.token_refresh_margin,
            lock_timeout=config.token_lock_timeout,
            # Outlive the lock: a waiter must still be waiting when a dead refresher's
            # lock expires, so it can take over instead of giving up at the same moment.
            wait_timeout=config.token_lock_timeout + 2.0,
        )

    def close(self) -> None:
        """Close pooled connections (the client stays usable; it reconnects on demand)."""
        self.transport.session.close()

    def set_pool_size(self, size: int) -> None:
        """Keep up to ``size`` connections per host (e.g. one per thread calling at once)."""
        self.transport.set_pool_size(size)

    # ------------------------------------------------------------------ tokens
    def fetch_b2b_token(self) -> AccessToken:
        """Ask DOKU for a new B2B token (uncached; :meth:`get_b2b_token` caches)."""
        response = self._token_call("b2b_token", {"grantType": "client_credentials"})
        token = response.get("accessToken")
        if not isinstance(token, str) or not token:
            raise RetryableError("DOKU's B2B token answer had no accessToken.",
                                 operation="b2b_token", response=response)
        return AccessToken(access_token=token,
                           expires_at=expiry_from_seconds(response.get("expiresIn")))

    def get_b2b_token(self) -> str:
        """The cached B2B token, refreshed by one caller shortly before it expires."""
        return self.tokens.get()

    def exchange_auth_code(self, auth_code: str) -> B2B2CToken:
        """Exchange the binding's authCode for the customer's B2B2C token."""
        if not auth_code:
            raise InvalidRequestError("authCode is required", field="auth_code")
        return self._b2b2c({"grantType": "authorization_code", "authCode": auth_code,
                            "additionalInfo": {}})

    def refresh_customer_token(self, refresh_token: str) -> B2B2CToken:
        """Renew the customer's B2B2C token with its refresh token."""
        if not refresh_token:
            raise InvalidRequestError("refreshToken is required", field="refresh_token")
        return self._b2b2c({"grantType": "refresh_token", "refreshToken": refresh_token,
                            "additionalInfo": {}})

    def _b2b2c(self, body: dict[str, Any]) -> B2B2CToken:
        token = B2B2CToken.from_response(self._token_call("b2b2c_token", body))
        if not token.access_token:
            raise RetryableError("DOKU's B2B2C token answer had no accessToken.",
                                 operation="b2b2c_token", response=token.response)
        return token

    def _token_call(self, operation: str, body: dict[str, Any]) -> SnapResponse:
        timestamp = snap_timestamp()
        headers = {
            "Content-Type": "application/json",
            "X-CLIENT-KEY": self.config.client_id,
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": asymmetric_signature(self.config.private_key,
                                                self.config.client_id, timestamp),
        }
        text = minify(body)
        response = self._send(operation, text, headers, external_id=None, write=False)
        return self._interpret(operation, response, external_id=None, write=False)

    # ------------------------------------------------------------------ operations
    def bind_account(
        self, request: AccountBindingRequest, *, customer: CustomerContext,
        external_id: str | None = None,
    ) -> AccountBindingResponse:
        """Register an account binding; the customer finishes it at ``redirect_url``."""
        self.config.profile.check_binding_customer(customer.device_id)
        return AccountBindingResponse.from_response(self.call(
            "account_binding", request.to_body(self.config.channel), customer=customer,
            external_id=external_id, write=True))

    def balance_inquiry(
        self, *, customer_token: str, customer: CustomerContext, external_id: str | None = None,
    ) -> BalanceInquiryResponse:
        return BalanceInquiryResponse.from_response(self.call(
            "balance_inquiry", {"additionalInfo": {"channel": self.config.channel}},
            customer=customer, customer_token=customer_token, external_id=external_id,
            write=False))

    def pay(
        self, request: PaymentRequest, *, customer_token: str, customer: CustomerContext,
        external_id: str | None = None,
    ) -> PaymentResponse:
        """Create a host-to-host payment; the customer confirms at ``web_redirect_url``.

        Success means *created*, not *paid*: the result arrives by notification or
        :meth:`check_status`.
        """
        return PaymentResponse.from_response(self.call(
            "payment", request.to_body(self.config.channel), customer=customer,
            customer_token=customer_token, external_id=external_id, write=True))

    def refund(
        self, request: RefundRequest, *, customer_token: str, customer: CustomerContext,
        external_id: str | None = None,
    ) -> RefundResponse:
        return RefundResponse.from_response(self.call(
            "refund", request.to_body(self.config.channel), customer=customer,
            customer_token=customer_token, external_id=external_id, write=True))

    def check_status(
        self, request: CheckStatusRequest, *, external_id: str | None = None,
    ) -> CheckStatusResponse:
        body = request.to_body(self.config.channel, self.config.status_service_code)
        return CheckStatusResponse.from_response(self.call(
            "check_status", body, external_id=external_id, write=False))

    def unbind_account(
        self, *, customer_token: str, customer: CustomerContext | None = None,
        external_id: str | None = None,
    ) -> AccountUnbindingResponse:
        body = {"tokenId": customer_token, "additionalInfo": {"channel": self.config.channel}}
        return AccountUnbindingResponse.from_response(self.call(
            "account_unbinding", body, customer=customer, external_id=external_id, write=True))

    # ------------------------------------------------------------------ the call
    def build_headers(
        self, operation: str, body_text: str, *, external_id: str, b2b_token: str,
        customer: CustomerContext | None = None, customer_token: str | None = None,
        timestamp: str | None = None,
    ) -> dict[str, str]:
        """The headers of a transactional call, signed over ``body_text``."""
        timestamp = timestamp or snap_timestamp()
        headers = {
            "Content-Type": "application/json",
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": sign_symmetric(self.config.client_secret, "POST",
                                          self.config.signed_path(operation), b2b_token,
                                          body_text, timestamp),
            "X-PARTNER-ID": self.config.client_id,
            "X-EXTERNAL-ID": external_id,
            "CHANNEL-ID": self.config.channel_id,
            "Authorization": f"Bearer {b2b_token}",
        }
        if customer is not None:
            headers.update(customer.headers())
        if customer_token is not None:
            headers["Authorization-Customer"] = f"Bearer {customer_token}"
        return headers

    def call(
        self, operation: str, body: Mapping[str, Any], *, write: bool,
        customer: CustomerContext | None = None, customer_token: str | None = None,
        external_id: str | None = None,
    ) -> SnapResponse:
        """Sign and send ``body`` to ``operation``; return the reply or raise its outcome.

        ``external_id`` should be minted and persisted by the caller before a write,
        so a later status inquiry can name it.
        """
        if external_id is None:
            external_id = new_external_id()
        elif not _EXTERNAL_ID_RE.fullmatch(str(external_id)):
            raise InvalidRequestError(
                "X-EXTERNAL-ID must be a numeric string of 1 to 36 digits; mint one with "
                "django_doku_allo.snap.signing.new_external_id().", field="external_id")
        try:
            text = minify(dict(body))
        except (TypeError, ValueError) as exc:
            raise InvalidRequestError(
                f"the {operation} body cannot be sent as JSON: {exc}", field="body") from exc
        b2b_token = self.tokens.get()
        for attempt in (1, 2):
            headers = self.build_headers(operation, text, external_id=external_id,
                                         b2b_token=b2b_token, customer=customer,
                                         customer_token=customer_token)
            response = self._send(operation, text, headers, external_id=external_id,
                                  write=write)
            code = response.code
            if attempt == 1 and code is not None and code.is_invalid_b2b_token:
                # Refused before processing: nothing happened, so the request may go
                # again. Whether DOKU recorded the refused X-EXTERNAL-ID is not
                # documented; a new id cannot collide with it (reference 9.3).
                b2b_token = self.tokens.invalidate(b2b_token)
                if self.config.new_external_id_after_token_refresh:
                    external_id = new_external_id()
                continue
            break
        response = dataclasses.replace(response, external_id=external_id)
        return self._interpret(operation, response, external_id=external_id, write=write)

    def _send(self, operation: str, text: str, headers: Mapping[str, str], *,
              external_id: str | None, write: bool) -> SnapResponse:
        url = self.config.url(operation)
        payload = text.encode("utf-8")
        started = time.monotonic()
        attempts = self.config.connect_retries + 1
        for attempt in range(1, attempts + 1):
            remaining = self.config.deadline - (time.monotonic() - started)
            try:
                reply = self.transport.post(url, payload, headers, deadline=max(remaining, 0.01))
            except ConnectFailed as exc:
                self._log(operation, external_id, None, "connect-failed", started, attempt)
                if attempt < attempts and remaining > self.config.connect_retry_backoff:
                    # Provably never reached DOKU: same bytes, same X-EXTERNAL-ID.
                    time.sleep(self.config.connect_retry_backoff * attempt)
                    continue
                raise ConnectFailedError(
                    f"Could not connect to DOKU for {operation} ({exc}); nothing was sent. "
                    "Check DOKU_ALLO BASE_URL and the network, then try again.",
                    operation=operation, external_id=external_id) from exc
            except (DeadlineExceeded, TransportFailed) as exc:
                self._log(operation, external_id, None, "no-answer", started, attempt)
                error = OutcomeUnknownError if write else RetryableError
                raise error(
                    f"DOKU did not answer {operation} completely ({exc}). "
                    + _hint(None, error.outcome, self.config.profile),
                    operation=operation, external_id=external_id) from exc
            response = self._parse(operation, reply, external_id=external_id, write=write)
            self._log(operation, external_id, response, None, started, attempt)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _parse(self, operation: str, reply: HttpReply, *, external_id: str | None,
               write: bool) -> SnapResponse:
        try:
            data = json.loads(reply.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("responseCode"), str):
            error = OutcomeUnknownError if write else RetryableError
            raise error(
                f"DOKU answered {operation} with HTTP {reply.status} and no SNAP response "
                f"code. " + _hint(None, error.outcome, self.config.profile),
                operation=operation, external_id=external_id, http_status=reply.status)
        return SnapResponse.from_json(reply.status, data)

    def _interpret(self, operation: str, response: SnapResponse, *, external_id: str | None,
                   write: bool) -> SnapResponse:
        outcome = response.outcome(write=write)
        if outcome in (Outcome.SUCCESS, Outcome.PENDING):
            return response
        code = response.response_code
        summary = (f"DOKU answered {operation} with {code} "
                   f"{response.response_message or ''}".rstrip() + ". ")
        error_class: type[SnapError] = {
            Outcome.DECLINED: DeclinedError,
            Outcome.RETRYABLE: RetryableError,
            Outcome.UNKNOWN: OutcomeUnknownError,
        }[outcome]
        parsed = response.code
        if outcome is Outcome.DECLINED and parsed is not None and (
            parsed.is_invalid_customer_token
            or (parsed.service == ServiceCode.B2B2C_TOKEN.value and parsed.http_status == 401)
        ):
            error_class = InvalidCustomerTokenError
        raise error_class(summary + _hint(code, outcome, self.config.profile),
                          operation=operation, external_id=external_id, response=response)

    def _log(self, operation: str, external_id: str | None, response: SnapResponse | None,
             failure: str | None, started: float, attempt: int) -> None:
        logger.info(
            "doku_allo call operation=%s external_id=%s http_status=%s response_code=%s "
            "duration_ms=%d attempt=%d%s",
            operation, external_id or "-",
            response.http_status if response else "-",
            response.response_code if response else "-",
            (time.monotonic() - started) * 1000, attempt,
            f" failure={failure}" if failure else "",
        )
