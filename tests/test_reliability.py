"""What the merchant's money survives: timeouts after debit, hostile bodies, redirects."""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import pytest
from django.test import Client

from django_doku_allo import conf, services
from django_doku_allo.models import Notification, PaymentStatus
from django_doku_allo.simulator import faults, state
from django_doku_allo.snap.signing import minify
from django_doku_allo.testing import notification_body, notification_headers, notification_path
from tests.flows import CUSTOMER, bind, follow, pay, return_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.slow
def test_hundreds_of_read_timeouts_after_the_debit_never_debit_twice(
    live_simulator: Any, user: Any, settings: Any,
) -> None:
    binding = bind(live_simulator, user)
    # Short timeouts only while paying: the settling below must not time out on a
    # busy CI machine, or the test would be about the machine, not the debit.
    patient = settings.DOKU_ALLO
    settings.DOKU_ALLO = {**patient, "READ_TIMEOUT": 0.5, "DEADLINE": 2.0}
    conf.reset()
    rounds = 200
    payments = []
    for number in range(rounds):
        # Every tenth answer never comes (a real read timeout); the others arrive
        # truncated or as a proxy's HTML 502: each time after the debit was made.
        if number % 10 == 0:
            faults.drop_response("payment", mode="html502", delay=0.7)
        else:
            faults.drop_response("payment", mode="truncated" if number % 2 else "html502")
        payments.append(pay(binding, amount="1000.00"))

    assert {p.status for p in payments} == {PaymentStatus.UNKNOWN}
    settings.DOKU_ALLO = patient
    conf.reset()
    settled = [services.sync_payment(p) for p in payments]
    assert {p.status for p in settled} == {PaymentStatus.SUCCEEDED}
    assert state.debit_count(phone="6281100000001") == rounds


class EndlessBody:
    """A request body of ``size`` bytes that exists only as it is read; counts reads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.consumed = 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.consumed if n is None or n < 0 else n
        n = max(0, min(n, self.size - self.consumed))
        self.consumed += n
        return b"x" * n

    def readline(self, limit: int = -1) -> bytes:
        return self.read(limit if limit and limit > 0 else 65536)


def call_wsgi(body: EndlessBody, content_length: int | None) -> int:
    from django.core.handlers.wsgi import WSGIHandler

    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": notification_path(), "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "wsgi.url_scheme": "http",
        "wsgi.input": body, "wsgi.errors": None, "CONTENT_TYPE": "application/json",
        "REMOTE_ADDR": "127.0.0.1",
    }
    if content_length is not None:
        environ["CONTENT_LENGTH"] = str(content_length)
    statuses: list[str] = []
    WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
    return int(statuses[0].split()[0])


@pytest.mark.parametrize("declared", [True, False])
def test_50_mb_notification_is_refused_after_reading_at_most_the_cap(declared: bool) -> None:
    size = 50 * 1024 * 1024
    body = EndlessBody(size)
    cap = conf.doku_settings.NOTIFICATION_MAX_BODY_BYTES

    tracemalloc.start()
    started = time.monotonic()
    # Undeclared: a lying Content-Length of 60 MB with the read capped all the same.
    status = call_wsgi(body, size if declared else size + 10 * 1024 * 1024)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert status == 400
    assert body.consumed <= cap + 1
    assert elapsed < 2
    assert peak < 4 * 1024 * 1024
    assert Notification.objects.get().body == ""


def test_2_6_mb_notification_is_refused_before_verification(client: Any, make_payment: Any
                                                            ) -> None:
    payment = make_payment()
    body = minify(notification_body(payment, "00", padding="y" * 2_600_000))

    response = client.post(notification_path(), data=body, content_type="application/json",
                           headers=notification_headers(body))

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "cp1252"])
def test_notification_in_another_charset_is_a_clean_400(client: Any, make_payment: Any,
                                                        encoding: str) -> None:
    payment = make_payment()
    text = minify(notification_body(payment, "00", transactionStatusDesc="Sukses é"))
    headers = notification_headers(text)

    response = client.post(notification_path(), data=text.encode(encoding),
                           content_type="application/json",
                           headers=headers)

    assert 400 <= response.status_code < 500
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_notification_replayed_hours_later_changes_nothing_more(
    client: Any, make_payment: Any, signals_sent: Any,
) -> None:
    # Within DOKU's retry window a replay is accepted (DOKU's own retries may keep their
    # first X-TIMESTAMP): it is DOKU's signed word about this one payment, and
    # processing is idempotent, so replaying it restates what already happened.
    from datetime import datetime, timedelta, timezone

    from django_doku_allo import signals
    from django_doku_allo.snap.signing import snap_timestamp

    payment = make_payment()
    body = minify(notification_body(payment, "06"))
    captured = notification_headers(
        body, timestamp=snap_timestamp(datetime.now(timezone.utc) - timedelta(hours=3)))
    first = client.post(notification_path(), data=body, content_type="application/json",
                        headers=notification_headers(body))

    replayed = client.post(notification_path(), data=body, content_type="application/json",
                           headers=captured)

    assert (first.status_code, replayed.status_code) == (200, 200)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert len(signals_sent(signals.payment_failed)) == 1


@pytest.mark.parametrize("target", [
    "https://evil.example/phish",
    "//evil.example/phish",
    "https:/\\evil.example",
    "javascript:alert(1)",
])
def test_binding_return_never_redirects_off_site(
        live_simulator: Any, user: Any, target: str) -> None:
    from urllib.parse import urlencode

    from django_doku_allo.simulator import customer as sim_customer

    start = services.begin_binding(
        user=user, phone_number="6281100000001", customer=CUSTOMER,
        return_url=f"{return_url(live_simulator)}?{urlencode({'next': target})}")
    page = sim_customer.complete_binding(start.binding.auth_code)

    response = follow(Client(), page.redirect_url)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_binding_return_follows_a_same_site_next(live_simulator: Any, user: Any) -> None:
    from django_doku_allo.simulator import customer as sim_customer

    start = services.begin_binding(user=user, phone_number="6281100000001",
                                   customer=CUSTOMER,
                                   return_url=f"{return_url(live_simulator)}?next=/account/")
    page = sim_customer.complete_binding(start.binding.auth_code)

    response = follow(Client(), page.redirect_url)

    assert response["Location"] == "/account/"


@pytest.mark.parametrize("query", ["", "?state=", "?state=" + "x" * 500, "?result=success"])
def test_binding_return_without_a_usable_state_is_a_400(client: Any, query: str) -> None:
    response = client.get(f"/doku-allo/binding/return/{query}")

    assert response.status_code == 400


def test_forged_payment_return_link_is_a_400(client: Any, make_payment: Any) -> None:
    payment = make_payment()

    response = client.get("/doku-allo/payment/return/",
                          {"payment": payment.partner_reference_no, "result": "success"})

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.parametrize("path", [
    "/api/payments/", "/api/payments/1/refund/", "/api/bindings/",
    "/admin/doku_allo/payment/", "/admin/doku_allo/binding/",
    "/doku-allo/v1.0/debit/notify", "/doku-allo/authorization/v1/access-token/b2b",
])
def test_money_moving_surfaces_opt_out_of_atomic_requests(path: str) -> None:
    """Services commit their intent before calling DOKU; ATOMIC_REQUESTS must not hold it."""
    from django.urls import resolve

    callback = resolve(path).func

    assert "default" in getattr(callback, "_non_atomic_requests", set())


def test_error_mail_of_a_failed_notification_carries_no_credential(
    client: Any, make_payment: Any, monkeypatch: pytest.MonkeyPatch, mailoutbox: Any,
) -> None:
    from django_doku_allo.testing import post_notification

    payment = make_payment()
    monkeypatch.setattr("django_doku_allo.services.payments.apply_doku_status",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("processing bug")))

    response = post_notification(client, payment, "00")

    assert response.status_code == 500
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert "processing bug" in body or "Internal Server Error" in mailoutbox[0].subject
    assert "Bearer" not in body
    assert "HTTP_AUTHORIZATION = '********************'" in body
    assert "HTTP_X_SIGNATURE = '********************'" in body
