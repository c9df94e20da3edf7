"""Fixtures shared by the whole suite."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.dispatch import Signal
from django.utils import timezone

from django_doku_allo import conf
from django_doku_allo.models import Binding, BindingStatus, Payment, PaymentStatus
from django_doku_allo.snap.signing import new_external_id
from tests.support.fake_client import FakeAlloClient
from tests.support.fake_client import install as install_fake_client


@pytest.fixture(autouse=True)
def _fresh_doku_settings() -> Iterator[None]:
    from django.core.cache import cache

    conf.reset()
    cache.clear()  # a B2B token cached by an earlier test names a flushed simulator
    yield
    conf.reset()


@pytest.fixture
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SELECT ... FOR UPDATE); set DATABASE_URL")


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="siti", password="pw-12345678")


@pytest.fixture
def make_binding(user: Any) -> Callable[..., Binding]:
    def make(**fields: Any) -> Binding:
        defaults: dict[str, Any] = {
            "user": user,
            "phone_number": "6281100000001",
            "cust_id_merchant": str(user.pk),
            "status": BindingStatus.ACTIVE,
            "external_id": new_external_id(),
            "auth_code": "auth-code-1",
            "access_token": "customer-token-1",
            "access_token_expires_at": timezone.now() + timedelta(days=1),
            "customer_ip": "10.20.30.40",
        }
        defaults.update(fields)
        return Binding.objects.create(**defaults)

    return make


@pytest.fixture
def make_payment(make_binding: Callable[..., Binding]) -> Callable[..., Payment]:
    def make(binding: Binding | None = None, **fields: Any) -> Payment:
        binding = binding or make_binding()
        defaults: dict[str, Any] = {
            "binding": binding,
            "user": binding.user,
            "partner_reference_no": "ALLO" + new_external_id(),
            "reference_no": "DOKU" + new_external_id()[:12],
            "external_id": new_external_id(),
            "amount": Decimal("150000.00"),
            "description": "Batik shirt",
            "status": PaymentStatus.PENDING,
            "customer_ip": "10.20.30.40",
        }
        defaults.update(fields)
        return Payment.objects.create(**defaults)

    return make


class SignalRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Signal, dict[str, Any]]] = []

    def __call__(self, signal: Signal) -> list[dict[str, Any]]:
        return [kwargs for sent, kwargs in self.calls if sent is signal]


@pytest.fixture
def signals_sent() -> Iterator[SignalRecorder]:
    """Records every django_doku_allo signal sent during the test."""
    from django_doku_allo import signals

    recorder = SignalRecorder()
    receivers = []
    for name in ("binding_activated", "binding_failed", "binding_unbound", "payment_succeeded",
                 "payment_failed", "payment_refunded", "refund_failed",
                 "notification_received", "payment_needs_attention"):
        signal = getattr(signals, name)

        def receiver(sender: Any, signal: Signal = signal, **kwargs: Any) -> None:
            recorder.calls.append((signal, kwargs))

        signal.connect(receiver, weak=False)
        receivers.append((signal, receiver))
    yield recorder
    for signal, receiver in receivers:
        signal.disconnect(receiver)


@pytest.fixture
def live_simulator(live_server: Any, settings: Any) -> Iterator[Any]:
    """The DOKU simulator served by a real HTTP server, with this site as the merchant.

    Notifications are delivered when the test calls ``deliver()``.
    """
    from django_doku_allo.testing import doku_simulator

    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "READ_TIMEOUT": 2.0, "DEADLINE": 5.0}
    with doku_simulator(live_server.url):
        yield live_server


@pytest.fixture
def fake_client(settings: Any) -> FakeAlloClient:
    """A fake DOKU client the services use, installed through ``CLIENT_FACTORY``."""
    return install_fake_client(settings)


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.texts.append(f"{record.name}: {text}")


#: The phones the suite uses (the simulator's test accounts and the fixtures').
PHONE_RE = re.compile(r"(?<!\d)(?:628110000000\d|6281234567890)(?!\d)")


@pytest.fixture(autouse=True)
def _no_secret_in_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Across the whole suite: no log line or error mail holds a secret or a full phone.

    Every token, authCode and JWT that passes through the client or our token
    endpoint is remembered, then searched for in everything logged.
    """
    from django.core import mail

    from django_doku_allo.inbound import auth as notification_auth
    from django_doku_allo.snap.client import AlloClient
    from django_doku_allo.snap.messages import AccountBindingResponse, B2B2CToken
    from tests.settings import CLIENT_SECRET

    secrets_seen: set[str] = {CLIENT_SECRET}

    def remember(*values: str | None) -> None:
        secrets_seen.update(v for v in values if v and len(v) >= 8)

    fetch = AlloClient.fetch_b2b_token

    def fetch_b2b_token(self: AlloClient) -> Any:
        token = fetch(self)
        remember(token.access_token)
        return token

    b2b2c = B2B2CToken.from_response.__func__  # type: ignore[attr-defined]
    binding = AccountBindingResponse.from_response.__func__  # type: ignore[attr-defined]

    def b2b2c_from_response(cls: Any, response: Any) -> Any:
        token = b2b2c(cls, response)
        remember(token.access_token, token.refresh_token)
        return token

    def binding_from_response(cls: Any, response: Any) -> Any:
        result = binding(cls, response)
        remember(result.auth_code)
        return result

    issue = notification_auth.issue_token

    def issue_token() -> tuple[str, int]:
        token, lifetime = issue()
        remember(token)
        return token, lifetime

    monkeypatch.setattr(AlloClient, "fetch_b2b_token", fetch_b2b_token)
    monkeypatch.setattr(B2B2CToken, "from_response", classmethod(b2b2c_from_response))
    monkeypatch.setattr(AccountBindingResponse, "from_response",
                        classmethod(binding_from_response))
    monkeypatch.setattr(notification_auth, "issue_token", issue_token)

    recorder = _Recorder()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(recorder)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(recorder)
        root.setLevel(previous_level)
    texts = recorder.texts + [f"mail: {m.subject}\n{m.body}" for m in mail.outbox]
    for text in texts:
        leaked = [s for s in secrets_seen if s in text]
        assert not leaked, f"secret in log: {text[:300]}"
        assert "PRIVATE KEY" not in text, f"private key in log: {text[:300]}"
        assert not PHONE_RE.search(text), f"full phone number in log: {text[:300]}"
