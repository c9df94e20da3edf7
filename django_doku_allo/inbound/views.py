"""The endpoints DOKU calls: our B2B token endpoint and the payment notification.

Order of work in the notification view, and why:
1. cap the body before reading it (a 50 MB body is refused without reading it);
2. store the delivery (redacted headers, body, address) in its own committed
   transaction, so nothing DOKU sent is ever lost, whatever happens next; the
   view is ``non_atomic_requests`` so this holds under ``ATOMIC_REQUESTS`` too;
3. verify (timestamp, bearer token, signature) before parsing, so a forged body
   never reaches the parser; a failure is a 4xx and nothing is processed;
4. parse strictly (no NaN, no duplicate keys) and process in the service layer;
5. an unexpected processing error is stored with its traceback and answered 500,
   so DOKU retries and staff can reprocess from the admin
   (:func:`~django_doku_allo.services.process_stored_notification`). A refusal
   is a 4xx because retrying the same bytes can never succeed; a 500 says "our
   fault, send it again".
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import services
from ..conf import doku_settings
from ..models import Notification
from ..snap import codes
from ..snap.messages import SnapAnswer
from ..snap.signing import snap_timestamp

# Modules, not their functions: tests and the suite-wide secret guard patch
# ``auth.issue_token`` and ``services.process_*``, and must reach these calls.
from . import auth, parsing

__all__ = ["notification_view", "token_view"]

logger = logging.getLogger(__name__)

_TOO_LARGE = SnapAnswer(400, codes.NOTIFICATION_BAD_REQUEST, "Bad Request. Body too large")
_NOT_AN_OBJECT = SnapAnswer(400, codes.NOTIFICATION_BAD_REQUEST,
                            "Bad Request. Body is not a JSON object")


def _snap_response(body: dict[str, Any], status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["X-TIMESTAMP"] = snap_timestamp()
    return response


def _answer(answer: SnapAnswer) -> JsonResponse:
    return _snap_response(answer.body, answer.http_status)


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def token_view(request: HttpRequest) -> JsonResponse:
    """DOKU asks for the B2B token it will present on notifications (service 73)."""
    refusal = auth.verify_token_request(request.headers)
    if refusal is not None:
        logger.warning("doku_allo token request refused: %s", refusal.response_message)
        return _answer(refusal)
    body = parsing.parse_object(parsing.read_capped(request))
    if body is None:
        return _answer(SnapAnswer(400, codes.B2B_TOKEN_BAD_REQUEST, "Bad Request"))
    if str(body.get("grantType", "")).lower() != "client_credentials":
        return _answer(SnapAnswer(400, codes.B2B_TOKEN_INVALID_FIELD_FORMAT,
                                  "Invalid Field Format grantType"))
    token, lifetime = auth.issue_token()
    response = _snap_response({
        "responseCode": codes.B2B_TOKEN_SUCCESS, "responseMessage": "Successful",
        "accessToken": token, "tokenType": "Bearer", "expiresIn": lifetime, "additionalInfo": {},
    }, 200)
    response["X-CLIENT-KEY"] = doku_settings.CLIENT_ID
    return response


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def notification_view(request: HttpRequest) -> JsonResponse:
    """DOKU reports the end of a payment (service 56)."""
    raw = parsing.read_capped(request)
    notification = Notification.objects.create(**parsing.delivery_fields(request, raw))
    if raw is None:
        return _refuse(notification, _TOO_LARGE)
    refusal = auth.verify_notification(request.headers, request.path, raw)
    if refusal is not None:
        return _refuse(notification, refusal)
    data = parsing.parse_object(raw)
    if data is None:
        return _refuse(notification, _NOT_AN_OBJECT, verified=True)
    notification.verified = True
    # Promoted so staff can find the delivery by payment in the admin.
    notification.original_partner_reference_no = str(
        data.get("originalPartnerReferenceNo") or "")[:64]
    notification.latest_transaction_status = str(data.get("latestTransactionStatus") or "")[:2]
    notification.save()
    return _answer(services.process_stored_notification(notification, data))


def _refuse(notification: Notification, answer: SnapAnswer, *,
            verified: bool = False) -> JsonResponse:
    notification.verified = verified
    notification.verification_error = answer.response_message[:255]
    notification.save()
    logger.warning("doku_allo notification %s refused: %s", notification.pk,
                   answer.response_message)
    return _answer(answer)
