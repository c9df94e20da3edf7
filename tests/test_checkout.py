"""checkout.start_payment / start_binding: one call from a view, every field DOKU takes."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, RequestFactory

from django_doku_allo import checkout
from django_doku_allo.models import Binding, BindingStatus, Payment, PaymentStatus
from django_doku_allo.returns import CustomerContextRefused, payment_reference
from django_doku_allo.snap.messages import LineItem, PayOption
from tests.support.fake_client import PAY_URL, REDIRECT_URL, FakeAlloClient, declined

pytestmark = pytest.mark.django_db


def _request(rf: RequestFactory, user: Any, *, ip: str = "10.1.2.3", **headers: str) -> Any:
    request = rf.post("/checkout/", REMOTE_ADDR=ip, headers=headers)
    request.user = user
    return request


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# --------------------------------------------------------------------------- start_payment
def test_start_payment_mints_the_reference_signs_the_return_urls_and_reads_the_customer(
        rf: RequestFactory, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    request = _request(rf, binding.user, **{"X-Device-ID": "phone42"})

    start = checkout.start_payment(request, binding=binding, amount="150000.00",
                                   description="Batik shirt", order_id="ORD-7",
                                   next_url="/orders/ORD-7/")

    payment = start.payment
    assert start.created is True
    assert payment.status == PaymentStatus.PENDING
    assert start.redirect_url == PAY_URL
    assert payment.partner_reference_no.startswith("ALLO")
    assert payment.order_id == "ORD-7"
    call = fake_client.calls[-1]
    assert call.operation == "payment"
    assert (call.customer.ip_address, call.customer.device_id) == ("10.1.2.3", "phone42")
    info = payment.request_body["additionalInfo"]
    for leg, result in (("successPaymentUrl", "success"), ("failedPaymentUrl", "failed")):
        url = info[leg]
        assert url.startswith("http://testserver/doku-allo/payment/return/")
        query = _query(url)
        assert payment_reference(query["payment"][0]) == payment.partner_reference_no
        assert query["result"] == [result]
        assert query["next"] == ["/orders/ORD-7/"]
    assert info["lineItems"] == [{"name": "Batik shirt", "price": "150000.00",
                                  "quantity": "1"}]
    assert "payOptionDetails" not in payment.request_body


def test_start_payment_sends_real_line_items_and_pay_options(
        rf: RequestFactory, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    items = [LineItem(name="Batik shirt", price=Decimal("100000.00")),
             LineItem(name="Silk scarf, hand-dyed in Solo", price=Decimal("25000"), quantity=2)]
    options = [PayOption(pay_method="BALANCE", trans_amount=Decimal("150000.00"),
                         fee_amount=Decimal("0"))]

    start = checkout.start_payment(_request(rf, binding.user), binding=binding,
                                   amount=Decimal("150000.00"),
                                   description="Order ORD-8: shirt and two scarves",
                                   line_items=items, pay_options=options)

    body = start.payment.request_body
    assert body["additionalInfo"]["lineItems"] == [
        {"name": "Batik shirt", "price": "100000.00", "quantity": "1"},
        {"name": "Silk scarf, hand-dyed in Solo", "price": "25000.00", "quantity": "2"},
    ]
    assert body["payOptionDetails"] == [{
        "payMethod": "BALANCE",
        "transAmount": {"value": "150000.00", "currency": "IDR"},
        "feeAmount": {"value": "0.00", "currency": "IDR"},
    }]
    assert fake_client.calls[-1].request.pay_options == tuple(options)


def test_start_payment_with_an_idempotency_key_charges_once(
        rf: RequestFactory, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    kwargs: dict[str, Any] = {"binding": binding, "amount": "5000.00", "description": "Tea",
                              "idempotency_key": "key-1"}

    first = checkout.start_payment(_request(rf, binding.user), **kwargs)
    again = checkout.start_payment(_request(rf, binding.user), **kwargs)

    assert (first.created, again.created) == (True, False)
    assert again.payment.pk == first.payment.pk
    assert fake_client.operations().count("payment") == 1
    assert Payment.objects.count() == 1


def test_start_payment_over_ipv6_uses_the_bindings_stored_ipv4(
        rf: RequestFactory, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    binding = make_binding(customer_ip="10.20.30.40", device_id="storeddevice")

    checkout.start_payment(_request(rf, binding.user, ip="::1"), binding=binding,
                           amount="5000.00", description="Tea")

    customer = fake_client.calls[-1].customer
    assert (customer.ip_address, customer.device_id) == ("10.20.30.40", "storeddevice")


def test_start_payment_without_any_ipv4_is_refused_before_anything_is_stored(
        rf: RequestFactory, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    binding = make_binding(customer_ip=None)

    with pytest.raises(CustomerContextRefused) as refused:
        checkout.start_payment(_request(rf, binding.user, ip="::1"), binding=binding,
                               amount="5000.00", description="Tea")

    assert refused.value.reason == "ipv4_required"
    assert Payment.objects.count() == 0
    assert fake_client.calls == []


def test_a_refused_payment_has_no_redirect_url(
        rf: RequestFactory, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    fake_client.errors["payment"] = declined("payment", "4035414", "Insufficient Funds")

    start = checkout.start_payment(_request(rf, binding.user), binding=binding,
                                   amount="5000.00", description="Tea")

    assert start.payment.status == PaymentStatus.FAILED
    assert start.redirect_url is None


# --------------------------------------------------------------------------- start_binding
def test_start_binding_sends_the_customers_device_and_a_return_url_with_next(
        rf: RequestFactory, user: Any, fake_client: FakeAlloClient) -> None:
    request = _request(rf, user, **{"X-Device-ID": "iphone15"})

    start = checkout.start_binding(request, phone_number="6281100000001", next_url="/account/",
                                   device_model="iPhone 15", os_type="ios", channel_id="app")

    assert start.redirect_url == REDIRECT_URL
    assert start.binding.status == BindingStatus.PENDING
    assert start.binding.user == user
    call = fake_client.calls[-1]
    assert call.operation == "account_binding"
    assert (call.customer.ip_address, call.customer.device_id) == ("10.1.2.3", "iphone15")
    body = call.request.to_body("DIRECT_DEBIT_ALLO_SNAP")
    info = body["additionalInfo"]
    assert (info["deviceModel"], info["osType"], info["channelId"]) == ("iPhone 15", "ios",
                                                                       "app")
    success = call.request.success_registration_url
    assert success.startswith("http://testserver/doku-allo/binding/return/?")
    assert _query(success)["next"] == ["/account/"]
    assert _query(success)["result"] == ["success"]


def test_start_binding_keeps_the_default_device_when_none_is_given(
        rf: RequestFactory, user: Any, fake_client: FakeAlloClient) -> None:
    checkout.start_binding(_request(rf, user), phone_number="6281100000001", device_id="web")

    info = fake_client.calls[-1].request.to_body("DIRECT_DEBIT_ALLO_SNAP")["additionalInfo"]
    assert (info["deviceModel"], info["osType"], info["channelId"]) == ("web", "android", "web")
    assert fake_client.calls[-1].customer.device_id == "web"


def test_start_binding_without_a_device_id_is_refused(
        rf: RequestFactory, user: Any, fake_client: FakeAlloClient) -> None:
    with pytest.raises(CustomerContextRefused) as refused:
        checkout.start_binding(_request(rf, user), phone_number="6281100000001")

    assert refused.value.reason == "device_id_required"
    assert Binding.objects.count() == 0


def test_start_binding_refuses_a_device_id_argument_with_symbols(
        rf: RequestFactory, user: Any, fake_client: FakeAlloClient) -> None:
    with pytest.raises(CustomerContextRefused) as refused:
        checkout.start_binding(_request(rf, user), phone_number="6281100000001",
                               device_id="web; drop")

    assert refused.value.reason == "invalid_device_id"
    assert fake_client.calls == []


# --------------------------------------------------------------------------- through the API
def _post(client: Client, url: str, data: Any, **headers: str) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json",
                       headers=headers)


def test_the_api_takes_line_items_and_pay_options(
        client: Client, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    client.force_login(binding.user)

    response = _post(client, "/api/payments/", {
        "binding": binding.pk, "amount": "150000.00", "description": "Order ORD-9",
        "line_items": [{"name": "Batik shirt", "price": "100000.00"},
                       {"name": "Silk scarf", "price": "25000.00", "quantity": 2}],
        "pay_options": [{"pay_method": "BALANCE", "trans_amount": "150000.00"}],
    })

    assert response.status_code == 201, response.content
    body = Payment.objects.get().request_body
    assert [item["name"] for item in body["additionalInfo"]["lineItems"]] == [
        "Batik shirt", "Silk scarf"]
    assert body["additionalInfo"]["lineItems"][1]["quantity"] == "2"
    assert body["payOptionDetails"] == [
        {"payMethod": "BALANCE", "transAmount": {"value": "150000.00", "currency": "IDR"}}]


def test_the_api_reports_a_bad_line_item_as_flat_messages(
        client: Client, make_binding: Callable[..., Binding],
        fake_client: FakeAlloClient) -> None:
    binding = make_binding()
    client.force_login(binding.user)

    response = _post(client, "/api/payments/", {
        "binding": binding.pk, "amount": "150000.00", "description": "Order",
        "line_items": [{"name": "ok", "price": "1.00"}, {"name": "", "price": 5}],
    })

    assert response.status_code == 400
    messages = response.json()["fields"]["line_items"]
    assert all(isinstance(message, str) for message in messages)
    assert any(message.startswith("1.name: ") for message in messages)
    assert any(message.startswith("1.price: ") for message in messages)
    assert fake_client.calls == []


def test_the_api_sends_the_binding_device_fields(
        client: Client, user: Any, fake_client: FakeAlloClient) -> None:
    client.force_login(user)

    response = _post(client, "/api/bindings/", {
        "phone_number": "6281100000001", "device_model": "Pixel 8", "os_type": "android",
        "channel_id": "app"}, **{"X-Device-ID": "pixel8"})

    assert response.status_code == 201, response.content
    info = fake_client.calls[-1].request.to_body("DIRECT_DEBIT_ALLO_SNAP")["additionalInfo"]
    assert (info["deviceModel"], info["osType"], info["channelId"]) == ("Pixel 8", "android",
                                                                       "app")


def test_the_api_still_requires_a_device_id_to_bind(
        client: Client, user: Any, fake_client: FakeAlloClient) -> None:
    client.force_login(user)

    response = _post(client, "/api/bindings/", {"phone_number": "6281100000001"})

    assert response.status_code == 400
    assert response.json()["code"] == "device_id_required"


# --------------------------------------------------------------------------- against DOKU's side
@pytest.mark.django_db(transaction=True)
def test_line_items_and_pay_options_are_accepted_by_the_strict_simulator_and_paid(
        live_simulator: Any, settings: Any, rf: RequestFactory, user: Any) -> None:
    from django_doku_allo.simulator import customer as sim_customer
    from tests.flows import bind, deliver

    # STRICT: the simulator also checks that the items and the options add up to amount.
    settings.DOKU_ALLO_SIMULATOR = {**settings.DOKU_ALLO_SIMULATOR, "STRICT": True}
    binding = bind(live_simulator, user)
    request = rf.post("/checkout/", REMOTE_ADDR="10.20.30.40", headers={"X-Device-ID": "pixel7"},
                      SERVER_NAME=urlsplit(live_simulator.url).hostname,
                      SERVER_PORT=str(urlsplit(live_simulator.url).port))
    request.user = user

    start = checkout.start_payment(
        request, binding=binding, amount="150000.00", description="Order ORD-10",
        line_items=[LineItem(name="Batik shirt", price=Decimal("100000.00")),
                    LineItem(name="Silk scarf", price=Decimal("25000.00"), quantity=2)],
        pay_options=[PayOption(pay_method="BALANCE", trans_amount=Decimal("150000.00"),
                               fee_amount=Decimal("0"))])

    assert start.payment.status == PaymentStatus.PENDING, start.payment.failure_reason
    assert start.redirect_url
    sim_customer.confirm_payment(start.payment.reference_no)
    assert deliver() >= 1
    start.payment.refresh_from_db()
    assert start.payment.status == PaymentStatus.SUCCEEDED
