"""Every API error as ``{"code": ..., "message": ...}``, with a stable ``code``.

Front ends branch on ``code``; ``message`` is for the customer, in the request's
active language (:func:`django_doku_allo.wording.customer_message_for_code`: what
happened and what to do, never DOKU's code), and may change. Staff's text, with
DOKU's code and hint, goes to the log. Field validation adds ``fields`` (field
name -> list of messages); a refusal by DOKU adds ``doku_response_code``. The
viewsets use :func:`exception_handler` whatever the project's ``EXCEPTION_HANDLER``
is, so this shape holds in every project.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ..exceptions import (
    BindingNotActive,
    ConfigurationError,
    DeclinedError,
    DokuAlloError,
    IdempotencyKeyExpired,
    IdempotencyKeyReused,
    InvalidRequestError,
    NotRefundable,
    OrderHasLivePayment,
    OutcomeUnknownError,
    RetryableError,
    TransitionNotAllowed,
    database_error_trace,
)
from ..wording import customer_message_for_code

__all__ = [
    "DOMAIN_ERRORS",
    "DeviceIdInvalid",
    "DeviceIdRequired",
    "IPv4Required",
    "IdempotencyKeyInvalid",
    "exception_handler",
]

logger = logging.getLogger(__name__)

#: Domain error -> (HTTP status, code); the first matching class wins, so subclasses first.
DOMAIN_ERRORS: tuple[tuple[type[DokuAlloError], int, str], ...] = (
    (IdempotencyKeyExpired, status.HTTP_422_UNPROCESSABLE_ENTITY, "idempotency_key_expired"),
    (IdempotencyKeyReused, status.HTTP_422_UNPROCESSABLE_ENTITY, "idempotency_key_reused"),
    (OrderHasLivePayment, status.HTTP_409_CONFLICT, "order_has_live_payment"),
    (NotRefundable, status.HTTP_409_CONFLICT, "not_refundable"),
    (BindingNotActive, status.HTTP_409_CONFLICT, "binding_not_active"),
    (TransitionNotAllowed, status.HTTP_409_CONFLICT, "invalid_transition"),
    (InvalidRequestError, status.HTTP_400_BAD_REQUEST, "invalid_request"),
    (DeclinedError, status.HTTP_422_UNPROCESSABLE_ENTITY, "declined"),
    (RetryableError, status.HTTP_503_SERVICE_UNAVAILABLE, "doku_unavailable"),
    (OutcomeUnknownError, status.HTTP_502_BAD_GATEWAY, "outcome_unknown"),
)


class IPv4Required(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "ipv4_required"
    default_detail = _("DOKU needs the customer's IPv4 address, and this request came "
                       "from an IPv6 one. Call the API over IPv4.")


class DeviceIdRequired(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "device_id_required"
    default_detail = _("Allo Bank needs the customer's device id to link an account: send "
                       "the X-Device-ID header (1 to 64 letters or digits).")


class DeviceIdInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_device_id"
    default_detail = _("The X-Device-ID header must be 1 to 64 letters or digits, no symbols.")


class IdempotencyKeyInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_idempotency_key"
    default_detail = _("The Idempotency-Key header must be 1 to 255 printable ASCII "
                       "characters.")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: the error shape above, or ``None`` for a real server error.

    A :class:`ConfigurationError` and anything unexpected propagate, so they reach
    the project's 500 handling and error reporting instead of being dressed up.
    """
    if isinstance(exc, RecursionError) and "JSON" in str(exc):
        # DRF's JSON parser turns a ValueError into a 400 but lets this one through:
        # a body of 3,000 "[" is the client's malformed input, not our failure.
        exc = exceptions.ParseError(_("JSON parse error - nested too deeply."))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        return _api_error(exc)
    if isinstance(exc, DokuAlloError) and not isinstance(exc, ConfigurationError):
        return _domain_error(exc)
    if isinstance(exc, DatabaseError):
        return _database_error(exc)
    return None


def _database_error(exc: DatabaseError) -> Response:
    """A deadlock, lock timeout or lost connection: nothing half-done was committed.

    Each service commits its own steps, so what DOKU answered before the error is
    already stored; the client checks the object's status before trying again. The
    database's own message can quote row values, so only the class name is shown.
    """
    logger.error("doku_allo API: database error %s", database_error_trace(exc))
    set_rollback()
    return Response({"code": "database_unavailable",
                     "message": customer_message_for_code("database_unavailable")},
                    status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "1"})


def _api_error(exc: exceptions.APIException) -> Response:
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = f"{int(exc.wait)}"  # type: ignore[attr-defined]
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        data: dict[str, Any] = {"code": "invalid", "message": _first_message(fields),
                                "fields": fields}
    else:
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        data = {"code": str(code), "message": str(detail)}
    set_rollback()
    return Response(data, status=exc.status_code, headers=headers)


def _domain_error(exc: DokuAlloError) -> Response:
    http_status, code = next(((s, c) for cls, s, c in DOMAIN_ERRORS if isinstance(exc, cls)),
                             (status.HTTP_409_CONFLICT, "conflict"))
    response_code = getattr(exc, "response_code", None)
    data: dict[str, Any] = {"code": code,
                            "message": customer_message_for_code(code, response_code)}
    if isinstance(exc, InvalidRequestError) and exc.field:
        # Field errors are for the developer's form: the validation text itself.
        data["fields"] = {exc.field: [str(exc)]}
    if response_code:
        data["doku_response_code"] = response_code
    # The staff's text (DOKU's code and hint) goes to the log, never to the customer.
    if http_status >= 500:
        logger.warning("doku_allo API: DOKU call failed (%s): %s", code, exc)
    else:
        logger.info("doku_allo API: refused (%s): %s", code, exc)
    # No set_rollback(): the service already recorded what happened (a failed binding,
    # an unknown outcome) and that record must survive even under ATOMIC_REQUESTS.
    return Response(data, status=http_status)


def _first_message(fields: Any) -> str:
    """The first message of a (nested) validation error, prefixed with its field."""
    if isinstance(fields, dict):
        for name, value in fields.items():
            inner = _first_message(value)
            if inner:
                return inner if name == "non_field_errors" else f"{name}: {inner}"
    elif isinstance(fields, list):
        for value in fields:
            inner = _first_message(value)
            if inner:
                return inner
    elif fields:
        return str(fields)
    return str(_("Invalid input."))
