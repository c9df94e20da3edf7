"""The endpoints DOKU calls: our B2B token endpoint and the payment notification.

Order of work in the notification view, and why:
0. an address with too many refused deliveries in the current window is answered
   429 before anything is stored or checked (DOKU's verified ones never count);
1. cap the body before reading it (a 50 MB body is refused without reading it);
2. store the delivery (redacted and capped headers, the body's first bytes with its
   length and digest, the address) in its own committed transaction, so there is
   a record of whatever arrives, whatever happens next, and that record is bounded
   because anyone can post; the view is ``non_atomic_requests`` so this holds under
   ``ATOMIC_REQUESTS`` too. A refusal then updates one column, never the row;
3. verify (timestamp, bearer token, signature) before parsing, so a forged body
   never reaches the parser; a failure is a 4xx and nothing is processed; a
   verified delivery gets its whole body stored;
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
from . import auth, limits, parsing

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
    s = doku_settings
    if limits.over_rate("token", request, s.TOKEN_RATE_LIMIT, s.TOKEN_RATE_WINDOW):
        return _answer(limits.TOO_MANY_TOKEN_REQUESTS)
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
    s = doku_settings
    # Refused deliveries count against the bound, so DOKU's own (verified) traffic is
    # never slowed, and a sender without credentials stores at most the limit per window.
    if limits.reached("notification", request, s.NOTIFICATION_RATE_LIMIT,
                      s.NOTIFICATION_RATE_WINDOW):
        return _answer(limits.TOO_MANY_NOTIFICATIONS)
    raw = parsing.read_capped(request)
    # Stored once, bounded (headers capped, body a prefix); refusing only updates two
    # columns, so a refused delivery costs one bounded row and nothing more.
    notification = Notification.objects.create(**parsing.delivery_fields(request, raw))
    if raw is None:
        return _refuse(request, notification, _TOO_LARGE)
    refusal = auth.verify_notification(request.headers, request.path, raw)
    if refusal is not None:
        return _refuse(request, notification, refusal)
    fields = {"verified": True, **parsing.verified_body_fields(raw)}
    data = parsing.parse_object(raw)
    if data is not None:
        # Promoted so staff can find the delivery by payment in the admin.
        fields["original_partner_reference_no"] = str(
            data.get("originalPartnerReferenceNo") or "")[:64]
        fields["latest_transaction_status"] = str(data.get("latestTransactionStatus") or "")[:2]
    _update(notification, **fields)
    if data is None:
        return _refuse(request, notification, _NOT_AN_OBJECT)
    return _answer(services.process_stored_notification(notification, data))


def _update(notification: Notification, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(notification, name, value)
    notification.save(update_fields=list(fields))


def _refuse(request: HttpRequest, notification: Notification, answer: SnapAnswer
            ) -> JsonResponse:
    _update(notification, verification_error=answer.response_message[:255])
    if not notification.verified:
        limits.count("notification", request, doku_settings.NOTIFICATION_RATE_WINDOW)
    logger.warning("doku_allo notification %s refused: %s", notification.pk,
                   answer.response_message)
    return _answer(answer)
