"""Helpers for testing code that uses django-doku-allo (public API).

Build a notification exactly as DOKU sends it, with a token from our own token
endpoint and DOKU's symmetric signature, and post it through Django's test
client::

    from django_doku_allo.testing import post_notification

    response = post_notification(client, payment, status="00")
    assert response.status_code == 200

Or run your code against the DOKU simulator served by pytest-django's
``live_server`` (the simulator app installed and mounted at ``doku-simulator/``)::

    with doku_simulator(live_server.url):
        start = services.begin_binding(...)
        simulator.customer.complete_binding(start.binding.auth_code)

Or replace DOKU altogether with a client of your own (a fake answering as DOKU
would) through the one seam the library offers, no patching needed::

    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "CLIENT_FACTORY": lambda: fake}
    # or a dotted path: "myshop.tests.fakes.build_client"
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from .conf import doku_settings
from .inbound import auth as notification_auth
from .models import Payment
from .snap.messages import format_amount
from .snap.signing import minify, new_external_id, snap_timestamp, symmetric_signature

__all__ = [
    "doku_simulator",
    "notification_body",
    "notification_headers",
    "notification_path",
    "post_notification",
]


def notification_path() -> str:
    return reverse("doku_allo:notification")


def notification_body(payment: Payment, status: str = "00", **overrides: Any) -> dict[str, Any]:
    """The body DOKU sends when ``payment`` ends with ``latestTransactionStatus`` ``status``."""
    body: dict[str, Any] = {
        "originalPartnerReferenceNo": payment.partner_reference_no,
        "originalReferenceNo": payment.reference_no,
        "originalExternalId": payment.external_id,
        "latestTransactionStatus": status,
        "transactionStatusDesc": {"00": "Success", "05": "Canceled", "06": "Failed"}.get(
            status, "Pending"),
        "amount": {"value": format_amount(payment.amount), "currency": payment.currency},
        "additionalInfo": {
            "channelId": "DIRECT_DEBIT_ALLO_SNAP",
            "acquirerId": "ALLO_BANK",
            "custIdMerchant": payment.binding.cust_id_merchant,
            "accountType": "DIRECT_DEBIT",
        },
    }
    body.update(overrides)
    return body


def notification_headers(
    body: Mapping[str, Any] | str,
    *,
    path: str | None = None,
    token: str | None = None,
    timestamp: str | None = None,
    client_secret: str | None = None,
) -> dict[str, str]:
    """Headers DOKU would send with ``body``: token from our endpoint, symmetric signature."""
    path = path or notification_path()
    token = token if token is not None else notification_auth.issue_token()[0]
    timestamp = timestamp or snap_timestamp()
    text = body if isinstance(body, str) else minify(dict(body))
    return {
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": symmetric_signature(client_secret or doku_settings.CLIENT_SECRET,
                                           "POST", path, token, text, timestamp),
        "X-PARTNER-ID": doku_settings.CLIENT_ID,
        "X-EXTERNAL-ID": new_external_id(),
        "X-IP-ADDRESS": "103.10.20.30",
        "X-DEVICE-ID": "DOKU",
        "Authorization": f"Bearer {token}",
        "Authorization-Customer": f"Bearer {token}",
    }


def post_notification(client: Client, payment: Payment, status: str = "00",
                      **overrides: Any) -> Any:
    """Sign and POST a notification for ``payment`` through Django's test ``client``."""
    body = minify(notification_body(payment, status, **overrides))
    headers = notification_headers(body)
    return client.post(notification_path(), data=body, content_type="application/json",
                       headers=headers)


@contextmanager
def doku_simulator(site_url: str, *, prefix: str = "/doku-simulator",
                   delivery_mode: str = "manual") -> Iterator[None]:
    """Point ``DOKU_ALLO`` at the simulator served at ``site_url + prefix`` for the block.

    Notifications are sent only when the test calls
    ``simulator.notifications.deliver_due_notifications()`` (``delivery_mode="manual"``),
    and injected faults are cleared before and after. Needs
    ``django_doku_allo.simulator`` in ``INSTALLED_APPS``.
    """
    from .conf import reset
    from .simulator import faults  # only here: the library itself never needs the simulator

    site_url = site_url.rstrip("/")
    doku_allo = {**getattr(settings, "DOKU_ALLO", {}), "ENVIRONMENT": "simulator",
                 "BASE_URL": f"{site_url}{prefix}", "PUBLIC_BASE_URL": site_url}
    simulator = {**getattr(settings, "DOKU_ALLO_SIMULATOR", {}),
                 "DELIVERY_MODE": delivery_mode}
    with override_settings(DOKU_ALLO=doku_allo, DOKU_ALLO_SIMULATOR=simulator):
        reset()
        faults.reset()
        try:
            yield
        finally:
            faults.reset()
    reset()
