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
from ._rows import lock, remember, save, send_after_commit
from ._statements import insert, locked_get

__all__ = [
    "PROCESSED",
    "PROCESSING_ERROR",
    "process_notification",
    "process_stored_notification",
    "receive_notification",
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
    _done(notification, result)
    logger.warning("doku_allo notification %s flagged: %s",
                   notification.pk or notification.external_id, result)
    return outcome


def _done(notification: Notification, result: str) -> None:
    notification.processed = True
    notification.processed_at = timezone.now()
    notification.result = result[:255]
    notification.error = notification.traceback = ""


def _apply(notification: Notification, data: dict[str, Any]) -> SnapAnswer:
    """Apply ``data`` to its payment (locked here); set, not save, ``notification``'s result.

    Runs inside the caller's transaction. The payment is read by its unique
    reference with ``get()`` (no ``ORDER BY``), and only its changed columns are written.
    """
    reference = data.get("originalPartnerReferenceNo")
    amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
    payment = None
    if isinstance(reference, str) and reference:
        try:
            payment = remember(locked_get(Payment, "partner_reference_no", reference))
        except Payment.DoesNotExist:
            payment = None
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
    _done(notification, f"{before} -> {payment.status}" if payment.status != before
          else f"no change ({payment.status})")
    if payment.attention != attention_before:
        notification.flagged = True
    send_after_commit(signals.notification_received, Notification, notification=notification)
    return PROCESSED


def receive_notification(fields: dict[str, Any], data: dict[str, Any]) -> tuple[
        Notification, SnapAnswer]:
    """Store a verified delivery and apply it: one transaction, one commit.

    ``fields`` are the delivery's columns (headers, body, address), ``data`` its
    parsed body. The delivery is inserted complete, with its result, after the
    payment's update, so a success costs one commit and five round trips (BEGIN,
    lock, update, insert, COMMIT). If processing raises, the transaction is rolled
    back whole and the delivery is committed on its own with the error and its
    traceback (DOKU gets a 500 and retries; staff can reprocess): the error path pays
    a second commit so the success path needs no savepoint. Only a hard kill in the
    middle leaves no record: DOKU then got no 200 and retries, and reconciliation
    settles the payment meanwhile.
    """
    notification = Notification(
        **fields, verified=True,
        original_partner_reference_no=str(data.get("originalPartnerReferenceNo") or "")[:64],
        latest_transaction_status=str(data.get("latestTransactionStatus") or "")[:2])
    try:
        with transaction.atomic():
            answer = _apply(notification, data)
            insert(notification)
    except Exception as exc:
        logger.exception("doku_allo notification failed to process")
        notification.pk = None
        notification.payment = None
        notification.processed = notification.flagged = False
        notification.processed_at = None
        notification.result = ""
        _keep_error(notification, exc)
        notification.save(force_insert=True)
        answer = PROCESSING_ERROR
    return notification, answer


def _keep_error(notification: Notification, exc: BaseException) -> None:
    notification.error = f"{exc.__class__.__name__}: {exc}"[:2000]
    notification.traceback = traceback.format_exc()[-10000:]


def process_notification(notification: Notification,
                         data: dict[str, Any] | None = None) -> SnapAnswer:
    """Apply a stored, verified notification to its payment again (idempotent).

    ``data`` is its parsed body; without it the stored body is parsed again.
    Duplicates and stale events are recorded and answered as processed; one that
    names an unknown payment or a different amount changes nothing, is flagged,
    and is answered with a 404 SNAP code.
    """
    if data is None:
        data = _stored_body(notification)
    with transaction.atomic():
        notification = lock(Notification, notification.pk)
        answer = _apply(notification, data)
        save(notification)
    return answer


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
        _keep_error(notification, exc)
        Notification.objects.filter(pk=notification.pk).update(
            error=notification.error, traceback=notification.traceback)
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
