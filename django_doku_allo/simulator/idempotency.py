"""X-EXTERNAL-ID idempotency, per client and per Jakarta calendar day.

The same X-EXTERNAL-ID with the same canonical body (and endpoint) replays the first
answer's body with HTTP 409, as DOKU documents; with anything else it is ``409xx00``
"Conflict". Only answers produced by real processing with an HTTP status below 500 are
kept: a forced fault, an HTML drop or a 5xx means "try again", and a retry must be
processed (a payment that already exists then meets the partnerReferenceNo rules).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from django_doku_allo.snap.signing import JAKARTA

from .models import IdempotencyRecord
from .responses import json_response, snap_response

__all__ = ["claim", "find", "jakarta_day", "replay", "settle"]


def jakarta_day(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(JAKARTA).date()


def find(client_id: str, external_id: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        client_id=client_id, day=jakarta_day(), external_id=external_id
    ).first()


def replay(record: IdempotencyRecord, fingerprint: str, service: str) -> HttpResponse:
    if record.fingerprint == fingerprint and record.response_body is not None:
        return json_response(record.response_body, status=409)
    return snap_response(f"409{service}00", "Conflict")


def claim(client_id: str, external_id: str, fingerprint: str) -> IdempotencyRecord | None:
    """Reserve the key inside the caller's transaction; None if another request holds it.

    The unique constraint makes a concurrent twin wait for the first to commit (PostgreSQL)
    and then fail here, after which it can read and replay the first answer.
    """
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                client_id=client_id, day=jakarta_day(), external_id=external_id,
                fingerprint=fingerprint,
            )
    except IntegrityError:
        return None


def settle(record: IdempotencyRecord, status: int, body: dict[str, Any]) -> None:
    """Keep the answer for replays, or free the key when the answer means "try again"."""
    if status >= 500:
        record.delete()
        return
    record.response_body = body
    record.save(update_fields=["response_body"])
