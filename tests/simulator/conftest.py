"""Fixtures for the simulator's tests: signed SNAP requests, a bound customer, a merchant stub."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import uuid4

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import Client

from django_doku_allo.simulator import customer, worker
from django_doku_allo.snap.signing import (
    asymmetric_signature,
    minify,
    new_external_id,
    snap_timestamp,
    symmetric_signature,
)
from tests.support.keys import DOKU_PRIVATE_KEY_PEM, MERCHANT_PRIVATE_KEY_PEM, public_pem

PREFIX = "/doku-simulator"
PATHS = {
    "token_b2b": "/authorization/v1/access-token/b2b",
    "token_b2b2c": "/authorization/v1/access-token/b2b2c",
    "binding": "/direct-debit/core/v1/registration-account-binding",
    "balance": "/direct-debit/core/v1/balance-inquiry",
    "payment": "/direct-debit/core/v1/debit/payment-host-to-host",
    "refund": "/direct-debit/core/v1/debit/refund",
    "status": "/orders/v1.0/debit/status",
    "unbinding": "/direct-debit/core/v1/registration-account-unbinding",
}
CHANNEL = "DIRECT_DEBIT_ALLO_SNAP"
HAPPY_PHONE = "6281100000001"
LOW_BALANCE_PHONE = "6281100000002"
OTP_FAILS_PHONE = "6281100000003"
TIMEOUT_PHONE = "6281100000004"
CUSTOMER_IP = "192.168.100.10"


def configure(settings: Any, **keys: Any) -> None:
    """Change DOKU_ALLO_SIMULATOR keys for one test (pytest-django restores them)."""
    settings.DOKU_ALLO_SIMULATOR = {**settings.DOKU_ALLO_SIMULATOR, **keys}


def path_of(operation: str) -> str:
    return PREFIX + PATHS[operation]


def binding_body(phone: str = HAPPY_PHONE, cust_id: str = "cust-001",
                 **info: Any) -> dict[str, Any]:
    additional = {
        "channel": CHANNEL,
        "custIdMerchant": cust_id,
        "successRegistrationUrl": "https://shop.example/bind/ok?state=s3cr3t",
        "failedRegistrationUrl": "https://shop.example/bind/fail?state=s3cr3t",
        "deviceModel": "Pixel 8",
        "osType": "android",
        "channelId": "web",
    }
    additional.update(info)
    return {"phoneNo": phone, "additionalInfo": additional}


def payment_body(partner_reference_no: str | None = None, value: str = "10000.00",
                 **info: Any) -> dict[str, Any]:
    additional = {
        "channel": CHANNEL,
        "remarks": "Order at the test shop",
        "successPaymentUrl": "https://shop.example/pay/ok?order=1",
        "failedPaymentUrl": "https://shop.example/pay/fail?order=1",
        "lineItems": [{"name": "Bag", "price": value, "quantity": "1"}],
    }
    additional.update(info)
    return {
        "partnerReferenceNo": partner_reference_no or f"INV-{uuid4().hex[:12]}",
        "amount": {"value": value, "currency": "IDR"},
        "additionalInfo": additional,
    }


def refund_body(payment: dict[str, Any], value: str = "10000.00",
                partner_refund_no: str | None = None) -> dict[str, Any]:
    return {
        "originalPartnerReferenceNo": payment["partnerReferenceNo"],
        "originalReferenceNo": payment["referenceNo"],
        "refundAmount": {"value": value, "currency": "IDR"},
        "partnerRefundNo": partner_refund_no or f"REF-{uuid4().hex}",
        "reason": "Customer changed their mind",
        "additionalInfo": {"channel": CHANNEL},
    }


def status_body(payment: dict[str, Any], service_code: str = "55") -> dict[str, Any]:
    return {
        "originalPartnerReferenceNo": payment["partnerReferenceNo"],
        "originalReferenceNo": payment["referenceNo"],
        "serviceCode": service_code,
        "additionalInfo": {"channel": CHANNEL},
    }


class Snap:
    """Signs SNAP requests the way a merchant must, and sends them with Django's client."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.client_id: str = django_settings.CLIENT_ID
        self.secret: str = django_settings.CLIENT_SECRET
        self._token: str | None = None

    # ----------------------------------------------------------------------- tokens
    def token_request(self, operation: str, body: dict[str, Any] | None = None, *,
                      timestamp: str | None = None, signature: str | None = None,
                      client_key: str | None = None,
                      private_key: str = MERCHANT_PRIVATE_KEY_PEM) -> HttpResponse:
        timestamp = timestamp or snap_timestamp()
        client_key = client_key or self.client_id
        headers = {
            "X-CLIENT-KEY": client_key,
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": signature or asymmetric_signature(private_key, client_key, timestamp),
        }
        payload = body if body is not None else {"grantType": "client_credentials"}
        return self.client.post(path_of(operation), data=minify(payload),
                                content_type="application/json", headers=headers)

    @property
    def token(self) -> str:
        if self._token is None:
            response = self.token_request("token_b2b")
            assert response.status_code == 200, response.content
            self._token = response.json()["accessToken"]
        return self._token

    def b2b2c(self, auth_code: str) -> HttpResponse:
        return self.token_request("token_b2b2c",
                                  {"grantType": "authorization_code", "authCode": auth_code,
                                   "additionalInfo": {}})

    # ----------------------------------------------------------------------- transactions
    def headers(self, path: str, body: dict[str, Any] | str, *, token: str | None = None,
                timestamp: str | None = None, external_id: str | None = None,
                customer_token: str | None = None, ip: str | None = CUSTOMER_IP,
                device: str | None = "device01") -> dict[str, str]:
        token = token or self.token
        timestamp = timestamp or snap_timestamp()
        headers = {
            "Authorization": f"Bearer {token}",
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": symmetric_signature(self.secret, "POST", path, token, body,
                                               timestamp),
            "X-PARTNER-ID": self.client_id,
            "X-EXTERNAL-ID": external_id or new_external_id(),
            "CHANNEL-ID": "H2H",
        }
        if customer_token is not None:
            headers["Authorization-Customer"] = f"Bearer {customer_token}"
        if ip is not None:
            headers["X-IP-ADDRESS"] = ip
        if device is not None:
            headers["X-DEVICE-ID"] = device
        return headers

    def post(self, operation: str, body: dict[str, Any], *, path: str | None = None,
             raw: bytes | None = None, overrides: dict[str, str] | None = None,
             drop: tuple[str, ...] = (), **header_options: Any) -> HttpResponse:
        """POST ``body`` signed; ``overrides`` replace headers, ``drop`` removes some."""
        path = path or path_of(operation)
        headers = self.headers(path, body, **header_options)
        headers.update(overrides or {})
        for name in drop:
            headers.pop(name, None)
        data = raw if raw is not None else minify(body).encode("utf-8")
        return self.client.post(path, data=data, content_type="application/json",
                                headers=headers)

    # ----------------------------------------------------------------------- flows
    def bind(self, phone: str = HAPPY_PHONE, cust_id: str = "cust-001") -> dict[str, Any]:
        response = self.post("binding", binding_body(phone, cust_id))
        assert response.status_code == 200, response.content
        return response.json()

    def bound_customer(self, phone: str = HAPPY_PHONE, cust_id: str = "cust-001") -> Bound:
        binding = self.bind(phone, cust_id)
        auth_code = binding["additionalInfo"]["authCode"]
        assert customer.complete_binding(auth_code).succeeded
        response = self.b2b2c(auth_code)
        assert response.status_code == 200, response.content
        return Bound(phone, auth_code, binding["referenceNo"], response.json()["accessToken"])

    def pay(self, bound: Bound, body: dict[str, Any] | None = None,
            **header_options: Any) -> HttpResponse:
        return self.post("payment", body or payment_body(), customer_token=bound.access_token,
                         **header_options)

    def paid(self, bound: Bound, value: str = "10000.00") -> dict[str, Any]:
        """A payment the customer confirmed: its request body plus the DOKU referenceNo."""
        body = payment_body(value=value)
        response = self.pay(bound, body)
        assert response.status_code == 200, response.content
        reference_no = response.json()["referenceNo"]
        assert customer.confirm_payment(reference_no).succeeded
        return {**body, "referenceNo": reference_no}


@dataclass(frozen=True)
class Bound:
    phone: str
    auth_code: str
    binding_reference_no: str
    access_token: str


@pytest.fixture(autouse=True)
def simulator_settings(settings: Any) -> Iterator[Any]:
    """Manual delivery (deterministic), DOKU's schedule scaled down, the control API on."""
    configure(settings, DELIVERY_MODE="manual", ENABLE_CONTROL_API=True, HTTP_TIMEOUT=5)
    yield settings
    worker.stop()
    # Faults are database rows: the test's rollback (or flush) removes them.


@pytest.fixture
def snap(db: None) -> Snap:
    return Snap(Client())


@pytest.fixture
def bound(snap: Snap) -> Bound:
    return snap.bound_customer()


# --------------------------------------------------------------------------- merchant stub
@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class MerchantStub:
    """A merchant's token and notification endpoints, outside Django, on a real socket."""

    url: str = ""
    token_requests: list[Received] = field(default_factory=list)
    notifications: list[Received] = field(default_factory=list)
    #: HTTP statuses to answer notifications with, in order; 200 once exhausted.
    notify_statuses: list[int] = field(default_factory=list)
    token_status: int = 200
    issued_tokens: list[str] = field(default_factory=list)

    @property
    def notify_url(self) -> str:
        return self.url + "/doku-allo/v1.0/debit/notify"

    @property
    def token_url(self) -> str:
        return self.url + "/doku-allo/authorization/v1/access-token/b2b"


def _handler_for(stub: MerchantStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received = Received(self.path, dict(self.headers.items()), self.rfile.read(length))
            if self.path.endswith("/access-token/b2b"):
                stub.token_requests.append(received)
                token = f"merchant-token-{len(stub.token_requests)}"
                stub.issued_tokens.append(token)
                if stub.token_status != 200:
                    self._answer(stub.token_status, {"responseCode": "4017300",
                                                     "responseMessage": "Unauthorized"})
                    return
                self._answer(200, {"responseCode": "2007300", "responseMessage": "Successful",
                                   "accessToken": token, "tokenType": "Bearer",
                                   "expiresIn": 900, "additionalInfo": ""})
                return
            stub.notifications.append(received)
            status = stub.notify_statuses.pop(0) if stub.notify_statuses else 200
            code = "2005600" if status == 200 else f"{status}5600"
            self._answer(status, {"responseCode": code, "responseMessage": "stub"})

    return Handler


@pytest.fixture
def merchant(simulator_settings: Any) -> Iterator[MerchantStub]:
    stub = MerchantStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(stub))
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    configure(simulator_settings, NOTIFICATION_URL=stub.notify_url,
              MERCHANT_TOKEN_URL=stub.token_url)
    yield stub
    server.shutdown()
    server.server_close()


DOKU_PUBLIC_KEY_PEM = public_pem(DOKU_PRIVATE_KEY_PEM)


LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"
#: Headers of a browser set to Bahasa Indonesia.
INDONESIAN = {"accept-language": "id"}


@pytest.fixture
def locale_middleware(settings: Any) -> None:
    """The shop's set-up: LocaleMiddleware picks each request's language (Accept-Language)."""
    if LOCALE_MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        after = middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1
        settings.MIDDLEWARE = [*middleware[:after], LOCALE_MIDDLEWARE, *middleware[after:]]
