"""Anyone can post to the notification URL: what they can make us store is bounded.

Finding 1 of the hostile-input issue: 1,000 random 64 KiB bodies added 134 MiB,
100 requests with ~720 KB of headers added 156 MiB, and each refusal saved the
whole row a second time.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_doku_allo.inbound.parsing import TRUNCATED_HEADER
from django_doku_allo.models import Notification
from django_doku_allo.snap.signing import minify
from django_doku_allo.testing import notification_body, notification_headers
from tests.inbound.helpers import post_raw

pytestmark = pytest.mark.django_db

UNSIGNED = {"X-TIMESTAMP": "2024-01-01T00:00:00+07:00", "X-SIGNATURE": "forged"}


def stored_bytes(notification: Notification) -> int:
    return len(notification.body.encode()) + sum(
        len(k.encode()) + len(v.encode()) for k, v in notification.headers.items())


def test_a_forged_delivery_with_720_kb_of_headers_stores_at_most_the_header_cap(
        client: Any) -> None:
    headers = {**UNSIGNED, **{f"X-Junk-{i}": "j" * 3600 for i in range(200)}}

    response = post_raw(client, "{}", headers)

    assert response.status_code == 401
    stored = Notification.objects.get()
    assert len(stored.headers) <= 40 + 1
    assert sum(len(k) + len(v) for k, v in stored.headers.items()) <= 4 * 1024 + 100
    assert "header(s) over the storage cap" in stored.headers[TRUNCATED_HEADER]
    assert stored.headers["X-Timestamp"] == UNSIGNED["X-TIMESTAMP"]


def test_many_small_headers_are_capped_by_count(client: Any, settings: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "NOTIFICATION_MAX_STORED_HEADERS": 5}

    post_raw(client, "{}", {**UNSIGNED, **{f"X-N-{i}": "1" for i in range(50)}})

    assert len(Notification.objects.get().headers) == 5 + 1


def test_a_forged_64_kib_body_is_stored_as_a_prefix_with_its_length_and_digest(
        client: Any) -> None:
    body = os.urandom(32 * 1024).hex().encode()  # 64 KiB, just under the body cap

    response = post_raw(client, body, UNSIGNED)

    assert response.status_code == 401
    stored = Notification.objects.get()
    assert stored.body == body[:2048].decode()
    assert stored.body_length == len(body)
    assert stored.body_sha256 == hashlib.sha256(body).hexdigest()
    assert not stored.verified
    assert stored.verification_error
    assert stored_bytes(stored) < 3 * 1024


def test_a_verified_delivery_keeps_its_whole_body(client: Any, make_payment: Any) -> None:
    payment = make_payment()
    body = minify(notification_body(payment, "00", padding="p" * 5000))

    response = post_raw(client, body, notification_headers(body))

    assert response.status_code == 200
    stored = Notification.objects.get()
    assert stored.verified
    assert stored.body == body
    assert stored.body_length == len(body.encode())


def test_a_refusal_is_stored_once_and_never_saved_again(client: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        post_raw(client, "x" * 60_000, UNSIGNED)

    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].startswith(("INSERT", "UPDATE")) and "doku_allo_notification" in q["sql"]]
    assert len(writes) == 1
    assert writes[0].startswith("INSERT")
    stored = Notification.objects.get()
    assert stored.verification_error
    assert len(stored.body) == 2048


def test_refused_deliveries_over_the_rate_bound_are_429_in_snap_form_and_not_stored(
        client: Any, settings: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "NOTIFICATION_RATE_LIMIT": 5}

    statuses = [post_raw(client, "{}", UNSIGNED).status_code for _ in range(5)]
    response = post_raw(client, "{}", UNSIGNED)

    assert statuses == [401] * 5
    assert response.status_code == 429
    assert response.json() == {"responseCode": "4295600", "responseMessage": "Too Many Requests"}
    assert Notification.objects.count() == 5


def test_the_rate_bound_is_per_address(client: Any, settings: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "NOTIFICATION_RATE_LIMIT": 1}
    post_raw(client, "{}", UNSIGNED)

    response = client.post("/doku-allo/v1.0/debit/notify", data="{}",
                           content_type="application/json", headers=UNSIGNED,
                           REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 401


def test_dokus_verified_deliveries_never_count_against_the_bound(
        client: Any, settings: Any, make_payment: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "NOTIFICATION_RATE_LIMIT": 2}
    payment = make_payment()
    body = minify(notification_body(payment, "00"))

    statuses = [post_raw(client, body, notification_headers(body)).status_code
                for _ in range(10)]

    assert statuses == [200] * 10


def test_prune_deletes_old_unverified_deliveries_and_keeps_verified_ones() -> None:
    old = timezone.now() - timedelta(days=8)
    stale = Notification.objects.create(verified=False)
    kept_verified = Notification.objects.create(verified=True)
    recent = Notification.objects.create(verified=False)
    Notification.objects.filter(pk__in=[stale.pk, kept_verified.pk]).update(received_at=old)

    call_command("doku_allo_prune_notifications", stdout=open(os.devnull, "w"))  # noqa: SIM115

    assert set(Notification.objects.values_list("pk", flat=True)) == {
        kept_verified.pk, recent.pk}


def test_prune_follows_the_retention_setting_and_can_dry_run(settings: Any, capsys: Any
                                                             ) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "NOTIFICATION_UNVERIFIED_RETENTION": 60}
    stale = Notification.objects.create(verified=False)
    Notification.objects.filter(pk=stale.pk).update(
        received_at=timezone.now() - timedelta(minutes=2))

    call_command("doku_allo_prune_notifications", "--dry-run")
    assert Notification.objects.count() == 1
    call_command("doku_allo_prune_notifications")

    assert not Notification.objects.exists()
    assert "1 unverified deliveries deleted." in capsys.readouterr().out
