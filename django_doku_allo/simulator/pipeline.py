"""The path every SNAP request takes: faults, authentication, idempotency, handler, answer."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from django_doku_allo.snap.strict_json import reject_constant

from . import auth, codes, faults, idempotency
from .codes import SERVICE_CODES, SnapError
from .conf import SimulatorSettings, get_settings
from .models import Binding, IssuedToken
from .responses import error_response, json_response, snap_body, snap_response
from .validation import fingerprint

__all__ = ["Call", "Endpoint", "Reply", "TokenEndpoint", "parse_body"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Call:
    """One authenticated request, as a handler sees it."""

    request: HttpRequest
    conf: SimulatorSettings
    body: dict[str, Any]
    external_id: str = ""
    customer: IssuedToken | None = None
    ip_address: str = ""
    device_id: str = ""
    #: A drop-response fault is armed: a payment is settled at once so the debit is real.
    settle_now: bool = False

    @property
    def binding(self) -> Binding:
        """The binding behind ``Authorization-Customer`` (endpoints that require one)."""
        if self.customer is None or self.customer.binding is None:
            raise codes.invalid_customer_token()
        return self.customer.binding


@dataclass
class Reply:
    """A handler's answer. Errors are raised as :class:`SnapError` (which rolls back);
    a Reply with a non-200 status keeps what the handler wrote (e.g. a bank timeout after
    the debit)."""

    fields: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    case: str = "00"
    message: str = "Successful"

    def body(self, service: str) -> dict[str, Any]:
        return snap_body(f"{self.status}{service}{self.case}", self.message, self.fields)


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of a request body; anything else is ``400xx00``."""
    # Only the NaN hook of snap.strict_json, not parse_json_object: the simulator
    # has always let a repeated key's last value win, and keeps telling "not JSON"
    # from "not an object" in its messages.
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise codes.bad_request("The body is not valid JSON") from None
    if not isinstance(body, dict):
        raise codes.bad_request("The body must be a JSON object")
    return body


def _dropped(response: HttpResponse, drop: faults.DropResponse) -> HttpResponse:
    if drop.delay:
        time.sleep(drop.delay)
    if drop.mode == "truncated":
        content = response.content[: max(1, len(response.content) // 2)]
        return HttpResponse(content, status=200, content_type="application/json")
    return HttpResponse(
        b"<html><head><title>502 Bad Gateway</title></head>"
        b"<body><h1>502 Bad Gateway</h1></body></html>",
        status=502, content_type="text/html",
    )


class _BaseEndpoint:
    operation: str

    @property
    def service(self) -> str:
        return SERVICE_CODES[self.operation]

    def as_view(self) -> Callable[[HttpRequest], HttpResponse]:
        @csrf_exempt
        @require_POST
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            return self.dispatch(request)

        view.__name__ = f"doku_simulator_{self.operation}"
        return view

    def dispatch(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        # Faults are shared rows (any worker may have queued one): one read tells which
        # kinds are armed, and only those are claimed.
        armed = faults.armed(self.operation)
        delay = faults.take_latency(self.operation) if "latency" in armed else 0.0
        if delay:
            time.sleep(delay)
        forced = faults.take_forced_error(self.operation) if "error" in armed else None
        if forced is not None:
            response = snap_response(forced.code, forced.message)
        else:
            drop = faults.take_drop(self.operation) if "drop" in armed else None
            try:
                response = self.serve(request, get_settings(), settle_now=drop is not None)
            except SnapError as error:
                response = error_response(error, self.service)
            if drop is not None:
                response = _dropped(response, drop)
        logger.info("doku simulator %s -> HTTP %s in %.0f ms", self.operation,
                    response.status_code, (time.monotonic() - started) * 1000)
        return response

    def serve(self, request: HttpRequest, conf: SimulatorSettings, *,
              settle_now: bool) -> HttpResponse:
        raise NotImplementedError


@dataclass(frozen=True)
class TokenEndpoint(_BaseEndpoint):
    """B2B and B2B2C token requests: RSA-signed, no idempotency key."""

    operation: str
    handler: Callable[[Call], Reply]

    def serve(self, request: HttpRequest, conf: SimulatorSettings, *,
              settle_now: bool) -> HttpResponse:
        auth.authenticate_token_request(request, conf)
        body = parse_body(request.body)
        with transaction.atomic():
            reply = self.handler(Call(request=request, conf=conf, body=body))
        response = json_response(reply.body(self.service), status=reply.status)
        response["X-CLIENT-KEY"] = conf.client_id
        return response


@dataclass(frozen=True)
class Endpoint(_BaseEndpoint):
    """A transactional call: B2B token, symmetric signature, X-EXTERNAL-ID idempotency."""

    operation: str
    handler: Callable[[Call], Reply]
    customer_token: bool = False
    ip_address: bool = False
    device_id: bool = False

    def serve(self, request: HttpRequest, conf: SimulatorSettings, *,
              settle_now: bool) -> HttpResponse:
        raw = request.body
        _, external_id = auth.authenticate_transaction(request, conf, raw)
        body = parse_body(raw)
        key = fingerprint(self.operation, body)
        existing = idempotency.find(conf.client_id, external_id)
        if existing is not None:
            return idempotency.replay(existing, key, self.service)

        with transaction.atomic():
            record = idempotency.claim(conf.client_id, external_id, key)
            if record is not None:
                status, answer = self._handle(request, conf, body, external_id, settle_now)
                idempotency.settle(record, status, answer)
        if record is None:
            # A concurrent twin committed first: answer as its replay would.
            existing = idempotency.find(conf.client_id, external_id)
            if existing is None:
                raise SnapError(500, "01", "Internal Server Error")
            return idempotency.replay(existing, key, self.service)
        return json_response(answer, status=status)

    def _handle(self, request: HttpRequest, conf: SimulatorSettings, body: dict[str, Any],
                external_id: str, settle_now: bool) -> tuple[int, dict[str, Any]]:
        try:
            with transaction.atomic():
                call = Call(
                    request=request, conf=conf, body=body, external_id=external_id,
                    customer=(auth.authenticate_customer(request, conf)
                              if self.customer_token else None),
                    ip_address=(auth.check_ip_address(request, conf) if self.ip_address
                                else request.headers.get("X-IP-ADDRESS", "")[:45]),
                    device_id=auth.check_device_id(request, required=self.device_id),
                    settle_now=settle_now,
                )
                reply = self.handler(call)
        except SnapError as error:
            return error.status, snap_body(error.response_code(self.service), error.message,
                                           error.fields)
        return reply.status, reply.body(self.service)
