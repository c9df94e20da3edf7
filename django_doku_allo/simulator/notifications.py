"""Payment notifications to the merchant, the way DOKU sends them, with DOKU's retries.

One delivery attempt is two requests:

1. a B2B token from the merchant: ``POST MERCHANT_TOKEN_URL`` with ``X-CLIENT-KEY`` (the
   client id), ``X-TIMESTAMP`` and ``X-SIGNATURE`` = RSA-SHA256 with DOKU's private key over
   ``clientId|X-TIMESTAMP``, body ``{"grantType":"client_credentials"}``; HTTP 200 with an
   ``accessToken`` is expected;
2. ``POST NOTIFICATION_URL`` with exactly the bytes ``minify(body)``, signed symmetrically
   (HMAC-SHA512 with the client secret over ``POST:<path of NOTIFICATION_URL>:<token>:
   sha256(body):<timestamp>``), ``Authorization: Bearer <token>``. How DOKU gets the
   "B2B2C API merchant" token it puts in ``Authorization-Customer`` is undocumented; the
   simulator sends the same merchant-issued token there.

A 2xx answer delivers the notification. Anything else (including a refused token request
or a connection error) schedules the next attempt at ``first attempt +
NOTIFICATION_RETRY_DELAYS[n]``; after the last one the notification stays ``failed``
until :func:`resend_notification`. Every attempt is logged in ``NotificationAttempt``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from django_doku_allo.snap.channels import ALLO
from django_doku_allo.snap.codes import B2B_TOKEN_SUCCESS
from django_doku_allo.snap.signing import (
    asymmetric_signature,
    minify,
    new_external_id,
    snap_timestamp,
    symmetric_signature,
)

from . import faults, worker
from .codes import TRANSACTION_STATUS_DESC
from .conf import SimulatorSettings, get_settings
from .models import Notification, NotificationAttempt, Payment
from .validation import money

__all__ = [
    "build_body",
    "deliver_due_notifications",
    "enqueue",
    "find_payment",
    "resend_notification",
    "seconds_until_next_due",
]

logger = logging.getLogger(__name__)
SNIPPET_LENGTH = 500
N = Notification.Status


def build_body(payment: Payment, status: str) -> dict[str, Any]:
    """The notification body (SDK models' field set; ``lineItems`` inside additionalInfo)."""
    return {
        "originalPartnerReferenceNo": payment.partner_reference_no,
        "originalReferenceNo": payment.reference_no,
        "originalExternalId": payment.external_id,
        "latestTransactionStatus": status,
        "transactionStatusDesc": TRANSACTION_STATUS_DESC[status],
        "amount": money(payment.amount),
        "additionalInfo": {
            "channelId": ALLO.channel,
            "acquirerId": "ALLO_BANK",
            "custIdMerchant": payment.binding.cust_id_merchant,
            "accountType": "DIRECT_DEBIT",
            "lineItems": payment.line_items,
        },
    }


def enqueue(payment: Payment) -> list[Notification]:
    """Queue the notification of ``payment``'s (final) status, applying notification faults."""
    delays = get_settings().notification_retry_delays
    due = timezone.now() + timedelta(seconds=delays[0])
    body = build_body(payment, payment.status)
    armed = faults.armed()
    copies = faults.take_notification_copies() if "duplicate" in armed else 1
    rows = [
        Notification.objects.create(
            payment=payment,
            kind=Notification.Kind.NORMAL if i == 0 else Notification.Kind.DUPLICATE,
            transaction_status=payment.status, body=body, next_attempt_at=due,
        )
        for i in range(copies)
    ]
    stale = faults.take_stale_status() if "reorder" in armed else None
    if stale is not None:
        rows.append(Notification.objects.create(
            payment=payment, kind=Notification.Kind.STALE, transaction_status=stale,
            body=build_body(payment, stale), next_attempt_at=due,
        ))
    transaction.on_commit(worker.wake)
    return rows


# --------------------------------------------------------------------------- sending
@dataclass
class _Outcome:
    url: str
    ok: bool = False
    token_http_status: int | None = None
    http_status: int | None = None
    snippet: str = ""
    error: str = ""


def _timeout(conf: SimulatorSettings) -> tuple[float, float]:
    return (min(5.0, conf.http_timeout), conf.http_timeout)


def _merchant_token(conf: SimulatorSettings, url: str, outcome: _Outcome) -> str | None:
    assert conf.private_key is not None
    timestamp = snap_timestamp()
    headers = {
        "X-CLIENT-KEY": conf.client_id,
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": asymmetric_signature(conf.private_key, conf.client_id, timestamp),
        "Content-Type": "application/json",
    }
    try:
        response = requests.post(url, data=minify({"grantType": "client_credentials"}).encode(),
                                 headers=headers, timeout=_timeout(conf), allow_redirects=False)
    except requests.RequestException as exc:
        outcome.error = f"merchant token request failed: {type(exc).__name__}: {exc}"
        return None
    outcome.token_http_status = response.status_code
    try:
        answer = response.json()
    except ValueError:
        answer = None
    token = answer.get("accessToken") if isinstance(answer, dict) else None
    code = answer.get("responseCode", B2B_TOKEN_SUCCESS) if isinstance(answer, dict) else None
    if (response.status_code != 200 or not isinstance(token, str) or not token
            or code != B2B_TOKEN_SUCCESS):
        outcome.snippet = response.text[:SNIPPET_LENGTH]
        outcome.error = f"merchant token request refused (HTTP {response.status_code})"
        return None
    return token


def _signed_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _send(notification: Notification) -> _Outcome:
    conf = get_settings()
    payment = notification.payment
    url = conf.notification_url_for(payment.merchant_base_url)
    outcome = _Outcome(url=url)
    if conf.private_key is None:
        outcome.error = "DOKU_ALLO_SIMULATOR['PRIVATE_KEY'] is not set: cannot ask for a token"
        return outcome
    token = _merchant_token(conf, conf.merchant_token_url_for(payment.merchant_base_url), outcome)
    if token is None:
        return outcome
    body = minify(notification.body)
    timestamp = snap_timestamp()
    headers = {
        "Content-Type": "application/json",
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": symmetric_signature(conf.client_secret, "POST", _signed_path(url), token,
                                           body, timestamp),
        "X-PARTNER-ID": conf.client_id,
        "X-EXTERNAL-ID": new_external_id(),
        "Authorization": f"Bearer {token}",
        "Authorization-Customer": f"Bearer {token}",
    }
    device_id = payment.device_id or payment.binding.device_id
    ip_address = payment.ip_address or payment.binding.ip_address
    if device_id:
        headers["X-DEVICE-ID"] = device_id
    if ip_address:
        headers["X-IP-ADDRESS"] = ip_address
    try:
        response = requests.post(url, data=body.encode("utf-8"), headers=headers,
                                 timeout=_timeout(conf), allow_redirects=False)
    except requests.RequestException as exc:
        outcome.error = f"notification request failed: {type(exc).__name__}: {exc}"
        return outcome
    outcome.http_status = response.status_code
    outcome.snippet = response.text[:SNIPPET_LENGTH]
    outcome.ok = 200 <= response.status_code < 300
    return outcome


def _attempt(pk: int, now: datetime, *, manual: bool, previous_status: str) -> bool:
    """Send the claimed notification ``pk`` once and record what happened."""
    notification = Notification.objects.select_related("payment", "payment__binding").get(pk=pk)
    started = time.monotonic()
    outcome = _send(notification)
    duration_ms = int((time.monotonic() - started) * 1000)
    logger.info("doku simulator notification %s (payment %s, status %s) -> %s%s",
                pk, notification.payment.reference_no, notification.transaction_status,
                outcome.http_status, f" ({outcome.error})" if outcome.error else "")
    delays = get_settings().notification_retry_delays
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=pk)
        NotificationAttempt.objects.create(
            notification=notification, attempted_at=now, url=outcome.url, manual=manual,
            token_http_status=outcome.token_http_status, http_status=outcome.http_status,
            ok=outcome.ok, response_snippet=outcome.snippet, error=outcome.error,
            duration_ms=duration_ms,
        )
        if not manual:
            notification.first_attempt_at = notification.first_attempt_at or now
            notification.attempts += 1
        if outcome.ok:
            notification.status = N.DELIVERED
            notification.delivered_at = now
            notification.next_attempt_at = None
        elif manual:
            notification.status = previous_status
        elif notification.attempts < len(delays):
            assert notification.first_attempt_at is not None
            notification.status = N.PENDING
            notification.next_attempt_at = notification.first_attempt_at + timedelta(
                seconds=delays[notification.attempts])
        else:
            notification.status = N.FAILED
            notification.next_attempt_at = None
        notification.save()
    return outcome.ok


def _attempt_claimed(pk: int, now: datetime, *, manual: bool, previous_status: str) -> bool:
    try:
        return _attempt(pk, now, manual=manual, previous_status=previous_status)
    except Exception:
        # Never leave a notification stuck in "sending": hand it back, then fail loudly.
        Notification.objects.filter(pk=pk, status=N.SENDING).update(status=previous_status)
        raise


def _claim(pk: int, from_statuses: tuple[str, ...]) -> bool:
    """Take ``pk`` for sending; False if another thread or process already has it."""
    return Notification.objects.filter(pk=pk, status__in=from_statuses).update(
        status=N.SENDING) == 1


def deliver_due_notifications(now: datetime | None = None) -> int:
    """Make every delivery attempt due at ``now`` (default: the current time).

    Returns the number of attempts made (delivered or not). Due notifications go out in
    the order they were queued, so a stale-status fault arrives after the final status.
    """
    now = now or timezone.now()
    due = list(
        Notification.objects.filter(status=N.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk").values_list("pk", flat=True)
    )
    made = 0
    for pk in due:
        if _claim(pk, (N.PENDING,)):
            _attempt_claimed(pk, now, manual=False, previous_status=N.PENDING)
            made += 1
    return made


def find_payment(reference: str) -> Payment:
    """A payment by DOKU referenceNo or merchant partnerReferenceNo (``Payment.DoesNotExist``)."""
    return Payment.objects.get(Q(reference_no=reference) | Q(partner_reference_no=reference))


def resend_notification(payment_reference_no: str) -> bool:
    """Send the latest notification of a payment once more, now, like DOKU's Back Office.

    Works whatever the notification's state (delivered, failed, pending); a failed manual
    attempt leaves the retry schedule as it was. Returns True on a 2xx answer. Raises
    ``LookupError`` when the payment has no notification yet.
    """
    payment = find_payment(payment_reference_no)
    notification = (payment.notifications.exclude(kind=Notification.Kind.STALE)
                    .order_by("-pk").first())
    if notification is None:
        raise LookupError(f"payment {payment_reference_no} has no notification to re-send")
    previous = notification.status
    if previous == N.SENDING or not _claim(notification.pk, (previous,)):
        raise LookupError(f"notification {notification.pk} is being sent right now")
    return _attempt_claimed(notification.pk, timezone.now(), manual=True,
                            previous_status=previous)


def seconds_until_next_due(now: datetime | None = None) -> float | None:
    """Seconds until the earliest pending attempt (0 if overdue), None if nothing is pending."""
    now = now or timezone.now()
    first = (Notification.objects.filter(status=N.PENDING, next_attempt_at__isnull=False)
             .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first())
    if first is None:
        return None
    return max(0.0, (first - now).total_seconds())
