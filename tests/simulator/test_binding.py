"""Account binding: validation, the OTP/PIN page, and one account per customer."""

from __future__ import annotations

from typing import Any

import pytest

from django_doku_allo.simulator import customer, state

from .conftest import HAPPY_PHONE, OTP_FAILS_PHONE, Snap, binding_body


def _page(response_body: dict[str, Any]) -> str:
    url: str = response_body["redirectUrl"]
    return url.removeprefix("http://testserver")


def test_binding_answers_reference_redirect_url_and_pending_status(snap: Snap) -> None:
    response = snap.post("binding", binding_body())

    body = response.json()
    assert body["responseCode"] == "2000700"
    assert body["referenceNo"].isdigit()
    assert body["redirectUrl"].startswith("http://testserver/doku-simulator/pages/binding/")
    info = body["additionalInfo"]
    assert info["custIdMerchant"] == "cust-001"
    assert info["accountStatus"] == "PENDING"
    assert info["status"] == "PENDING"
    assert len(info["authCode"]) == 40
    assert state.binding_status(body["referenceNo"]) == "PENDING"


@pytest.mark.parametrize(("body", "code"), [
    (binding_body(phone="0811000001"), "4000701"),
    (binding_body(phone="62811"), "4000701"),
    (binding_body(phone="62811abc0001"), "4000701"),
    (binding_body(cust_id=""), "4000702"),
    (binding_body(cust_id="x" * 65), "4000701"),
    (binding_body(successRegistrationUrl=None), "4000702"),
    (binding_body(failedRegistrationUrl="javascript:alert(1)"), "4000701"),
    (binding_body(osType="windows"), "4000701"),
    (binding_body(channelId="kiosk"), "4000701"),
    (binding_body(deviceModel=None), "4000702"),
    (binding_body(channel="DIRECT_DEBIT_CIMB_SNAP"), "4000701"),
    (binding_body(dateOfBirth="1990-01-01"), "4000701"),
    ({"phoneNo": HAPPY_PHONE}, "4000702"),
    ([], "4000700"),
])
def test_binding_rejects_bad_bodies(snap: Snap, body: Any, code: str) -> None:
    assert snap.post("binding", body).json()["responseCode"] == code


def test_binding_accepts_the_python_sdks_nulls_and_origin(snap: Snap) -> None:
    body = binding_body(email=None, idCard=None, country=None, address=None, dateOfBirth=None,
                        osType="IOS", channelId="APP",
                        origin={"product": "SDK", "source": "python"})

    assert snap.post("binding", body).json()["responseCode"] == "2000700"


def test_binding_page_walks_otp_then_pin_and_returns_to_the_success_url(snap: Snap) -> None:
    page = _page(snap.bind())

    first = snap.client.get(page)
    after_otp = snap.client.post(page, {"otp": "123456", "action": "submit"})
    pin_form = snap.client.get(page)
    after_pin = snap.client.post(page, {"pin": "123456", "action": "submit"})

    assert first.status_code == 200
    assert b'name="otp"' in first.content
    assert HAPPY_PHONE.encode() in first.content
    assert b'id="submit"' in first.content
    assert b'id="cancel"' in first.content
    assert after_otp.status_code == 302
    assert b'name="pin"' in pin_form.content
    assert after_pin.status_code == 302
    assert after_pin["Location"] == "https://shop.example/bind/ok?state=s3cr3t"


def test_binding_page_counts_wrong_otps_and_fails_after_three(snap: Snap) -> None:
    binding = snap.bind()
    page = _page(binding)

    first = snap.client.post(page, {"otp": "000000", "action": "submit"})
    snap.client.post(page, {"otp": "000000", "action": "submit"})
    third = snap.client.post(page, {"otp": "000000", "action": "submit"})

    assert first.status_code == 200
    assert b"Wrong OTP. 2 attempts left." in first.content
    assert third.status_code == 302
    assert third["Location"] == "https://shop.example/bind/fail?state=s3cr3t"
    assert state.binding_status(binding["referenceNo"]) == "FAILED"
    assert snap.b2b2c(binding["additionalInfo"]["authCode"]).json()["responseCode"] == "4017400"


def test_binding_page_cancel_goes_to_the_failed_url(snap: Snap) -> None:
    binding = snap.bind()

    response = snap.client.post(_page(binding), {"action": "cancel"})

    assert response.status_code == 302
    assert response["Location"] == "https://shop.example/bind/fail?state=s3cr3t"


def test_finished_binding_page_shows_the_way_back(snap: Snap) -> None:
    binding = snap.bind()
    customer.complete_binding(binding["referenceNo"])

    response = snap.client.get(_page(binding))

    assert response.status_code == 200
    assert b"https://shop.example/bind/ok?state=s3cr3t" in response.content


def test_unknown_binding_page_is_404(snap: Snap) -> None:
    assert snap.client.get("/doku-simulator/pages/binding/123/").status_code == 404


def test_otp_fail_account_can_never_bind(snap: Snap) -> None:
    binding = snap.bind(phone=OTP_FAILS_PHONE)

    results = [customer.complete_binding(binding["referenceNo"]) for _ in range(3)]

    assert [r.step for r in results] == ["otp", "otp", "done"]
    assert results[-1].succeeded is False
    assert results[-1].redirect_url == "https://shop.example/bind/fail?state=s3cr3t"


def test_wrong_pin_three_times_fails_the_binding(snap: Snap) -> None:
    binding = snap.bind()
    customer.submit_binding_otp(binding["referenceNo"], "123456")

    results = [customer.submit_binding_pin(binding["referenceNo"], "999999") for _ in range(3)]

    assert results[0].error == "Wrong PIN. 2 attempts left."
    assert results[-1].succeeded is False


def test_complete_binding_accepts_the_auth_code(snap: Snap) -> None:
    binding = snap.bind()

    result = customer.complete_binding(binding["additionalInfo"]["authCode"])

    assert result.succeeded is True
    assert state.binding_status(binding["referenceNo"]) == "ACTIVE"


def test_an_account_bound_to_one_customer_cannot_bind_another_4090701(snap: Snap) -> None:
    snap.bound_customer(cust_id="alice")

    response = snap.post("binding", binding_body(cust_id="bob"))

    assert response.status_code == 409
    assert response.json()["responseCode"] == "4090701"


def test_a_pending_binding_for_another_customer_fails_when_the_first_is_active(snap: Snap) -> None:
    bob = snap.bind(cust_id="bob")
    snap.bound_customer(cust_id="alice")

    result = customer.complete_binding(bob["referenceNo"])

    assert result.succeeded is False


def test_binding_the_same_customer_again_replaces_the_old_binding(snap: Snap) -> None:
    old = snap.bound_customer(cust_id="alice")

    new = snap.bound_customer(cust_id="alice")

    assert state.binding_status(old.binding_reference_no) == "UNBOUND"
    assert state.binding_status(new.binding_reference_no) == "ACTIVE"
    assert snap.b2b2c(old.auth_code).json()["responseCode"] == "4017400"
