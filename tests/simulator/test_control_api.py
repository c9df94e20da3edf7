"""The control API: faults and state over HTTP for another process."""

from __future__ import annotations

import json
from typing import Any

from django_doku_allo.simulator import faults, state

from .conftest import CHANNEL, PREFIX, Bound, MerchantStub, Snap, configure

CONTROL = PREFIX + "/_control"


def _post(snap: Snap, path: str, data: dict[str, Any] | None = None) -> Any:
    return snap.client.post(CONTROL + path, data=json.dumps(data or {}),
                            content_type="application/json")


def test_control_api_is_404_when_disabled(snap: Snap, simulator_settings: Any) -> None:
    configure(simulator_settings, ENABLE_CONTROL_API=False)

    assert snap.client.get(CONTROL + "/state").status_code == 404
    assert _post(snap, "/faults", {"kind": "error", "operation": "payment",
                                   "code": "5005400"}).status_code == 404
    assert faults.active() == []


def test_control_api_follows_debug_by_default(snap: Snap, simulator_settings: Any) -> None:
    simulator_settings.DOKU_ALLO_SIMULATOR = {
        k: v for k, v in simulator_settings.DOKU_ALLO_SIMULATOR.items()
        if k != "ENABLE_CONTROL_API"}
    simulator_settings.DEBUG = True

    assert snap.client.get(CONTROL + "/state").status_code == 200


def test_faults_are_added_listed_and_reset_over_http(snap: Snap, bound: Bound) -> None:
    added = _post(snap, "/faults", {"kind": "error", "operation": "balance",
                                    "code": "5001100", "times": 1})
    forced = snap.post("balance", {"additionalInfo": {"channel": CHANNEL}},
                       customer_token=bound.access_token)
    _post(snap, "/faults", {"kind": "latency", "operation": "payment", "seconds": 2})
    listed = snap.client.get(CONTROL + "/faults").json()
    reset = _post(snap, "/faults/reset")

    assert added.status_code == 200
    assert forced.json()["responseCode"] == "5001100"
    assert [f["kind"] for f in listed["faults"]] == ["latency"]
    assert reset.json() == {"ok": True}
    assert faults.active() == []


def test_a_bad_fault_is_a_400(snap: Snap) -> None:
    assert _post(snap, "/faults", {"kind": "meteor"}).status_code == 400
    assert _post(snap, "/faults", {"kind": "error", "operation": "payment",
                                   "code": "1"}).status_code == 400
    assert _post(snap, "/faults", {"kind": "latency", "operation": "payment",
                                   "seconds": 1, "colour": "red"}).status_code == 400


def test_accounts_can_be_read_and_topped_up(snap: Snap) -> None:
    read = snap.client.get(CONTROL + "/accounts/6281100000002").json()
    topped = _post(snap, "/accounts/6281100000002", {"balance": "50000.00"}).json()

    assert read["balance"] == "5000.00"
    assert topped["balance"] == "50000.00"


def test_binding_and_payment_can_be_driven_over_http(snap: Snap, merchant: MerchantStub) -> None:
    binding = snap.bind()
    completed = _post(snap, f"/bindings/{binding['referenceNo']}/complete").json()
    token = snap.b2b2c(binding["additionalInfo"]["authCode"]).json()["accessToken"]
    bound = Bound("6281100000001", binding["additionalInfo"]["authCode"],
                  binding["referenceNo"], token)
    reference_no = snap.pay(bound).json()["referenceNo"]

    confirmed = _post(snap, f"/payments/{reference_no}/confirm", {"otp": "123456"}).json()
    delivered = _post(snap, "/notifications/deliver").json()
    resent = _post(snap, f"/payments/{reference_no}/resend-notification").json()
    shown = snap.client.get(f"{CONTROL}/payments/{reference_no}").json()
    listed = snap.client.get(f"{CONTROL}/notifications?payment={reference_no}").json()

    assert completed["result"]["succeeded"] is True
    assert snap.client.get(f"{CONTROL}/bindings/{binding['referenceNo']}").json()[
        "status"] == "ACTIVE"
    assert confirmed["result"]["redirect_url"] == "https://shop.example/pay/ok?order=1"
    assert delivered["attempts"] == 1
    assert resent["delivered"] is True
    assert shown["status"] == "00"
    assert len(shown["notifications"][0]["attempts"]) == 2
    assert len(listed["notifications"]) == 1
    assert len(merchant.notifications) == 2


def test_payment_can_be_cancelled_over_http(snap: Snap, bound: Bound) -> None:
    reference_no = snap.pay(bound).json()["referenceNo"]

    result = _post(snap, f"/payments/{reference_no}/cancel").json()["result"]

    assert result["succeeded"] is False
    assert state.payment_status(reference_no) == "05"


def test_unknown_references_are_404(snap: Snap) -> None:
    assert snap.client.get(CONTROL + "/payments/nope").status_code == 404
    assert snap.client.get(CONTROL + "/bindings/nope").status_code == 404
    assert _post(snap, "/payments/nope/confirm").status_code == 404


def test_state_snapshot_and_reset(snap: Snap, bound: Bound) -> None:
    snap.paid(bound)
    faults.add_latency("payment", 1)

    before = snap.client.get(CONTROL + "/state").json()
    _post(snap, "/state/reset")
    after = snap.client.get(CONTROL + "/state").json()

    assert before["payments"]["00"] == 1
    assert before["bindings"]["ACTIVE"] == 1
    assert before["accounts"] == {"6281100000001": "9990000.00"}
    assert after["payments"]["00"] == 0
    assert after["accounts"] == {}
    assert faults.active() == []
