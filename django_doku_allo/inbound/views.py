"""The endpoints DOKU calls: our B2B token endpoint and the payment notification.

Order of work in the notification view, and why:
0. an address with too many refused deliveries in the current window is answered
   429 before anything is stored or checked (DOKU's verified ones never count);
1. cap the body before reading it (a 50 MB body is refused without reading it);
2. verify (timestamp, bearer token, signature) before parsing, so a forged body
   never reaches the parser. Verifying needs no database, so it comes first;
3. a refused delivery is stored once, bounded (redacted and capped headers, the
   body's first bytes with its length and digest, the address, why it was refused),
   because anyone can post here; it is answered 4xx: retrying the same bytes can
   never succeed;
4. a verified delivery is parsed strictly (no NaN, no duplicate keys), then stored
   whole and applied to its payment in ONE transaction with one commit
   (:func:`~django_doku_allo.services.notifications.receive_notification`). The
   trade-off: a processing error rolls the transaction back and the delivery is
   committed with the error and its traceback (500: DOKU retries, staff can
   reprocess); only a hard kill between receipt and commit leaves no record, and
   then DOKU got no 200 and retries, while reconciliation settles the payment. Two
   commits (store first, then process) would cost a commit and a round trip on
   every notification to cover only that kill.
The view is ``non_atomic_requests`` so ``ATOMIC_REQUESTS`` never wraps DOKU's request.
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
    token, lifetime = auth.token_for_request(request.headers)
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
    if raw is None:
        return _refuse(request, parsing.delivery_fields(request, raw), _TOO_LARGE)
    refusal = auth.verify_notification(request.headers, request.path, raw)
    if refusal is not None:
        return _refuse(request, parsing.delivery_fields(request, raw), refusal)
    fields = {**parsing.delivery_fields(request, raw), **parsing.verified_body_fields(raw)}
    data = parsing.parse_object(raw)
    if data is None:
        return _refuse(request, {**fields, "verified": True}, _NOT_AN_OBJECT)
    # Verified: stored whole and applied in one transaction, one commit (see the
    # trade-off in services.notifications.receive_notification).
    _, answer = services.receive_notification(fields, data)
    return _answer(answer)


def _refuse(request: HttpRequest, fields: dict[str, Any], answer: SnapAnswer) -> JsonResponse:
    """Store a refused delivery once, bounded, with why; count it against the sender."""
    notification = Notification.objects.create(
        **fields, verification_error=answer.response_message[:255])
    if not notification.verified:
        limits.count("notification", request, doku_settings.NOTIFICATION_RATE_WINDOW)
    logger.warning("doku_allo notification %s refused: %s", notification.pk,
                   answer.response_message)
    return _answer(answer)
