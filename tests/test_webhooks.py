"""DOKU's calls to the merchant: the token endpoint and payment notifications."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
import pytest
from django.test import override_settings

from django_doku_allo.models import Notification, PaymentStatus
from django_doku_allo.snap.signing import asymmetric_signature, minify, snap_timestamp
from django_doku_allo.testing import (
    notification_body,
    notification_headers,
    notification_path,
    post_notification,
)
from tests.keys import DOKU_PRIVATE_KEY_PEM, MERCHANT_PRIVATE_KEY_PEM, public_pem
from tests.settings import CLIENT_ID, DOKU_ALLO

pytestmark = pytest.mark.django_db

TOKEN_PATH = "/doku-allo/authorization/v1/access-token/b2b"


def token_request_headers(timestamp: str | None = None, key: str = DOKU_PRIVATE_KEY_PEM,
                          client_id: str = CLIENT_ID) -> dict[str, str]:
    timestamp = timestamp or snap_timestamp()
    return {"X-CLIENT-KEY": client_id, "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": asymmetric_signature(key, client_id, timestamp)}


def post_token(client: Any, headers: dict[str, str], body: Any = None) -> Any:
    payload = json.dumps(body if body is not None else {"grantType": "client_credentials"})
    return client.post(TOKEN_PATH, data=payload, content_type="application/json",
                       headers=headers)


def post_raw(client: Any, body: str | bytes, headers: dict[str, str]) -> Any:
    return client.post(notification_path(), data=body, content_type="application/json",
                       headers=headers)


# --------------------------------------------------------------------------- token endpoint
def test_token_request_signed_by_doku_gets_a_jwt_signed_with_the_merchant_key(client: Any
                                                                               ) -> None:
    response = post_token(client, token_request_headers())

    assert response.status_code == 200
    data = response.json()
    assert data["responseCode"] == "2007300"
    assert data["tokenType"] == "Bearer"
    assert data["expiresIn"] == 900
    claims = jwt.decode(data["accessToken"], public_pem(MERCHANT_PRIVATE_KEY_PEM),
                        algorithms=["RS256"], issuer="django-doku-allo")
    assert claims["clientId"] == CLIENT_ID
    assert response["X-CLIENT-KEY"] == CLIENT_ID
    assert response["X-TIMESTAMP"]


def test_token_request_signed_with_another_key_is_refused_4017300(client: Any) -> None:
    response = post_token(client, token_request_headers(key=MERCHANT_PRIVATE_KEY_PEM))

    assert response.status_code == 401
    assert response.json() == {"responseCode": "4017300",
                               "responseMessage": "Unauthorized. Invalid Signature"}


def test_token_request_for_another_client_is_refused(client: Any) -> None:
    response = post_token(client, token_request_headers(client_id="BRN-9999"))

    assert response.status_code == 401
    assert response.json()["responseCode"] == "4017300"


def test_token_request_with_a_stale_timestamp_is_refused(client: Any) -> None:
    stale = snap_timestamp(datetime.now(timezone.utc) - timedelta(minutes=6))

    response = post_token(client, token_request_headers(timestamp=stale))

    assert response.status_code == 401


def test_token_request_with_another_grant_type_is_a_400(client: Any) -> None:
    response = post_token(client, token_request_headers(), {"grantType": "password"})

    assert response.status_code == 400
    assert response.json()["responseCode"] == "4007301"


def test_token_endpoint_answers_only_post(client: Any) -> None:
    assert client.get(TOKEN_PATH).status_code == 405


# --------------------------------------------------------------------------- notifications
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


def test_forged_signature_is_refused_4015600_and_changes_nothing(client: Any, make_payment: Any
                                                                ) -> None:
    payment = make_payment()
    body = minify(notification_body(payment, "00"))
    headers = notification_headers(body, client_secret="not-the-secret")

    response = post_raw(client, body, headers)

    assert response.status_code == 401
    assert response.json()["responseCode"] == "4015600"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    stored = Notification.objects.get()
    assert not stored.verified
    assert not stored.processed
    assert stored.verification_error


def test_token_not_issued_by_us_is_refused_4015601(client: Any, make_payment: Any) -> None:
    payment = make_payment()
    forged = jwt.encode({"clientId": CLIENT_ID, "iss": "django-doku-allo",
                         "exp": 4102444800}, DOKU_PRIVATE_KEY_PEM, algorithm="RS256")
    body = minify(notification_body(payment, "00"))

    response = post_raw(client, body, notification_headers(body, token=forged))

    assert response.status_code == 401
    assert response.json()["responseCode"] == "4015601"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_signature_over_another_path_is_refused(client: Any, make_payment: Any) -> None:
    payment = make_payment()
    body = minify(notification_body(payment, "00"))

    response = post_raw(client, body, notification_headers(body, path="/v1.0/debit/notify"))

    assert response.status_code == 401


@pytest.mark.parametrize("skew", [timedelta(minutes=-5, seconds=-5),
                                  timedelta(minutes=5, seconds=5)])
def test_timestamp_outside_five_minutes_either_way_is_refused(
    client: Any, make_payment: Any, skew: timedelta,
) -> None:
    payment = make_payment()
    body = minify(notification_body(payment, "00"))
    timestamp = snap_timestamp(datetime.now(timezone.utc) + skew)

    response = post_raw(client, body, notification_headers(body, timestamp=timestamp))

    assert response.status_code == 401
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.parametrize("skew", [timedelta(minutes=-4, seconds=-50),
                                  timedelta(minutes=4, seconds=50)])
def test_timestamp_inside_the_window_is_accepted(client: Any, make_payment: Any,
                                                  skew: timedelta) -> None:
    payment = make_payment()
    body = minify(notification_body(payment, "00"))
    timestamp = snap_timestamp(datetime.now(timezone.utc) + skew)

    assert post_raw(client, body, notification_headers(body, timestamp=timestamp)
                    ).status_code == 200


def test_body_sent_with_spaces_still_verifies(client: Any, make_payment: Any) -> None:
    payment = make_payment()
    data = notification_body(payment, "00")
    headers = notification_headers(minify(data))

    response = post_raw(client, json.dumps(data), headers)  # json.dumps adds spaces

    assert response.status_code == 200


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

    def explode(notification: Notification, data: Any = None) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr("django_doku_allo.services.notifications.process_notification", explode)

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
    settings.DATABASES["default"]["ATOMIC_REQUESTS"] = True
    payment = make_payment()
    monkeypatch.setattr("django_doku_allo.services.notifications.process_notification",
                        lambda n, data=None: (_ for _ in ()).throw(RuntimeError("boom")))

    response = post_notification(client, payment, "00")

    assert response.status_code == 500
    assert Notification.objects.filter(error__contains="boom").count() == 1


MUTATIONS = ["body", "path", "timestamp", "token", "signature"]


@pytest.mark.parametrize("part", MUTATIONS)
@pytest.mark.parametrize("position", [0, 7, -2])
def test_one_byte_mutation_of_any_signed_part_changes_nothing(
    client: Any, make_payment: Any, part: str, position: int,
) -> None:
    payment = make_payment()
    body = minify(notification_body(payment, "00"))
    headers = notification_headers(body)
    path = notification_path()

    def flip(text: str) -> str:
        index = position % len(text)
        replacement = "0" if text[index] != "0" else "1"
        return text[:index] + replacement + text[index + 1:]

    if part == "body":
        body = body.replace(payment.reference_no, flip(payment.reference_no))
    elif part == "path":
        path = flip(path)
    elif part == "timestamp":
        headers["X-TIMESTAMP"] = headers["X-TIMESTAMP"].replace(
            headers["X-TIMESTAMP"][-8], "0" if headers["X-TIMESTAMP"][-8] != "0" else "1", 1)
    elif part == "token":
        headers["Authorization"] = flip(headers["Authorization"])
    else:
        headers["X-SIGNATURE"] = flip(headers["X-SIGNATURE"])

    response = client.post(path, data=body, content_type="application/json", headers=headers)

    assert response.status_code != 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_symmetric_signature_check_can_be_switched_off_for_token_only_setups(
    client: Any, make_payment: Any,
) -> None:
    payment = make_payment()
    body = minify(notification_body(payment, "00"))
    headers = notification_headers(body)
    headers["X-SIGNATURE"] = "not-checked"

    with override_settings(DOKU_ALLO={**DOKU_ALLO, "NOTIFICATION_VERIFY_SIGNATURE": False}):
        response = post_raw(client, body, headers)

    assert response.status_code == 200


def test_asymmetric_notification_signature_is_accepted_when_enabled(
    client: Any, make_payment: Any,
) -> None:
    from django_doku_allo.snap.signing import asymmetric_request_signature
    payment = make_payment()
    body = minify(notification_body(payment, "00"))
    headers = notification_headers(body)
    headers["X-SIGNATURE"] = asymmetric_request_signature(
        DOKU_PRIVATE_KEY_PEM, "POST", notification_path(), body, headers["X-TIMESTAMP"])

    assert post_raw(client, body, headers).status_code == 401
    with override_settings(DOKU_ALLO={**DOKU_ALLO,
                                      "NOTIFICATION_ACCEPT_ASYMMETRIC_SIGNATURE": True}):
        assert post_raw(client, body, headers).status_code == 200


def test_previous_client_secret_still_verifies_during_rotation(client: Any, make_payment: Any
                                                               ) -> None:
    payment = make_payment()
    body = minify(notification_body(payment, "00"))
    headers = notification_headers(body, client_secret="old-secret")

    with override_settings(DOKU_ALLO={**DOKU_ALLO, "PREVIOUS_CLIENT_SECRETS": ["old-secret"]}):
        assert post_raw(client, body, headers).status_code == 200

