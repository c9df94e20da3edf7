"""Who is calling, and may they: header, timestamp, signature and token checks.

Order of the checks on a transactional call, and the case code each failure gets
(``xx`` is the endpoint's service code):

1. ``Authorization``: absent ``401xx03``; unknown, expired or revoked B2B token ``401xx01``.
2. ``X-TIMESTAMP``: absent ``400xx02``; unparseable ``400xx01``; further than
   ``TIMESTAMP_TOLERANCE`` from the simulator's clock ``401xx00`` "Unauthorized. X-TIMESTAMP
   ... outside the window" (a stale or future timestamp is an authentication failure: it is
   how a replayed signature shows).
3. ``X-SIGNATURE``: absent ``400xx02``; wrong ``401xx00`` "Unauthorized. Invalid Signature".
4. ``X-PARTNER-ID``: absent ``400xx02``; not the client id ``401xx00``.
5. ``X-EXTERNAL-ID``: absent ``400xx02``; not 1 to 36 digits ``400xx01``.

Then, per endpoint: ``Authorization-Customer`` (``Bearer `` optional) absent ``401xx04``,
invalid/expired/revoked ``401xx02``; ``X-IP-ADDRESS`` absent ``400xx02`` (strict: not an IP
of 10 to 15 characters ``400xx01``); ``X-DEVICE-ID`` absent ``400xx02``, over 64
characters ``400xx01``.

Token requests (B2B and B2B2C): a missing header is ``400xx02``, an unparseable
X-TIMESTAMP ``400xx01``; an unknown X-CLIENT-KEY, a stale timestamp or a bad RSA signature
is ``401xx00`` (``4017300``/``4017400``).
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from datetime import datetime, timezone

from django.http import HttpRequest

from django_doku_allo.snap.signing import (
    parse_snap_timestamp,
    symmetric_signature,
    verify_asymmetric_signature,
    verify_symmetric_signature,
)

from . import codes
from .conf import SimulatorSettings
from .models import IssuedToken
from .tokens import find_token

__all__ = [
    "authenticate_customer",
    "authenticate_token_request",
    "authenticate_transaction",
    "bearer_value",
    "check_device_id",
    "check_ip_address",
]

_EXTERNAL_ID_RE = re.compile(r"^\d{1,36}$")


def _header(request: HttpRequest, name: str) -> str | None:
    value = request.headers.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _require_header(request: HttpRequest, name: str) -> str:
    value = _header(request, name)
    if value is None:
        raise codes.missing_field(name)
    return value


def bearer_value(value: str) -> str:
    """The token in ``Bearer <token>``; a bare token is taken as it is."""
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest.strip() else value.strip()


def _check_timestamp(request: HttpRequest, conf: SimulatorSettings) -> str:
    timestamp = _require_header(request, "X-TIMESTAMP")
    try:
        sent_at = parse_snap_timestamp(timestamp)
    except ValueError:
        raise codes.invalid_format("X-TIMESTAMP") from None
    skew = abs((datetime.now(timezone.utc) - sent_at).total_seconds())
    if skew > conf.timestamp_tolerance:
        raise codes.unauthorized(
            f"X-TIMESTAMP is outside the window of +/-{conf.timestamp_tolerance:g} s"
        )
    return timestamp


def authenticate_token_request(request: HttpRequest, conf: SimulatorSettings) -> None:
    """The RSA-signed ``clientId|X-TIMESTAMP`` of a B2B or B2B2C token request."""
    client_key = _require_header(request, "X-CLIENT-KEY")
    signature = _require_header(request, "X-SIGNATURE")
    timestamp = _check_timestamp(request, conf)
    if not hmac.compare_digest(client_key.encode(), conf.client_id.encode()):
        raise codes.unauthorized("Unknown client")
    if conf.merchant_public_key is None or not verify_asymmetric_signature(
        conf.merchant_public_key, client_key, timestamp, signature
    ):
        raise codes.unauthorized("Invalid Signature")


def _signature_ok(conf: SimulatorSettings, request: HttpRequest, token: str, raw_body: bytes,
                  timestamp: str, signature: str) -> bool:
    if not conf.strict:
        return verify_symmetric_signature(conf.client_secret, request.method or "POST",
                                          request.path, token, raw_body, timestamp, signature)
    try:
        expected = symmetric_signature(conf.client_secret, request.method or "POST",
                                       request.path, token, raw_body, timestamp)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogateescape"))


def authenticate_transaction(request: HttpRequest, conf: SimulatorSettings,
                             raw_body: bytes) -> tuple[str, str]:
    """Check a transactional call's B2B token and signature; return (token, external id)."""
    authorization = _header(request, "Authorization")
    if authorization is None:
        raise codes.token_not_found()
    token = bearer_value(authorization)
    if find_token(token, IssuedToken.Kind.B2B, conf.client_id) is None:
        raise codes.invalid_token()
    timestamp = _check_timestamp(request, conf)
    signature = _require_header(request, "X-SIGNATURE")
    if not _signature_ok(conf, request, token, raw_body, timestamp, signature):
        raise codes.unauthorized("Invalid Signature")
    partner_id = _require_header(request, "X-PARTNER-ID")
    if not hmac.compare_digest(partner_id.encode(), conf.client_id.encode()):
        raise codes.unauthorized("Unknown X-PARTNER-ID")
    external_id = _require_header(request, "X-EXTERNAL-ID")
    if not _EXTERNAL_ID_RE.match(external_id):
        raise codes.invalid_format("X-EXTERNAL-ID")
    return token, external_id


def authenticate_customer(request: HttpRequest, conf: SimulatorSettings) -> IssuedToken:
    """The live B2B2C token of ``Authorization-Customer`` (``Bearer `` prefix optional)."""
    value = _header(request, "Authorization-Customer")
    if value is None:
        raise codes.customer_token_not_found()
    record = find_token(bearer_value(value), IssuedToken.Kind.B2B2C, conf.client_id)
    if record is None or record.binding is None or record.binding.status != "ACTIVE":
        raise codes.invalid_customer_token()
    return record


def check_ip_address(request: HttpRequest, conf: SimulatorSettings) -> str:
    value = _require_header(request, "X-IP-ADDRESS")
    if len(value) > 45:
        raise codes.invalid_format("X-IP-ADDRESS")
    if conf.strict:
        # DOKU's older docs and its SDK demand 10 to 15 characters of IPv4; whether DOKU
        # itself enforces that is unknown, so only strict mode does.
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            raise codes.invalid_format("X-IP-ADDRESS") from None
        if not 10 <= len(value) <= 15:
            raise codes.invalid_format("X-IP-ADDRESS")
    return value


def check_device_id(request: HttpRequest, *, required: bool) -> str:
    value = _header(request, "X-DEVICE-ID")
    if value is None:
        if required:
            raise codes.missing_field("X-DEVICE-ID")
        return ""
    if len(value) > 64:
        raise codes.invalid_format("X-DEVICE-ID")
    return value
