"""Authentication of transactional calls: token, signature, timestamp and headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from django_doku_allo.snap.signing import (
    snap_timestamp,
    symmetric_signature,
    symmetric_string_to_sign,
)

from .conftest import CHANNEL, PREFIX, Bound, Snap, binding_body, configure, path_of

BALANCE = {"additionalInfo": {"channel": CHANNEL}}


def _hmac(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha512).digest()
    return base64.b64encode(digest).decode()


def test_every_answer_has_status_of_the_code_and_an_x_timestamp(snap: Snap, bound: Bound) -> None:
    ok = snap.post("balance", BALANCE, customer_token=bound.access_token)
    refused = snap.post("balance", BALANCE, customer_token="nope")

    for response in (ok, refused):
        assert response.status_code == int(response.json()["responseCode"][:3])
        assert response["X-TIMESTAMP"]
        assert response["Content-Type"] == "application/json"


def test_wrong_signature_is_401xx00(snap: Snap, bound: Bound) -> None:
    response = snap.post("balance", BALANCE, customer_token=bound.access_token,
                         overrides={"X-SIGNATURE": base64.b64encode(b"x" * 64).decode()})

    assert response.status_code == 401
    assert response.json()["responseCode"] == "4011100"
    assert response.json()["responseMessage"] == "Unauthorized. Invalid Signature"


def test_signature_over_the_path_without_the_mount_prefix_is_refused(snap: Snap,
                                                                      bound: Bound) -> None:
    token, timestamp = snap.token, snap_timestamp()
    unprefixed = symmetric_signature(snap.secret, "POST", "/direct-debit/core/v1/balance-inquiry",
                                     token, BALANCE, timestamp)

    response = snap.post("balance", BALANCE, customer_token=bound.access_token,
                         timestamp=timestamp,
                         overrides={"X-SIGNATURE": unprefixed})

    assert response.json()["responseCode"] == "4011100"


def test_unknown_b2b_token_is_401xx01(snap: Snap) -> None:
    response = snap.post("binding", binding_body(), token="not-a-token")

    assert response.status_code == 401
    assert response.json()["responseCode"] == "4010701"


def test_missing_authorization_is_401xx03(snap: Snap) -> None:
    response = snap.post("binding", binding_body(), drop=("Authorization",))

    assert response.json()["responseCode"] == "4010703"


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_timestamp_outside_the_tolerance_is_401xx00_with_a_reason(snap: Snap,
                                                                  offset: timedelta) -> None:
    timestamp = snap_timestamp(datetime.now(timezone.utc) + offset)

    response = snap.post("binding", binding_body(), timestamp=timestamp)

    assert response.status_code == 401
    assert response.json()["responseCode"] == "4010700"
    assert "X-TIMESTAMP is outside the window" in response.json()["responseMessage"]


def test_timestamp_within_the_tolerance_is_accepted(snap: Snap) -> None:
    timestamp = snap_timestamp(datetime.now(timezone.utc) - timedelta(minutes=4))

    assert snap.post("binding", binding_body(), timestamp=timestamp).status_code == 200


def test_tolerance_is_configurable(snap: Snap, simulator_settings: Any) -> None:
    configure(simulator_settings, TIMESTAMP_TOLERANCE=30)
    timestamp = snap_timestamp(datetime.now(timezone.utc) - timedelta(minutes=1))

    assert snap.post("binding", binding_body(), timestamp=timestamp).status_code == 401


def test_unparseable_timestamp_is_400xx01(snap: Snap) -> None:
    response = snap.post("binding", binding_body(), timestamp="21/12/2024 10:00")

    assert response.json()["responseCode"] == "4000701"


def test_wrong_partner_id_is_401xx00(snap: Snap) -> None:
    response = snap.post("binding", binding_body(), overrides={"X-PARTNER-ID": "BRN-other"})

    assert response.json()["responseCode"] == "4010700"


@pytest.mark.parametrize(("external_id", "code"), [
    (None, "4000702"), ("abc123", "4000701"), ("1" * 37, "4000701"),
])
def test_external_id_must_be_present_and_numeric(snap: Snap, external_id: str | None,
                                                 code: str) -> None:
    if external_id is None:
        response = snap.post("binding", binding_body(), drop=("X-EXTERNAL-ID",))
    else:
        response = snap.post("binding", binding_body(), external_id=external_id)

    assert response.json()["responseCode"] == code


def test_malformed_json_with_a_valid_signature_is_400xx00(snap: Snap) -> None:
    raw = '{"phoneNo": "6281100000001",'
    path, token, timestamp = path_of("binding"), snap.token, snap_timestamp()
    stripped = raw.replace(" ", "")
    string_to_sign = symmetric_string_to_sign(
        "POST", path, token, hashlib.sha256(stripped.encode()).hexdigest(), timestamp)

    response = snap.post("binding", {}, raw=raw.encode(), timestamp=timestamp,
                         overrides={"X-SIGNATURE": _hmac(snap.secret, string_to_sign)})

    assert response.status_code == 400
    assert response.json()["responseCode"] == "4000700"


def test_body_sent_with_spaces_but_signed_compact_is_accepted(snap: Snap) -> None:
    """DOKU's Python SDK signs compact JSON and sends json.dumps' default spacing."""
    body = binding_body()
    response = snap.post("binding", body, raw=json.dumps(body).encode())

    assert response.status_code == 200


def test_strict_mode_accepts_only_the_canonical_body_hash(snap: Snap,
                                                          simulator_settings: Any) -> None:
    body = binding_body(customerName="Café Owner")
    escaped = json.dumps(body, separators=(",", ":"))  # ASCII-escaped: \u00e9
    path, token, timestamp = path_of("binding"), snap.token, snap_timestamp()
    over_escaped = _hmac(snap.secret, symmetric_string_to_sign(
        "POST", path, token, hashlib.sha256(escaped.encode()).hexdigest(), timestamp))

    lenient = snap.post("binding", body, raw=escaped.encode(), timestamp=timestamp,
                        overrides={"X-SIGNATURE": over_escaped})
    configure(simulator_settings, STRICT=True)
    strict = snap.post("binding", body, raw=escaped.encode(), timestamp=timestamp,
                       overrides={"X-SIGNATURE": over_escaped})
    canonical = snap.post("binding", body)

    assert lenient.status_code == 200
    assert strict.json()["responseCode"] == "4010700"
    assert canonical.status_code == 200


def test_customer_token_missing_is_401xx04(snap: Snap, bound: Bound) -> None:
    response = snap.post("balance", BALANCE)

    assert response.status_code == 401
    assert response.json()["responseCode"] == "4011104"


def test_customer_token_unknown_is_401xx02(snap: Snap, bound: Bound) -> None:
    response = snap.post("balance", BALANCE, customer_token="unknown")

    assert response.json()["responseCode"] == "4011102"


def test_customer_token_is_accepted_without_bearer_prefix(snap: Snap, bound: Bound) -> None:
    response = snap.post("balance", BALANCE,
                         overrides={"Authorization-Customer": bound.access_token})

    assert response.json()["responseCode"] == "2001100"


def test_b2b_token_cannot_stand_in_for_a_customer_token(snap: Snap, bound: Bound) -> None:
    response = snap.post("balance", BALANCE, customer_token=snap.token)

    assert response.json()["responseCode"] == "4011102"


def test_missing_ip_address_is_400xx02(snap: Snap, bound: Bound) -> None:
    response = snap.post("balance", BALANCE, customer_token=bound.access_token, ip=None)

    assert response.json()["responseCode"] == "4001102"
    assert "X-IP-ADDRESS" in response.json()["responseMessage"]


def test_short_ipv4_is_accepted_unless_strict(snap: Snap, bound: Bound,
                                              simulator_settings: Any) -> None:
    lenient = snap.post("balance", BALANCE, customer_token=bound.access_token, ip="10.0.0.1")
    configure(simulator_settings, STRICT=True)
    strict = snap.post("balance", BALANCE, customer_token=bound.access_token, ip="10.0.0.1")

    assert lenient.json()["responseCode"] == "2001100"
    assert strict.json()["responseCode"] == "4001101"


def test_missing_device_id_on_binding_is_400xx02(snap: Snap) -> None:
    response = snap.post("binding", binding_body(), device=None)

    assert response.json()["responseCode"] == "4000702"


def test_legacy_merchant_allo_path_is_an_alias(snap: Snap, bound: Bound) -> None:
    legacy = PREFIX + "/direct-debit/merchant/allo/v1.0/balance-inquiry"

    response = snap.post("balance", BALANCE, path=legacy, customer_token=bound.access_token)

    assert response.json()["responseCode"] == "2001100"
