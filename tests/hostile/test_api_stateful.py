"""A stateful run over the REST API: real sequences of calls, never a 5xx.

Hypothesis drives a customer and a staff member through sequences the schema fuzz
cannot reach (link, pay, replay with the same Idempotency-Key or another body,
refund, sync, follow and tamper with the cursors the lists returned, unlink), and
after every step checks that no answer was a 5xx and that an Idempotency-Key never
made a second payment.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from django_doku_allo.models import Payment, Refund

pytestmark = pytest.mark.django_db

amounts = st.sampled_from(["1.00", "150000.00", "0.00", "-5", "1e3", "99999999999999999.99",
                           "abc", "12.345"])
descriptions = st.sampled_from(["Batik shirt", "", "x" * 41, "Kopi \u2615", "\x00"])
keys = st.sampled_from(["", "order-1", "order-2", "k" * 256, "with space"])
cursor_noise = st.sampled_from(["", "cD0w", "%00", "cD0yMDI2", "!!", "cj0xJnA9MA=="])


def run_api_state_machine(customer: Client, staff: Client, active_binding: int) -> None:
    class Api(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.answers: list[int] = []
            self.bindings: list[int] = [active_binding]
            self.payments: list[int] = []
            self.refunds: list[int] = []
            self.cursors: list[str] = []

        def _call(self, client: Client, method: str, url: str, body: Any = None,
                  **headers: str) -> Any:
            response = client.generic(method, url, data="" if body is None else body,
                                      content_type="application/json", headers=headers)
            self.answers.append(response.status_code)
            assert response.status_code < 500, (method, url, response.content[:300])
            return response

        @rule()
        def link(self) -> None:
            response = self._call(customer, "POST", "/api/bindings/",
                                  '{"phone_number": "6281100000001"}', **{"X-Device-ID": "p7"})
            if response.status_code == 201:
                self.bindings.append(response.json()["id"])

        @rule(amount=amounts, description=descriptions, key=keys)
        def pay(self, amount: str, description: str, key: str) -> None:

            body = json.dumps({"binding": self.bindings[0], "amount": amount,
                               "description": description})
            headers = {"Idempotency-Key": key} if key else {}
            response = self._call(customer, "POST", "/api/payments/", body, **headers)
            if response.status_code == 201:
                self.payments.append(response.json()["id"])

        @rule(data=st.data())
        def refund(self, data: st.DataObject) -> None:
            if not self.payments:
                return
            pk = data.draw(st.sampled_from(self.payments))
            self._call(staff, "POST", f"/api/payments/{pk}/sync/")  # staff check, then refund
            response = self._call(staff, "POST", f"/api/payments/{pk}/refund/",
                                  '{"reason": "Out of stock"}')
            if response.status_code == 201:
                self.refunds.append(response.json()["id"])

        @rule(data=st.data())
        def sync(self, data: st.DataObject) -> None:
            if self.payments:
                self._call(customer, "POST",
                           f"/api/payments/{data.draw(st.sampled_from(self.payments))}/sync/")
            if self.refunds:
                self._call(staff, "POST",
                           f"/api/refunds/{data.draw(st.sampled_from(self.refunds))}/sync/")

        @rule(url=st.sampled_from(["/api/payments/", "/api/bindings/", "/api/refunds/"]),
              noise=cursor_noise, data=st.data())
        def list_pages(self, url: str, noise: str, data: st.DataObject) -> None:
            cursor = data.draw(st.sampled_from(self.cursors)) if self.cursors else ""
            response = self._call(customer, "GET",
                                  f"{url}?page_size=1&cursor={cursor}{noise}")
            if response.status_code == 200:
                following = response.json().get("next")
                if following:
                    self.cursors += parse_qs(urlsplit(following).query).get("cursor", [])

        @rule(data=st.data())
        def unlink(self, data: st.DataObject) -> None:
            # Only bindings this run linked: the rows outlive each example, and the
            # seeded active one must stay to pay with.
            if len(self.bindings) > 1:
                pk = data.draw(st.sampled_from(self.bindings[1:]))
                self._call(customer, "DELETE", f"/api/bindings/{pk}/")

        @invariant()
        def one_payment_per_idempotency_key(self) -> None:
            keyed = Payment.objects.exclude(idempotency_key="").values_list(
                "user_id", "idempotency_key")
            assert len(keyed) == len(set(keyed))

    run_state_machine_as_test(Api, settings=settings(
        max_examples=40, stateful_step_count=25, deadline=None, database=None,
        derandomize=True, suppress_health_check=list(HealthCheck)))


def test_sequences_of_api_calls_never_answer_5xx(
    api: Client, staff_member: Client, fake_client: Any, settings: Any, make_binding: Any,
) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "PUBLIC_BASE_URL": "http://testserver"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}

    run_api_state_machine(api, staff_member, make_binding().pk)

    # The sequences got past linking into paying and refunding, not only refusals.
    assert Payment.objects.exists()
    assert Refund.objects.exists()


@pytest.fixture
def staff_member(django_user_model: Any) -> Client:
    from django.contrib.auth.models import Permission

    member = django_user_model.objects.create_user(username="dewi", password="x",
                                                   is_staff=True)
    member.user_permissions.add(Permission.objects.get(codename="can_refund"))
    client = Client()
    client.force_login(member)
    return client
