"""Notifications to the merchant: token leg, signature, body, retries, re-send, thread mode."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from django_doku_allo.simulator import customer, state, worker
from django_doku_allo.simulator.models import NotificationAttempt
from django_doku_allo.simulator.notifications import (
    deliver_due_notifications,
    resend_notification,
)
from django_doku_allo.snap.signing import (
    minify,
    parse_snap_timestamp,
    verify_asymmetric_signature,
    verify_symmetric_signature,
)

from .conftest import DOKU_PUBLIC_KEY_PEM, Bound, MerchantStub, Snap, configure


def test_nothing_is_sent_in_manual_mode_until_asked(snap: Snap, bound: Bound,
                                                    merchant: MerchantStub) -> None:
    snap.paid(bound)

    assert merchant.notifications == []
    assert deliver_due_notifications() == 1
    assert len(merchant.notifications) == 1


def test_token_request_to_the_merchant_is_signed_with_dokus_key(snap: Snap, bound: Bound,
                                                               merchant: MerchantStub) -> None:
    snap.paid(bound)
    deliver_due_notifications()

    [request] = merchant.token_requests
    assert urlsplit(merchant.token_url).path == request.path
    assert request.headers["X-CLIENT-KEY"] == snap.client_id
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"grantType": "client_credentials"}
    assert verify_asymmetric_signature(DOKU_PUBLIC_KEY_PEM, snap.client_id,
                                       request.headers["X-TIMESTAMP"],
                                       request.headers["X-SIGNATURE"])


def test_notification_is_signed_symmetrically_with_the_merchants_token(
        snap: Snap, bound: Bound, merchant: MerchantStub) -> None:
    payment = snap.paid(bound)
    deliver_due_notifications()

    [notification] = merchant.notifications
    headers = notification.headers
    token = merchant.issued_tokens[0]
    assert headers["Authorization"] == f"Bearer {token}"
    assert headers["Authorization-Customer"] == f"Bearer {token}"
    assert headers["X-PARTNER-ID"] == snap.client_id
    assert headers["X-EXTERNAL-ID"].isdigit()
    assert headers["X-IP-ADDRESS"] == "192.168.100.10"
    assert headers["X-DEVICE-ID"] == "device01"
    parse_snap_timestamp(headers["X-TIMESTAMP"])
    assert notification.body.decode() == minify(notification.json())
    assert verify_symmetric_signature(snap.secret, "POST", "/doku-allo/v1.0/debit/notify", token,
                                      notification.body, headers["X-TIMESTAMP"],
                                      headers["X-SIGNATURE"])
    assert notification.json() == {
        "originalPartnerReferenceNo": payment["partnerReferenceNo"],
        "originalReferenceNo": payment["referenceNo"],
        "originalExternalId": notification.json()["originalExternalId"],
        "latestTransactionStatus": "00",
        "transactionStatusDesc": "Success",
        "amount": {"value": "10000.00", "currency": "IDR"},
        "additionalInfo": {
            "channelId": "DIRECT_DEBIT_ALLO_SNAP",
            "acquirerId": "ALLO_BANK",
            "custIdMerchant": "cust-001",
            "accountType": "DIRECT_DEBIT",
            "lineItems": [{"name": "Bag", "price": "10000.00", "quantity": "1"}],
        },
    }


def test_original_external_id_is_the_payment_requests(snap: Snap, bound: Bound,
                                                      merchant: MerchantStub) -> None:
    reference_no = snap.pay(bound, external_id="20240101123456").json()["referenceNo"]
    customer.confirm_payment(reference_no)
    deliver_due_notifications()

    assert merchant.notifications[0].json()["originalExternalId"] == "20240101123456"


def test_a_2xx_marks_the_notification_delivered(snap: Snap, bound: Bound,
                                                merchant: MerchantStub) -> None:
    payment = snap.paid(bound)
    deliver_due_notifications()

    [info] = state.notifications(payment["referenceNo"])
    assert info["status"] == "delivered"
    assert info["attempts"][0]["http_status"] == 200
    assert "2005600" in info["attempts"][0]["response_snippet"]
    assert state.notifications_delivered() == 1
    assert deliver_due_notifications() == 0


def test_cancel_and_failure_are_notified_too(snap: Snap, bound: Bound,
                                             merchant: MerchantStub) -> None:
    cancelled = snap.pay(bound).json()["referenceNo"]
    failed = snap.pay(bound).json()["referenceNo"]
    customer.cancel_payment(cancelled)
    for _ in range(3):
        customer.confirm_payment(failed, otp="000000")

    deliver_due_notifications()

    statuses = [(n.json()["originalReferenceNo"], n.json()["latestTransactionStatus"])
                for n in merchant.notifications]
    assert statuses == [(cancelled, "05"), (failed, "06")]
    assert merchant.notifications[0].json()["transactionStatusDesc"] == "Canceled"


def test_non_2xx_answers_are_retried_on_dokus_schedule(snap: Snap, bound: Bound,
                                                       merchant: MerchantStub) -> None:
    merchant.notify_statuses = [500, 503, 401, 500]
    payment = snap.paid(bound)
    start = timezone.now()

    made = [deliver_due_notifications(start)]
    made.append(deliver_due_notifications(start + timedelta(seconds=1.7)))
    made.append(deliver_due_notifications(start + timedelta(seconds=1.9)))
    made.append(deliver_due_notifications(start + timedelta(seconds=21.7)))
    made.append(deliver_due_notifications(start + timedelta(seconds=43.3)))
    made.append(deliver_due_notifications(start + timedelta(hours=1)))

    assert made == [1, 0, 1, 1, 1, 0]
    [info] = state.notifications(payment["referenceNo"])
    assert info["status"] == "failed"
    assert [a["http_status"] for a in info["attempts"]] == [500, 503, 401, 500]
    attempted = NotificationAttempt.objects.order_by("pk").values_list("attempted_at", flat=True)
    assert [(t - start).total_seconds() for t in attempted] == [0, 1.9, 21.7, 43.3]
    assert state.notifications_sent(payment["referenceNo"]) == 4


def test_a_retry_that_succeeds_stops_the_schedule(snap: Snap, bound: Bound,
                                                  merchant: MerchantStub) -> None:
    merchant.notify_statuses = [502]
    snap.paid(bound)
    start = timezone.now()

    deliver_due_notifications(start)
    deliver_due_notifications(start + timedelta(seconds=2))

    assert [n["status"] for n in state.notifications()] == ["delivered"]
    assert deliver_due_notifications(start + timedelta(hours=1)) == 0


def test_a_refused_token_request_counts_as_a_failed_attempt(snap: Snap, bound: Bound,
                                                            merchant: MerchantStub) -> None:
    merchant.token_status = 401
    snap.paid(bound)

    deliver_due_notifications()

    [info] = state.notifications()
    assert merchant.notifications == []
    assert info["status"] == "pending"
    assert info["attempts"][0]["token_http_status"] == 401
    assert "refused" in info["attempts"][0]["error"]


def test_an_unreachable_merchant_is_retried(snap: Snap, bound: Bound,
                                            simulator_settings: Any) -> None:
    configure(simulator_settings, NOTIFICATION_URL="http://127.0.0.1:9/notify",
              MERCHANT_TOKEN_URL="http://127.0.0.1:9/token", HTTP_TIMEOUT=1)
    snap.paid(bound)

    assert deliver_due_notifications() == 1

    [info] = state.notifications()
    assert info["status"] == "pending"
    assert "ConnectionError" in info["attempts"][0]["error"]


def test_default_urls_use_the_host_of_the_payment_request(snap: Snap, bound: Bound) -> None:
    snap.paid(bound)

    deliver_due_notifications()

    [info] = state.notifications()
    assert info["attempts"][0]["url"] == "http://testserver/doku-allo/v1.0/debit/notify"


def test_resend_delivers_a_failed_notification(snap: Snap, bound: Bound,
                                               merchant: MerchantStub,
                                               simulator_settings: Any) -> None:
    configure(simulator_settings, NOTIFICATION_RETRY_DELAYS=[0])
    merchant.notify_statuses = [500]
    payment = snap.paid(bound)
    deliver_due_notifications()
    assert state.notifications()[0]["status"] == "failed"

    assert resend_notification(payment["partnerReferenceNo"]) is True

    [info] = state.notifications()
    assert info["status"] == "delivered"
    assert [a["manual"] for a in info["attempts"]] == [False, True]


def test_a_failed_resend_leaves_the_schedule_alone(snap: Snap, bound: Bound,
                                                   merchant: MerchantStub) -> None:
    merchant.notify_statuses = [500]
    payment = snap.paid(bound)

    assert resend_notification(payment["referenceNo"]) is False

    [info] = state.notifications()
    assert info["status"] == "pending"
    assert deliver_due_notifications() == 1
    assert state.notifications()[0]["status"] == "delivered"


def test_resend_without_a_notification_is_a_lookup_error(snap: Snap, bound: Bound) -> None:
    reference_no = snap.pay(bound).json()["referenceNo"]

    with pytest.raises(LookupError):
        resend_notification(reference_no)


def test_without_dokus_private_key_no_notification_can_be_sent(
        snap: Snap, bound: Bound, merchant: MerchantStub, simulator_settings: Any) -> None:
    snap.paid(bound)
    configure(simulator_settings, PRIVATE_KEY=None)

    deliver_due_notifications()

    assert merchant.token_requests == []
    assert "PRIVATE_KEY" in state.notifications()[0]["attempts"][0]["error"]


@pytest.mark.django_db(transaction=True)
def test_thread_mode_delivers_without_being_asked_then_the_thread_ends(merchant: MerchantStub,
                                                  simulator_settings: Any) -> None:
    configure(simulator_settings, DELIVERY_MODE="thread")
    snap = Snap(Client())
    snap.paid(snap.bound_customer())

    deadline = time.monotonic() + 10
    while (not merchant.notifications or worker.is_running()) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert len(merchant.notifications) == 1
    assert merchant.notifications[0].json()["latestTransactionStatus"] == "00"
    assert not worker.is_running()  # nothing left to send: the thread ended by itself


@pytest.mark.django_db(transaction=True)
def test_thread_mode_retries_on_schedule(merchant: MerchantStub,
                                         simulator_settings: Any) -> None:
    configure(simulator_settings, DELIVERY_MODE="thread",
              NOTIFICATION_RETRY_DELAYS=[0, 0.2, 0.4])
    merchant.notify_statuses = [500, 500]
    snap = Snap(Client())
    snap.paid(snap.bound_customer())

    deadline = time.monotonic() + 10
    while len(merchant.notifications) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop()

    assert len(merchant.notifications) == 3
    assert state.notifications()[0]["status"] == "delivered"
