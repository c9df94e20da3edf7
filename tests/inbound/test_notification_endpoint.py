"""DOKU reports the end of a payment (service 56): stored, parsed, processed.

Verification itself is in ``test_notification_auth``; here the notification is
genuine, and what matters is what it does to the payment and what is kept.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from django_doku_allo.models import Notification, PaymentStatus
from django_doku_allo.snap.signing import minify
from django_doku_allo.testing import (
    notification_body,
    notification_headers,
    notification_path,
    post_notification,
)
from tests.inbound.helpers import post_raw

pytestmark = pytest.mark.django_db


def test_success_notification_marks_the_payment_succeeded_and_signals_once(
    client: Any, make_payment: Any, signals_sent: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    payment = make_payment()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_notification(client, payment, "00")

    assert response.status_code == 200
    assert response.json()["responseCode"] == "2005600"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.paid_at is not None
    from django_doku_allo import signals
    assert [c["payment"].pk for c in signals_sent(signals.payment_succeeded)] == [payment.pk]
    notification = Notification.objects.get()
    assert notification.verified
    assert notification.processed
    assert not notification.flagged
    assert notification.payment == payment
    assert notification.headers["Authorization"] == "[redacted]"
    assert notification.headers["X-Signature"] == "[redacted]"


def test_duplicate_notification_changes_state_once_and_is_acknowledged_again(
    client: Any, make_payment: Any, signals_sent: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django_doku_allo import signals
    payment = make_payment()

    with django_capture_on_commit_callbacks(execute=True):
        first = post_notification(client, payment, "00")
        second = post_notification(client, payment, "00")

    assert first.json()["responseCode"] == second.json()["responseCode"] == "2005600"
    assert len(signals_sent(signals.payment_succeeded)) == 1
    assert len(signals_sent(signals.notification_received)) == 2
    assert Notification.objects.count() == 2


def test_failed_notification_marks_the_payment_failed(client: Any, make_payment: Any) -> None:
    payment = make_payment()

    assert post_notification(client, payment, "06").status_code == 200

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


def test_stale_pending_notification_after_success_is_recorded_and_ignored(
    client: Any, make_payment: Any,
) -> None:
    payment = make_payment(status=PaymentStatus.SUCCEEDED)

    response = post_notification(client, payment, "03")

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Notification.objects.get().processed


def test_failure_after_success_never_regresses_the_payment(client: Any, make_payment: Any
                                                          ) -> None:
    payment = make_payment(status=PaymentStatus.SUCCEEDED)

    post_notification(client, payment, "06")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize("raw", [
    '{"originalPartnerReferenceNo": ',
    '{"a": NaN}',
    '{"a": 1, "a": 2}',
    "[" * 5000 + "]" * 5000,
    '["not", "an", "object"]',
    "\xff\xfe{}",
])
def test_malformed_but_signed_body_is_a_clean_400(client: Any, make_payment: Any, raw: str
                                                  ) -> None:
    payment = make_payment()
    headers = notification_headers(json.dumps({"placeholder": True}))
    # Sign the raw text itself so only the parse can fail.
    from django_doku_allo.snap.signing import symmetric_signature
    token = headers["Authorization"].removeprefix("Bearer ")
    from tests.settings import CLIENT_SECRET
    headers["X-SIGNATURE"] = symmetric_signature(
        CLIENT_SECRET, "POST", notification_path(), token, None, headers["X-TIMESTAMP"])
    body = raw.encode("latin-1") if raw.startswith("\xff") else raw

    response = post_raw(client, body, headers)

    assert 400 <= response.status_code < 500
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_body_over_the_cap_is_refused_without_processing(client: Any, make_payment: Any
                                                         ) -> None:
    payment = make_payment()
    body = minify(notification_body(payment, "00", padding="x" * 70_000))

    response = post_raw(client, body, notification_headers(body))

    assert response.status_code == 400
    assert Notification.objects.get().body == ""
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_valid_notification_for_an_unknown_payment_is_flagged_404(client: Any,
                                                                  make_payment: Any) -> None:
    payment = make_payment()

    response = post_notification(client, payment, "00",
                                 originalPartnerReferenceNo="ALLO-NOT-OURS")

    assert response.status_code == 404
    assert response.json()["responseCode"] == "4045601"
    stored = Notification.objects.get()
    assert stored.verified
    assert stored.flagged
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_valid_notification_with_a_wrong_amount_is_flagged_and_changes_nothing(
    client: Any, make_payment: Any,
) -> None:
    payment = make_payment()

    response = post_notification(client, payment, "00",
                                 amount={"value": "1.00", "currency": "IDR"})

    assert response.status_code == 404
    assert response.json()["responseCode"] == "4045613"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert Notification.objects.get().flagged


def test_processing_error_is_stored_with_traceback_and_answered_500(
    client: Any, make_payment: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    payment = make_payment()

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr("django_doku_allo.services.payments.apply_doku_status", explode)

    response = post_notification(client, payment, "00")

    assert response.status_code == 500
    stored = Notification.objects.get()
    assert stored.verified
    assert not stored.processed
    assert "database went away" in stored.error
    assert "RuntimeError" in stored.traceback


@pytest.mark.django_db(transaction=True)
def test_delivery_is_recorded_even_when_the_site_uses_atomic_requests(
    client: Any, make_payment: Any, monkeypatch: pytest.MonkeyPatch, settings: Any,
) -> None:
    monkeypatch.setitem(settings.DATABASES["default"], "ATOMIC_REQUESTS", True)
    payment = make_payment()
    monkeypatch.setattr("django_doku_allo.services.payments.apply_doku_status",
                        lambda *args, **kwargs: (_ for _ in ()).throw(RuntimeError("boom")))

    response = post_notification(client, payment, "00")

    assert response.status_code == 500
    assert Notification.objects.filter(error__contains="boom").count() == 1
