"""DOKU's own Python SDK (doku-python-library 1.1.72) against the simulator over real HTTP.

If DOKU's official client is accepted end to end, the simulator verifies what DOKU's
real service accepts. Each SDK defect met on the way (snap-allo-reference.md section 11)
is worked around here, in the test, never by loosening the simulator.
"""

from __future__ import annotations

import types
from typing import Any

import pytest
from django.conf import settings

from django_doku_allo.simulator import customer, state
from tests.support.doku_sdk import installed, load_sdk, models
from tests.support.keys import DOKU_PRIVATE_KEY_PEM, MERCHANT_PRIVATE_KEY_PEM, public_pem

from .conftest import PREFIX

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not installed(),
                       reason="doku-python-library (a dev dependency) is not installed"),
]

CHANNEL = "DIRECT_DEBIT_ALLO_SNAP"
PHONE = "6281100000001"
# The SDK refuses X-IP-ADDRESS outside 10 to 15 characters (defect 18): use a long IPv4.
IP_ADDRESS = "192.168.100.10"
DEVICE_ID = "sdkdevice01"

@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch, live_server: Any) -> types.ModuleType:
    return load_sdk(live_server.url, PREFIX, set_attr=monkeypatch.setattr,
                    set_module=monkeypatch.setitem)


def _client(snap_module: types.ModuleType) -> Any:
    return snap_module.DokuSNAP(
        private_key=MERCHANT_PRIVATE_KEY_PEM,
        client_id=settings.DOKU_ALLO["CLIENT_ID"],
        is_production=False,
        public_key=public_pem(DOKU_PRIVATE_KEY_PEM),
        issuer="django-doku-allo-tests",
        secret_key=settings.DOKU_ALLO["CLIENT_SECRET"],
        merchant_public_key=public_pem(MERCHANT_PRIVATE_KEY_PEM),
    )


def test_dokus_python_sdk_runs_the_whole_allo_flow_against_the_simulator(
        sdk: types.ModuleType) -> None:
    m = models()

    # B2B token: DokuSNAP fetches one in its constructor.
    client = _client(sdk)
    assert client.token_b2b.response_code == "2007300"
    assert client.token_b2b.expires_in == 890  # the SDK keeps a 10 s margin on our 900

    # Account binding; the customer then completes OTP and PIN (no browser here).
    binding = client.do_account_binding(
        m.BindingRequest(PHONE, m.BindingInfo(
            channel=CHANNEL, cust_id_merchant="sdk-customer",
            success_registration_url="https://shop.example/bind/ok",
            failed_registration_url="https://shop.example/bind/fail",
            device_model="iPhone 15", os_type="ios", channel_id="app")),
        device_id=DEVICE_ID, ip_address=IP_ADDRESS)
    assert binding.response_code == "2000700", binding.response_message
    auth_code = binding.additional_info["authCode"]
    assert customer.complete_binding(auth_code).succeeded

    # B2B2C. It must come first: do_payment & co. read self.token_b2b2c, which the SDK's
    # constructor never sets (defect 3). The SDK then re-exchanges the authCode before
    # every customer call anyway (defects 1 and 2), which the reusable authCode allows.
    b2b2c = client.get_token_b2b2c(auth_code)
    assert b2b2c.response_code == "2007400", b2b2c.response_message

    # Balance inquiry (the SDK sends Authorization-Customer without "Bearer ").
    balance = client.do_balance_inquiry(m.BalanceRequest(m.BalanceInfo(CHANNEL)),
                                        ip_address=IP_ADDRESS, auth_code=auth_code)
    assert balance.response_code == "2001100", balance.response_message
    assert balance.account_infos[0]["amount"]["value"] == "10000000.00"

    # Payment. Line items must be plain dicts: the SDK does not serialise its own
    # LineItems objects (defect 10).
    payment = client.do_payment(
        m.PaymentRequest(
            partner_reference_no="SDK-INV-0001", amount=m.Amount("15000.00", "IDR"),
            additional_info=m.PaymentInfo(
                channel=CHANNEL, remarks="SDK order",
                success_payment_url="https://shop.example/pay/ok",
                failed_payment_url="https://shop.example/pay/fail",
                line_items=[{"name": "Mug", "price": "15000.00", "quantity": "1"}])),
        ip_address=IP_ADDRESS, auth_code=auth_code)
    assert payment.response_code == "2005400", payment.response_message
    assert customer.confirm_payment(payment.reference_no).succeeded
    assert state.debit_count(PHONE) == 1

    # Check status (the SDK insists on serviceCode "55").
    status = client.do_check_status(m.StatusRequest(
        service_code="55", original_partner_reference_no="SDK-INV-0001",
        original_reference_no=payment.reference_no,
        additional_info=m.StatusInfo(channel=CHANNEL)))
    assert status.response_code == "2005500", status.response_message
    assert status.latest_transaction_status == "00"

    # Full refund; Allo wants a partnerRefundNo of 32 to 64 characters.
    refund = client.do_refund(
        m.RefundRequest(
            original_partner_reference_no="SDK-INV-0001", refund_amount=m.Amount("15000.00"),
            partner_refund_no="SDK-REFUND-0001-0000000000000000",
            additional_info=m.RefundInfo(CHANNEL), reason="Broken mug"),
        ip_address=IP_ADDRESS, auth_code=auth_code, device_id=DEVICE_ID)
    assert refund.response_code == "2005800", refund.response_message
    assert state.payment_status("SDK-INV-0001") == "04"

    # Unbinding with the customer's B2B2C token; the authCode is refused from then on.
    unbinding = client.do_account_unbinding(
        m.UnbindingRequest(client.token_b2b2c, m.UnbindingInfo(CHANNEL)),
        ip_address=IP_ADDRESS)
    assert unbinding.response_code == "2000900", unbinding.response_message
    assert client.get_token_b2b2c(auth_code).response_code == "4017400"
