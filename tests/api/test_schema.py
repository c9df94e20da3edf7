"""The OpenAPI schema describes the API truthfully: schemathesis fuzzes every operation.

Requests go through the WSGI application, as a real client's would, with DOKU
faked. Each operation gets a bounded number of generated requests, half of them
aimed at objects that exist. Valid requests must get a non-5xx answer whose
status, content type, headers and body the schema documents; invalid ones must
be refused with a 4xx, never a 5xx.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from django_doku_allo.models import Binding, Payment, PaymentStatus, Refund, RefundStatus
from tests.api.helpers import SPECTACULAR_SCHEMA
from tests.support.fake_client import FakeAlloClient

pytestmark = pytest.mark.django_db

CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance,
               response_headers_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 25
PASSWORD = "pw-schema-123"


@dataclass
class Shop:
    headers: dict[str, str]
    binding: Binding
    #: Collection name ("bindings", ...) -> the id of one object in it.
    existing: dict[str, int]


@pytest.fixture
def wsgi_app(settings: Any) -> Iterator[WSGIHandler]:
    # drf-spectacular's own views need it; set after the API views were imported, as
    # here, it must still work.
    settings.REST_FRAMEWORK = SPECTACULAR_SCHEMA
    # As Django's test client does, keep the connection open around each request:
    # closing it would end the test's transaction.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def shop(django_user_model: Any, make_binding: Callable[..., Binding],
         make_payment: Callable[..., Payment], fake_client: FakeAlloClient) -> Shop:
    """A superuser (so refunds are allowed) with a binding, a payment and a refund."""
    owner = django_user_model.objects.create_superuser(username="owner", password=PASSWORD)
    binding = make_binding(user=owner)
    payment = make_payment(binding=binding, status=PaymentStatus.SUCCEEDED)
    refunded = make_payment(binding=binding, status=PaymentStatus.REFUNDED)
    refund = Refund.objects.create(payment=refunded, partner_refund_no="RFND" + "0" * 36,
                                   external_id="1" * 24, amount=refunded.amount,
                                   status=RefundStatus.SUCCEEDED)
    credentials = base64.b64encode(f"owner:{PASSWORD}".encode()).decode()
    return Shop(headers={"Authorization": f"Basic {credentials}"}, binding=binding,
                existing={"bindings": binding.pk, "payments": payment.pk,
                          "refunds": refund.pk})


def test_the_schema_is_served_as_openapi_3(wsgi_app: WSGIHandler) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)

    paths = set(schema.raw_schema["paths"])
    assert {"/api/bindings/", "/api/bindings/{id}/", "/api/bindings/{id}/balance/",
            "/api/payments/", "/api/payments/{id}/", "/api/payments/{id}/refund/",
            "/api/payments/{id}/sync/", "/api/refunds/", "/api/refunds/{id}/"} <= paths
    assert schema.raw_schema["openapi"].startswith("3.")


def test_every_operation_conforms_to_the_schema_and_never_fails_with_a_5xx(
        wsgi_app: WSGIHandler, shop: Shop) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12

    # Unlinking last: until then the binding and its payment stay usable.
    for operation in sorted(operations, key=lambda op: op.method.upper() == "DELETE"):
        fuzz(operation, shop, GenerationMode.POSITIVE, CONFORMANCE)()


def test_requests_that_break_the_schema_are_refused_with_a_4xx_never_a_5xx(
        wsgi_app: WSGIHandler, shop: Shop) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)

    for result in schema.get_all_operations():
        fuzz(result.ok(), shop, GenerationMode.NEGATIVE, [not_a_server_error])()


def fuzz(operation: Any, shop: Shop, mode: GenerationMode, checks: list[Any]
         ) -> Callable[[], None]:
    """A hypothesis test of one operation; half the cases aim at objects that exist."""
    existing_id = shop.existing.get(operation.path.strip("/").split("/")[1], 0)

    @given(case=operation.as_strategy(generation_mode=mode), aim_at_existing=st.booleans())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
              database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case: Any, aim_at_existing: bool) -> None:
        if aim_at_existing and case.path_parameters and "id" in case.path_parameters:
            case.path_parameters["id"] = existing_id
        if aim_at_existing and isinstance(case.body, dict) and "binding" in case.body:
            case.body["binding"] = shop.binding.pk
        # Werkzeug's test client sends no REMOTE_ADDR; DOKU needs the customer's IPv4.
        case.call_and_validate(headers=shop.headers, checks=checks,
                               environ_base={"REMOTE_ADDR": "10.0.0.7"})

    return run
