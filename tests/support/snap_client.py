"""What the SNAP client's tests share: its configuration, example requests, wire checks.

The signature here is computed independently of the code under test, over the exact
bytes a server received: if it matches, the client signed the bytes it sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django_doku_allo.snap.client import AlloClient
from django_doku_allo.snap.config import SnapConfig
from django_doku_allo.snap.messages import (
    AccountBindingRequest,
    CheckStatusRequest,
    CustomerContext,
    LineItem,
    PaymentRequest,
    RefundRequest,
)
from django_doku_allo.snap.signing import load_private_key, minify, parse_snap_timestamp
from django_doku_allo.snap.transport import HttpReply
from tests.support.fake_doku import Recorded

__all__ = [
    "BINDING", "CHANNEL", "CLIENT_ID", "CLIENT_SECRET", "CUSTOMER", "CUSTOMER_TOKEN", "PAYMENT",
    "REFUND", "STATUS", "Attempt", "ClientFactory", "RecordingTransport", "assert_signed_call",
    "make_config", "raw_symmetric_signature",
]

CLIENT_ID = "BRN-0001-1700000000001"
CLIENT_SECRET = "SK-snap-tests-9c2e4f7a1b"
CHANNEL = "DIRECT_DEBIT_ALLO_SNAP"

# --------------------------------------------------------------------------- requests
CUSTOMER = CustomerContext(ip_address="10.0.0.1", device_id="95221")
CUSTOMER_TOKEN = "customer-token-XYZ"
BINDING = AccountBindingRequest(
    phone_no="6281234567890", cust_id_merchant="cust-001", customer_name="Siti Café",
    success_registration_url="https://shop.example/bind/ok?state=a/b",
    failed_registration_url="https://shop.example/bind/fail", device_model="iPhone 12",
    os_type="ios", channel_id="web")
PAYMENT = PaymentRequest(
    partner_reference_no="INV-0001", amount=Decimal("10000"), remarks="Order INV-0001",
    success_payment_url="https://shop.example/pay/ok",
    failed_payment_url="https://shop.example/pay/fail",
    line_items=[LineItem("Bag", Decimal("10000"), 1)])
REFUND = RefundRequest(
    original_partner_reference_no="INV-0001", original_reference_no="REF-1",
    original_external_id="123456789012345678901234", refund_amount=Decimal("10000"),
    partner_refund_no="RF" + "0" * 30, reason="Customer complaint")
STATUS = CheckStatusRequest(original_partner_reference_no="INV-0001",
                            original_reference_no="REF-1", original_external_id="42")


# --------------------------------------------------------------------------- the client
def make_config(base_url: str, private_key_pem: str, **overrides: Any) -> SnapConfig:
    """Small timeouts so the failure tests stay fast."""
    options: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "connect_timeout": 0.5,
        "read_timeout": 0.3,
        "deadline": 2.0,
        "connect_retries": 2,
        "connect_retry_backoff": 0.01,
        "token_lock_timeout": 3.0,
    }
    options.update(overrides)
    return SnapConfig(base_url=base_url, private_key=load_private_key(private_key_pem),
                      **options)


ClientFactory = Callable[..., AlloClient]


@dataclass
class Attempt:
    url: str
    body: bytes
    headers: dict[str, str]


class RecordingTransport:
    """Wraps the client's real transport: records what the client hands it and may
    send an attempt to another URL (e.g. a refusing port). The HTTP is still real."""

    def __init__(self, real: Any, reroute: Callable[[str, int], str | None]) -> None:
        self.real = real
        self.reroute = reroute
        self.attempts: list[Attempt] = []

    def post(self, url: str, body: bytes, headers: Mapping[str, str], *,
             deadline: float | None = None) -> HttpReply:
        self.attempts.append(Attempt(url, body, dict(headers)))
        target = self.reroute(url, len(self.attempts)) or url
        return self.real.post(target, body, headers, deadline=deadline)

    def attempts_to(self, path: str) -> list[Attempt]:
        return [a for a in self.attempts if a.url.endswith(path)]


# --------------------------------------------------------------------------- the wire
TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00")


def raw_symmetric_signature(secret: str, method: str, path: str, token: str, raw_body: bytes,
                            timestamp: str) -> str:
    """The SNAP symmetric signature over *exactly* ``raw_body``, computed independently
    of the code under test: if it matches what the client sent, the client signed the
    bytes it sent."""
    digest = hashlib.sha256(raw_body).hexdigest()
    message = f"{method}:{path}:{token}:{digest}:{timestamp}"
    mac = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha512).digest()
    return base64.b64encode(mac).decode("ascii")


def assert_signed_call(request: Recorded, *, b2b_token: str) -> None:
    """The SNAP headers every transactional call carries, and a signature over exactly
    the bytes the server received (recomputed here, independently of the client)."""
    assert request.method == "POST"
    assert request.header("Content-Type") == "application/json"
    timestamp = request.header("X-TIMESTAMP") or ""
    assert TIMESTAMP_RE.fullmatch(timestamp)
    parse_snap_timestamp(timestamp)
    assert request.header("X-PARTNER-ID") == CLIENT_ID
    external_id = request.header("X-EXTERNAL-ID") or ""
    assert external_id.isdigit()
    assert len(external_id) <= 36
    assert request.header("CHANNEL-ID") == "H2H"
    assert request.header("Authorization") == f"Bearer {b2b_token}"
    assert request.header("X-SIGNATURE") == raw_symmetric_signature(
        CLIENT_SECRET, "POST", request.path, b2b_token, request.body, timestamp)
    # The bytes sent are the canonical compact form: hashed == sent.
    assert request.body == minify(request.json()).encode("utf-8")
