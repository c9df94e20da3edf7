"""DOKU's own retries are accepted, whatever their age within its retry schedule.

DOKU retries an unanswered notification at about +30 min, +6 h and +12 h (reference
8.6). A retry may keep its first X-TIMESTAMP and the token we issued then: the
signature still proves it is DOKU's, and a replay changes nothing, so it is
processed rather than refused by a five-minute window.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from django.test import Client

from django_doku_allo.inbound import auth
from django_doku_allo.models import Notification, PaymentStatus
from django_doku_allo.snap.signing import minify, snap_timestamp
from django_doku_allo.testing import notification_body, notification_headers, notification_path

pytestmark = pytest.mark.django_db

TWELVE_HOURS = 12 * 3600


def first_attempt(payment: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, str]]:
    """The notification as DOKU first signed it, twelve hours ago, with our token of then."""
    real_time = time.time
    monkeypatch.setattr(auth.time, "time", lambda: real_time() - TWELVE_HOURS)
    token, _ = auth.issue_token()
    monkeypatch.setattr(auth.time, "time", real_time)
    body = minify(notification_body(payment, "00"))
    then = snap_timestamp(datetime.now(timezone.utc) - timedelta(seconds=TWELVE_HOURS))
    return body, notification_headers(body, token=token, timestamp=then)


def test_a_retry_twelve_hours_later_with_its_first_timestamp_and_token_is_processed(
    make_payment: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    payment = make_payment()
    body, headers = first_attempt(payment, monkeypatch)

    response = Client().post(notification_path(), data=body, content_type="application/json",
                             headers=headers)

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    stored = Notification.objects.get()
    assert (stored.verified, stored.processed, stored.error) == (True, True, "")


def test_the_retry_window_is_a_setting(
    make_payment: Any, monkeypatch: pytest.MonkeyPatch, settings: Any,
) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "NOTIFICATION_RETRY_WINDOW": 3600}
    payment = make_payment()
    body, headers = first_attempt(payment, monkeypatch)

    response = Client().post(notification_path(), data=body, content_type="application/json",
                             headers=headers)

    assert response.status_code == 401
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.django_db(transaction=True)
def test_a_payment_resent_after_a_token_refusal_stores_the_external_id_doku_answered(
    live_simulator: Any, user: Any,
) -> None:
    from django_doku_allo.simulator import faults
    from django_doku_allo.simulator.models import Payment as DokuPayment
    from tests.flows import bind, pay

    binding = bind(live_simulator, user)
    faults.force_error("payment", "4015401")  # DOKU refuses our B2B token once

    payment = pay(binding)

    assert payment.status == PaymentStatus.PENDING
    at_doku = DokuPayment.objects.get(partner_reference_no=payment.partner_reference_no)
    assert payment.external_id == at_doku.external_id
