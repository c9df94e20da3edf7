"""How a notification proves it is DOKU's: timestamp, our token, the signature.

A notification that fails any check is refused with a 4xx and changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
import pytest
from django.test import override_settings

from django_doku_allo.models import Notification, PaymentStatus
from django_doku_allo.snap.signing import minify, snap_timestamp
from django_doku_allo.testing import notification_body, notification_headers, notification_path
from tests.inbound.helpers import post_raw
from tests.settings import CLIENT_ID, DOKU_ALLO
from tests.support.keys import DOKU_PRIVATE_KEY_PEM

pytestmark = pytest.mark.django_db

MUTATIONS = ["body", "path", "timestamp", "token", "signature"]


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


@pytest.mark.parametrize("skew", [timedelta(hours=-24, minutes=-1),
                                  timedelta(minutes=5, seconds=5)])
def test_timestamp_older_than_the_retry_window_or_five_minutes_ahead_is_refused(
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
                                  timedelta(hours=-12),
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
