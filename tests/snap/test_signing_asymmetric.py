"""The asymmetric (RSA) signatures of token requests and notifications (spec section 3)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from django_doku_allo.snap.signing import (
    asymmetric_request_signature,
    asymmetric_signature,
    load_private_key,
    load_public_key,
    verify_asymmetric_request_signature,
    verify_asymmetric_signature,
)
from tests.support.keys import KeyPair
from tests.support.strategies import garbage

TIMESTAMP = "2024-01-01T00:00:00+07:00"


# --------------------------------------------------------------------------- asymmetric
@pytest.mark.parametrize("private_format", ["pkcs8", "pkcs1"])
@pytest.mark.parametrize("public_format", ["spki", "pkcs1"])
def test_token_request_signature_verifies_with_the_public_key_in_any_pem_format(
    merchant_keys: KeyPair, private_format: str, public_format: str,
) -> None:
    private = {"pkcs8": merchant_keys.private_pkcs8,
               "pkcs1": merchant_keys.private_pkcs1}[private_format]
    public = {"spki": merchant_keys.public_spki,
              "pkcs1": merchant_keys.public_pkcs1}[public_format]
    signature = asymmetric_signature(private, "CLIENT-1", TIMESTAMP)
    assert verify_asymmetric_signature(public, "CLIENT-1", TIMESTAMP, signature)


def test_token_request_signature_is_deterministic_pkcs1v15_base64(
    merchant_keys: KeyPair,
) -> None:
    one = asymmetric_signature(merchant_keys.private_pkcs8, "CLIENT-1", TIMESTAMP)
    two = asymmetric_signature(merchant_keys.private_pkcs1, "CLIENT-1", TIMESTAMP)
    assert one == two  # PKCS#1 v1.5 is deterministic; the two PEMs are one key
    assert re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", one)
    assert len(one) == 344


def test_token_request_signature_does_not_verify_with_another_key(
    merchant_keys: KeyPair, other_keys: KeyPair,
) -> None:
    signature = asymmetric_signature(merchant_keys.private_pkcs8, "CLIENT-1", TIMESTAMP)
    assert not verify_asymmetric_signature(other_keys.public_spki, "CLIENT-1", TIMESTAMP,
                                           signature)


def test_token_request_signature_covers_client_id_and_timestamp(merchant_keys: KeyPair) -> None:
    signature = asymmetric_signature(merchant_keys.private_pkcs8, "CLIENT-1", TIMESTAMP)
    public = merchant_keys.public_spki
    assert not verify_asymmetric_signature(public, "CLIENT-2", TIMESTAMP, signature)
    assert not verify_asymmetric_signature(public, "CLIENT-1", "2024-01-01T00:00:01+07:00",
                                           signature)


def test_public_key_can_be_derived_from_the_private_key(merchant_keys: KeyPair) -> None:
    private = load_private_key(merchant_keys.private_pkcs1)
    signature = asymmetric_signature(private, "C", TIMESTAMP)
    assert verify_asymmetric_signature(private, "C", TIMESTAMP, signature)
    assert verify_asymmetric_signature(load_public_key(merchant_keys.public_pkcs1), "C",
                                       TIMESTAMP, signature)


def test_loading_a_non_key_raises_value_error() -> None:
    with pytest.raises(ValueError):
        load_private_key("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")


@settings(max_examples=60)
@given(key=garbage, client_id=garbage, timestamp=garbage, signature=garbage)
def test_verify_asymmetric_never_raises_on_garbage(
    key: Any, client_id: Any, timestamp: Any, signature: Any,
) -> None:
    assert verify_asymmetric_signature(key, client_id, timestamp, signature) in (True, False)


@settings(max_examples=60)
@given(signature=st.text(max_size=400))
def test_verify_asymmetric_never_raises_on_a_garbage_signature_with_a_real_key(
    merchant_keys: KeyPair, signature: str,
) -> None:
    assert not verify_asymmetric_signature(merchant_keys.public_spki, "C", TIMESTAMP,
                                           signature)


def test_asymmetric_request_signature_round_trips_and_binds_the_body(
    merchant_keys: KeyPair,
) -> None:
    body = {"a": "b"}
    signature = asymmetric_request_signature(merchant_keys.private_pkcs8, "POST", "/notify",
                                             body, TIMESTAMP)
    public = merchant_keys.public_spki
    assert verify_asymmetric_request_signature(public, "POST", "/notify", body, TIMESTAMP,
                                               signature)
    assert verify_asymmetric_request_signature(public, "POST", "/notify", b'{"a": "b"}',
                                               TIMESTAMP, signature)
    assert not verify_asymmetric_request_signature(public, "POST", "/notify", {"a": "c"},
                                                   TIMESTAMP, signature)
    assert not verify_asymmetric_request_signature(public, "POST", "/notify", None, None,
                                                   None)  # type: ignore[arg-type]
