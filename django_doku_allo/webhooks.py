"""The endpoints DOKU calls: our B2B token endpoint and the payment notification.

Order of work in the notification view, and why:
1. cap the body before reading it (a 50 MB body is refused without reading it);
2. store the delivery (redacted headers, body, address) in its own committed
   transaction, so nothing DOKU sent is ever lost, whatever happens next; the
   view is ``non_atomic_requests`` so this holds under ``ATOMIC_REQUESTS`` too;
3. verify (timestamp, bearer token, signature) before parsing; a failure is a 4xx
   and nothing is processed;
4. parse strictly (no NaN, no duplicate keys) and process in the service layer;
5. an unexpected processing error is stored with its traceback and answered 500,
   so DOKU retries and staff can reprocess from the admin
   (:func:`~django_doku_allo.services.process_stored_notification`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import notification_auth, services
from .conf import doku_settings
from .models import Notification
from .snap.redaction import redact_headers
from .snap.signing import snap_timestamp
from .snap.types import SnapAnswer

__all__ = ["notification_view", "token_view"]

logger = logging.getLogger(__name__)


class _BadJson(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise _BadJson("duplicate key")
    return dict(pairs)


def _reject_constant(name: str) -> Any:
    raise _BadJson(f"{name} is not JSON")


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """Strict JSON: UTF-8, an object, no NaN/Infinity, no duplicate keys, bounded depth."""
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates,
                          parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _BadJson(str(exc)[:100]) from exc
    if not isinstance(data, dict):
        raise _BadJson("not a JSON object")
    return data


def _snap_response(body: dict[str, Any], status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["X-TIMESTAMP"] = snap_timestamp()
    return response


def _answer(answer: SnapAnswer) -> JsonResponse:
    return _snap_response(answer.body, answer.http_status)


def _read_capped(request: HttpRequest) -> bytes | None:
    """The body, or ``None`` when it exceeds the cap (then it is not read at all)."""
    cap = int(doku_settings.NOTIFICATION_MAX_BODY_BYTES)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > cap:
        return None
    body = request.read(cap + 1)
    return None if len(body) > cap else body


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def token_view(request: HttpRequest) -> JsonResponse:
    """DOKU asks for the B2B token it will present on notifications (service 73)."""
    rejection = notification_auth.verify_token_request(request.headers)
    if rejection is not None:
        logger.warning("doku_allo token request refused: %s", rejection.response_message)
        return _answer(rejection)
    raw = _read_capped(request)
    try:
        body = parse_json_object(raw if raw is not None else b"")
    except _BadJson:
        return _answer(SnapAnswer(400, "4007300", "Bad Request"))
    if str(body.get("grantType", "")).lower() != "client_credentials":
        return _answer(SnapAnswer(400, "4007301", "Invalid Field Format grantType"))
    token, lifetime = notification_auth.issue_token()
    response = _snap_response({
        "responseCode": "2007300", "responseMessage": "Successful", "accessToken": token,
        "tokenType": "Bearer", "expiresIn": lifetime, "additionalInfo": {},
    }, 200)
    response["X-CLIENT-KEY"] = doku_settings.CLIENT_ID
    return response


def _storable(text: str) -> str:
    """``text`` without NUL, which PostgreSQL text and jsonb columns cannot hold.

    A body with NUL is not UTF-8 JSON anyway (UTF-16, say): it is stored for the
    record and then refused as malformed.
    """
    return text.replace("\x00", "\ufffd")


def _remote_addr(request: HttpRequest) -> str | None:
    value = request.META.get("REMOTE_ADDR") or None
    return value if value and len(value) <= 45 else None


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def notification_view(request: HttpRequest) -> JsonResponse:
    """DOKU reports the end of a payment (service 56)."""
    raw = _read_capped(request)
    notification = Notification.objects.create(
        remote_addr=_remote_addr(request),
        path=_storable(request.path)[:255],
        headers={_storable(k): _storable(v)
                 for k, v in redact_headers(dict(request.headers)).items()},
        body="" if raw is None else _storable(raw.decode("utf-8", errors="replace")),
        external_id=_storable(request.headers.get("X-EXTERNAL-ID", ""))[:64],
    )
    if raw is None:
        return _refuse(notification, SnapAnswer(400, "4005600", "Bad Request. Body too large"))
    rejection = notification_auth.verify_notification(request.headers, request.path, raw)
    if rejection is not None:
        return _refuse(notification, rejection)
    try:
        data = parse_json_object(raw)
    except _BadJson:
        return _refuse(notification,
                       SnapAnswer(400, "4005600", "Bad Request. Body is not a JSON object"),
                       verified=True)
    notification.verified = True
    notification.original_partner_reference_no = str(
        data.get("originalPartnerReferenceNo") or "")[:64]
    notification.latest_transaction_status = str(data.get("latestTransactionStatus") or "")[:2]
    notification.save()
    outcome = services.process_stored_notification(notification)
    return _answer(outcome)


def _refuse(notification: Notification, answer: SnapAnswer, *,
            verified: bool = False) -> JsonResponse:
    notification.verified = verified
    notification.verification_error = answer.response_message[:255]
    notification.save()
    logger.warning("doku_allo notification %s refused: %s", notification.pk,
                   answer.response_message)
    return _answer(answer)
