"""Driving the whole flow against the simulator, as a customer and a merchant would."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.test import Client
from django.urls import reverse

from django_doku_allo import services
from django_doku_allo.models import Binding, Payment
from django_doku_allo.simulator import customer as sim_customer
from django_doku_allo.simulator.notifications import deliver_due_notifications
from django_doku_allo.snap.messages import CustomerContext

CUSTOMER = CustomerContext(ip_address="10.20.30.40", device_id="pixel7")
HAPPY_PHONE = "6281100000001"


def return_url(live_server: Any) -> str:
    return f"{live_server.url}{reverse('doku_allo:binding-return')}"


def follow(client: Client, url: str) -> Any:
    """GET an absolute URL of this site through the test client (the browser's redirect)."""
    parts = urlsplit(url)
    return client.get(parts.path, data=dict(_pairs(parts.query)))


def _pairs(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query)


def bind(live_server: Any, user: Any, phone: str = HAPPY_PHONE) -> Binding:
    """Start a binding, pass Allo's OTP/PIN page, and come back to the merchant."""
    start = services.begin_binding(user=user, phone_number=phone, customer=CUSTOMER,
                                   return_url=return_url(live_server))
    page = sim_customer.complete_binding(start.binding.auth_code)
    assert page.redirect_url, page
    follow(Client(), page.redirect_url)
    return Binding.objects.get(pk=start.binding.pk)


def pay(binding: Binding, amount: str = "150000.00", **kwargs: Any) -> Payment:
    return services.pay(binding=binding, amount=amount, description="Batik shirt",
                        customer=CUSTOMER, success_url="https://shop.example/ok",
                        failure_url="https://shop.example/fail", **kwargs)


def deliver() -> int:
    return deliver_due_notifications()
