"""No authCode, token or secret is at rest in clear (finding 3).

The whole flow runs against the simulator over real HTTP (link, a failed link,
pay, notification, refund, unlink); every authCode, token and JWT that passes
through is remembered, as the suite's log guard does (``tests/conftest.py``,
``_no_secret_in_logs``), and then every column of every row of every model of
the app is read back raw, with SQL, and searched for them. Encrypted columns
pass; a raw DOKU answer stored whole would not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import connection

from django_doku_allo import services
from django_doku_allo.inbound import auth as notification_auth
from django_doku_allo.simulator import customer as sim_customer
from django_doku_allo.snap.client import AlloClient
from django_doku_allo.snap.messages import AccountBindingResponse, B2B2CToken
from tests.flows import CUSTOMER, bind, deliver, pay, return_url
from tests.settings import CLIENT_SECRET

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def secrets_seen(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every secret that passes through the client and our token endpoint."""
    seen: set[str] = {CLIENT_SECRET}

    def remember(*values: str | None) -> None:
        seen.update(v for v in values if v and len(v) >= 8)

    def wrap_classmethod(cls: Any, name: str, secrets_of: Any) -> None:
        original = getattr(cls, name).__func__

        def wrapper(klass: Any, *args: Any) -> Any:
            result = original(klass, *args)
            remember(*secrets_of(result))
            return result

        monkeypatch.setattr(cls, name, classmethod(wrapper))

    wrap_classmethod(B2B2CToken, "from_response", lambda t: (t.access_token, t.refresh_token))
    wrap_classmethod(AccountBindingResponse, "from_response", lambda r: (r.auth_code,))
    fetch, issue = AlloClient.fetch_b2b_token, notification_auth.issue_token

    def fetch_b2b_token(self: AlloClient) -> Any:
        token = fetch(self)
        remember(token.access_token)
        return token

    def issue_token() -> tuple[str, int]:
        token, lifetime = issue()
        remember(token)
        return token, lifetime

    monkeypatch.setattr(AlloClient, "fetch_b2b_token", fetch_b2b_token)
    monkeypatch.setattr(notification_auth, "issue_token", issue_token)
    return seen


def every_stored_value() -> Iterator[tuple[str, str]]:
    """(table.column, value as text) for every column of every row of the app's models."""
    with connection.cursor() as cursor:
        for model in apps.get_app_config("doku_allo").get_models():
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            names = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for name, value in zip(names, row, strict=True):
                    if value is not None:
                        yield f"{table}.{name}", str(value)


def test_no_secret_of_the_whole_flow_is_stored_in_clear(
        live_simulator: Any, user: Any, django_user_model: Any, secrets_seen: set[str]) -> None:
    binding = bind(live_simulator, user)
    payment = pay(binding)
    sim_customer.confirm_payment(payment.reference_no)
    assert deliver() >= 1
    services.refund(payment, reason="Customer changed their mind")
    services.unbind(binding, customer=CUSTOMER)
    # A link that fails after DOKU answered: its answer (with the authCode) is kept.
    other = django_user_model.objects.create_user(username="budi")
    start = services.begin_binding(user=other, phone_number="6281100000001",
                                   customer=CUSTOMER, return_url=return_url(live_simulator))
    services.fail_binding(start.binding, "customer gave up")

    stored = list(every_stored_value())

    assert len(secrets_seen) >= 5  # B2B token, our JWT, 2 authCodes, the token pair
    assert {column for column, _ in stored} >= {"doku_allo_binding.raw",
                                               "doku_allo_payment.raw",
                                               "doku_allo_refund.raw"}
    leaks = [(column, secret[:6]) for column, value in stored for secret in secrets_seen
             if secret in value]
    assert not leaks, f"secrets at rest in clear: {leaks}"


def test_redact_body_reaches_nested_secrets_and_keeps_the_rest() -> None:
    from django_doku_allo.snap.redaction import redact_body

    answer = {"responseCode": "2000700", "referenceNo": "R1", "additionalInfo": {
        "authCode": "a" * 20, "status": "PENDING", "refresh_token": "",
        "tokens": [{"accessToken": "t" * 20, "tokenType": "Bearer"}]}}

    assert redact_body(answer) == {"responseCode": "2000700", "referenceNo": "R1",
                                   "additionalInfo": {
        "authCode": "[redacted]", "status": "PENDING", "refresh_token": "",
        "tokens": [{"accessToken": "[redacted]", "tokenType": "Bearer"}]}}
