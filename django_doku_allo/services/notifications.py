"""Apply DOKU's payment notifications, exactly once, and keep what went wrong.

The inbound view stores and verifies a delivery and parses its body strictly;
this module applies it to its payment. A duplicate or stale event is recorded
and answered as processed; one that names an unknown payment or another amount
changes nothing and is flagged for staff.
"""

from __future__ import annotations

import logging
import traceback
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import signals
from ..exceptions import InvalidNotification
from ..models import Notification, Payment
from ..snap import codes
from ..snap.codes import TransactionStatus
from ..snap.messages import SnapAnswer
from ..snap.strict_json import MalformedJson, parse_json_object
from . import payments
from ._rows import lock, send_after_commit

__all__ = [
    "PROCESSED",
    "PROCESSING_ERROR",
    "process_notification",
    "process_stored_notification",
    "reprocess_notification",
]

logger = logging.getLogger(__name__)

PROCESSED = SnapAnswer(200, codes.NOTIFICATION_PROCESSED, "Request has been processed successfully")
#: Answer to a delivery whose processing raised: DOKU retries, staff can reprocess.
PROCESSING_ERROR = SnapAnswer(500, codes.NOTIFICATION_INTERNAL_ERROR, "Internal Server Error")
_NOT_FOUND = SnapAnswer(404, codes.NOTIFICATION_TRANSACTION_NOT_FOUND, "Transaction Not Found")


def _stored_body(notification: Notification) -> dict[str, Any]:
    try:
        return parse_json_object(notification.body)
    except MalformedJson:
        return {}  # names no payment: flagged below, like any unknown reference


def _flag(notification: Notification, result: str, outcome: SnapAnswer) -> SnapAnswer:
    notification.flagged = True
    notification.processed = True
    notification.processed_at = timezone.now()
    notification.result = result[:255]
    notification.save()
    logger.warning("doku_allo notification %s flagged: %s", notification.pk, result)
    return outcome


def process_notification(notification: Notification,
                         data: dict[str, Any] | None = None) -> SnapAnswer:
    """Apply a verified notification to its payment, exactly once.

    ``data`` is the body as the inbound view parsed it; without it the stored
    body is parsed again. Duplicates and stale events are recorded and answered
    as processed; a notification that names an unknown payment or a different
    amount changes nothing, is flagged, and is answered with a 404 SNAP code.
    """
    if data is None:
        data = _stored_body(notification)
    reference = data.get("originalPartnerReferenceNo")
    amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
    with transaction.atomic():
        notification = lock(Notification, notification.pk)
        payment = (Payment.objects.select_for_update()
                   .filter(partner_reference_no=reference).first()
                   if isinstance(reference, str) and reference else None)
        if payment is None:
            return _flag(notification, "unknown originalPartnerReferenceNo", _NOT_FOUND)
        notification.payment = payment
        doku_reference = data.get("originalReferenceNo")
        if payment.reference_no and doku_reference and doku_reference != payment.reference_no:
            return _flag(notification, "originalReferenceNo does not match the payment",
                         _NOT_FOUND)
        try:
            amount_matches = (Decimal(str(amount.get("value"))) == payment.amount
                              and amount.get("currency", "IDR") == payment.currency)
        except ArithmeticError:
            amount_matches = False
        if not amount_matches:
            return _flag(notification, "amount does not match the payment",
                         SnapAnswer(404, codes.NOTIFICATION_INVALID_AMOUNT, "Invalid Amount"))
        try:
            status = TransactionStatus(data.get("latestTransactionStatus"))
        except ValueError:
            return _flag(notification, "unknown latestTransactionStatus",
                         SnapAnswer(400, codes.NOTIFICATION_INVALID_FIELD_FORMAT,
                                    "Invalid Field Format latestTransactionStatus"))
        before, attention_before = payment.status, payment.attention
        payment = payments.apply_doku_status(
            payment, status, source="notification",
            description=str(data.get("transactionStatusDesc") or ""))
        notification.processed = True
        notification.processed_at = timezone.now()
        notification.result = (f"{before} -> {payment.status}" if payment.status != before
                               else f"no change ({payment.status})")
        notification.error = notification.traceback = ""
        if payment.attention != attention_before:
            notification.flagged = True
        notification.save()
        send_after_commit(signals.notification_received, Notification,
                          notification=notification)
    return PROCESSED


def process_stored_notification(notification: Notification,
                                data: dict[str, Any] | None = None) -> SnapAnswer:
    """Process a verified, stored delivery; an unexpected error is stored, not raised.

    The error and its traceback are kept on the notification so staff can fix
    the cause and reprocess it; the 500 answer makes DOKU retry meanwhile.
    """
    try:
        return process_notification(notification, data)
    except Exception as exc:
        logger.exception("doku_allo notification %s failed to process", notification.pk)
        Notification.objects.filter(pk=notification.pk).update(
            error=f"{exc.__class__.__name__}: {exc}"[:2000],
            traceback=traceback.format_exc()[-10000:])
        return PROCESSING_ERROR


def reprocess_notification(notification: Notification) -> SnapAnswer:
    """Apply a stored notification again (admin action); idempotent like the first time.

    Unverified deliveries are never processed: they may be forged.
    """
    notification = Notification.objects.get(pk=notification.pk)
    if not notification.verified:
        raise InvalidNotification(
            "This delivery failed verification and is never processed: "
            f"{notification.verification_error or 'unverified'}.")
    return process_stored_notification(notification)
