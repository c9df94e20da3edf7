"""The symmetric signature: DOKU's vectors, DOKU's SDK, and its properties (spec section 3)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from django_doku_allo.snap.signing import (
    EMPTY_BODY_SHA256,
    body_sha256_hex,
    minify,
    snap_timestamp,
    symmetric_signature,
    verify_symmetric_signature,
)
from tests.support.doku_sdk import SdkSigner
from tests.support.snap_client import raw_symmetric_signature
from tests.support.strategies import (
    ascii_bodies,
    ascii_chars,
    garbage,
    json_bodies,
    mutate_text,
    paths,
    plain_bodies,
    tokens,
)

SECRET = "SECRET"
PATH = "/direct-debit/core/v1/balance-inquiry"
TIMESTAMP = "2024-01-01T00:00:00+07:00"
BALANCE_BODY = {"additionalInfo": {"channel": "DIRECT_DEBIT_ALLO_SNAP"}}
VECTOR_SIGNATURE = (
    "cFmzaKdWoqjpGdGiyyi0R0Gq1i93OSbPQ0lpfijI/SEH50b5hW1Woly+Jhz6wv9adu5mJ1IrR+Ie6XvNkF2ZAg=="
)
DOKU_MINIFY_EXAMPLE = (
    '{"partnerServiceId":"  088899","customerNo":"12345678901234567890",'
    '"virtualAccountNo":"  08889912345678901234567890","virtualAccountName":"Jokul Doe",'
    '"virtualAccountEmail":"jokul@email.com","virtualAccountPhone":"6281828384858",'
    '"trxId":"abcdefgh1234","totalAmount":{"value":"12345678.00","currency":"IDR"}}'
)


# --------------------------------------------------------------------------- known vectors
def test_minify_of_dokus_worked_example_hashes_to_the_value_doku_prints() -> None:
    assert minify(json.loads(DOKU_MINIFY_EXAMPLE)) == DOKU_MINIFY_EXAMPLE
    assert body_sha256_hex(json.loads(DOKU_MINIFY_EXAMPLE)) == (
        "3274fab8dac896837b106a16da2a974e7e65142dcecb4b768ef0294102838977")


def test_minify_of_the_worked_example_with_spaces_between_tokens_gives_the_same_hash() -> None:
    spaced = json.dumps(json.loads(DOKU_MINIFY_EXAMPLE), indent=2)
    assert body_sha256_hex(spaced) == (
        "3274fab8dac896837b106a16da2a974e7e65142dcecb4b768ef0294102838977")


def test_one_leading_space_less_in_a_string_changes_the_hash() -> None:
    altered = json.loads(DOKU_MINIFY_EXAMPLE)
    altered["partnerServiceId"] = " 088899"
    assert body_sha256_hex(altered) != (
        "3274fab8dac896837b106a16da2a974e7e65142dcecb4b768ef0294102838977")


def test_symmetric_signature_matches_the_reference_vector() -> None:
    assert body_sha256_hex(BALANCE_BODY) == (
        "0a01c5c21effaea8c129a832f1271d380c2f32837527a423de89f99c191c78d2")
    assert symmetric_signature(SECRET, "POST", PATH, "TESTTOKEN", BALANCE_BODY,
                               TIMESTAMP) == VECTOR_SIGNATURE


def test_symmetric_signature_signs_the_bare_token_when_given_a_bearer_header_value() -> None:
    assert symmetric_signature(SECRET, "POST", PATH, "Bearer TESTTOKEN", BALANCE_BODY,
                               TIMESTAMP) == VECTOR_SIGNATURE


def test_symmetric_signature_of_the_compact_text_equals_that_of_the_dict() -> None:
    text = '{"additionalInfo":{"channel":"DIRECT_DEBIT_ALLO_SNAP"}}'
    assert symmetric_signature(SECRET, "POST", PATH, "TESTTOKEN", text,
                               TIMESTAMP) == VECTOR_SIGNATURE


def test_reference_vector_verifies_and_is_88_base64_characters() -> None:
    assert len(VECTOR_SIGNATURE) == 88
    assert verify_symmetric_signature(SECRET, "POST", PATH, "TESTTOKEN", BALANCE_BODY,
                                      TIMESTAMP, VECTOR_SIGNATURE)


def test_empty_body_hashes_to_sha256_of_the_empty_string() -> None:
    assert EMPTY_BODY_SHA256 == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    for empty in (None, "", b""):
        assert body_sha256_hex(empty) == EMPTY_BODY_SHA256


def test_signature_equals_dokus_python_sdk_for_the_reference_vector(
    sdk_symmetric_signature: SdkSigner,
) -> None:
    assert sdk_symmetric_signature("POST", PATH, "TESTTOKEN", BALANCE_BODY, TIMESTAMP,
                                   SECRET) == VECTOR_SIGNATURE


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=ascii_bodies, token=tokens, path=paths, timestamp=st.text(ascii_chars, max_size=30),
       secret=st.text(min_size=1, max_size=30))
def test_signature_equals_dokus_python_sdk_for_any_ascii_dict(
    sdk_symmetric_signature: SdkSigner, body: dict[str, Any], token: str, path: str,
    timestamp: str, secret: str,
) -> None:
    assert symmetric_signature(secret, "POST", path, token, body, timestamp) == (
        sdk_symmetric_signature("POST", path, token, body, timestamp, secret))


def test_a_body_sent_with_spaces_like_the_sdk_sends_verifies_against_the_compact_signature(
    sdk_symmetric_signature: SdkSigner,
) -> None:
    body = {"partnerReferenceNo": "INV-1", "amount": {"value": "10000.00", "currency": "IDR"},
            "additionalInfo": {"successPaymentUrl": "https://shop.example/ok?x=1&y=2",
                               "remarks": "Café order", "channel": "DIRECT_DEBIT_ALLO_SNAP"}}
    signature = sdk_symmetric_signature("POST", PATH, "TOKEN", body, TIMESTAMP, SECRET)
    wire = json.dumps(body).encode("utf-8")  # what requests(json=...) sends: spaces, \u00e9
    assert b": " in wire
    assert b", " in wire
    assert verify_symmetric_signature(SECRET, "POST", PATH, "TOKEN", wire, TIMESTAMP,
                                      signature)


def test_our_compact_body_with_raw_unicode_verifies_from_the_bytes_we_send() -> None:
    body = {"name": "Café/Ünïcode 東京", "url": "https://a.example/b"}
    signature = symmetric_signature(SECRET, "POST", PATH, "TOKEN", body, TIMESTAMP)
    sent = minify(body).encode("utf-8")
    assert "é".encode() in sent
    assert b"\\/" not in sent
    assert signature == raw_symmetric_signature(SECRET, "POST", PATH, "TOKEN", sent, TIMESTAMP)
    assert verify_symmetric_signature(SECRET, "POST", PATH, "TOKEN", sent, TIMESTAMP,
                                      signature)


def test_a_body_with_escaped_slashes_like_php_sends_verifies_against_the_unescaped_one() -> None:
    body = {"url": "https://a.example/b"}
    signature = symmetric_signature(SECRET, "POST", PATH, "TOKEN", body, TIMESTAMP)
    wire = b'{"url":"https:\\/\\/a.example\\/b"}'
    assert verify_symmetric_signature(SECRET, "POST", PATH, "TOKEN", wire, TIMESTAMP,
                                      signature)


# --------------------------------------------------------------------------- properties
@given(body=json_bodies, token=tokens, path=paths, secret=st.text(min_size=1, max_size=20))
def test_verify_accepts_what_sign_produced_for_the_dict_and_for_the_sent_bytes(
    body: dict[str, Any], token: str, path: str, secret: str,
) -> None:
    timestamp = snap_timestamp()
    signature = symmetric_signature(secret, "POST", path, token, body, timestamp)
    assert verify_symmetric_signature(secret, "POST", path, token, body, timestamp, signature)
    sent = minify(body).encode("utf-8")
    assert verify_symmetric_signature(secret, "POST", path, token, sent, timestamp, signature)
    assert signature == raw_symmetric_signature(secret, "POST", path, token, sent, timestamp)


@given(body=plain_bodies, index=st.integers(min_value=0), byte=st.integers(0, 255))
def test_changing_any_single_byte_of_the_body_breaks_the_signature(
    body: dict[str, Any], index: int, byte: int,
) -> None:
    sent = bytearray(minify(body).encode("utf-8"))
    index %= len(sent)
    assume(sent[index] != byte)
    signature = symmetric_signature(SECRET, "POST", PATH, "TOKEN", body, TIMESTAMP)
    sent[index] = byte
    assert not verify_symmetric_signature(SECRET, "POST", PATH, "TOKEN", bytes(sent),
                                          TIMESTAMP, signature)


@given(path=paths, index=st.integers(min_value=0), char=st.characters())
def test_changing_any_character_of_the_path_breaks_the_signature(
    path: str, index: int, char: str,
) -> None:
    signature = symmetric_signature(SECRET, "POST", path, "TOKEN", BALANCE_BODY, TIMESTAMP)
    changed = mutate_text(path, index, char)
    assert not verify_symmetric_signature(SECRET, "POST", changed, "TOKEN", BALANCE_BODY,
                                          TIMESTAMP, signature)


@given(token=tokens, index=st.integers(min_value=0), char=st.characters())
def test_changing_any_character_of_the_token_breaks_the_signature(
    token: str, index: int, char: str,
) -> None:
    signature = symmetric_signature(SECRET, "POST", PATH, token, BALANCE_BODY, TIMESTAMP)
    changed = mutate_text(token, index, char)
    assert not verify_symmetric_signature(SECRET, "POST", PATH, changed, BALANCE_BODY,
                                          TIMESTAMP, signature)


@given(index=st.integers(min_value=0), char=st.characters())
def test_changing_any_character_of_the_timestamp_breaks_the_signature(
    index: int, char: str,
) -> None:
    changed = mutate_text(TIMESTAMP, index, char)
    assert not verify_symmetric_signature(SECRET, "POST", PATH, "TESTTOKEN", BALANCE_BODY,
                                          changed, VECTOR_SIGNATURE)


@given(index=st.integers(min_value=0), char=st.characters())
def test_changing_any_character_of_the_signature_makes_it_invalid(
    index: int, char: str,
) -> None:
    changed = mutate_text(VECTOR_SIGNATURE, index, char)
    assert not verify_symmetric_signature(SECRET, "POST", PATH, "TESTTOKEN", BALANCE_BODY,
                                          TIMESTAMP, changed)


@given(index=st.integers(min_value=0), char=st.characters())
def test_changing_any_character_of_the_method_breaks_the_signature_except_letter_case(
    index: int, char: str,
) -> None:
    # The method is upper-cased before signing ("post" signs as "POST"), so only a
    # change that is not merely letter case is a different request.
    changed = mutate_text("POST", index, char)
    assume(changed.upper() != "POST")
    assert not verify_symmetric_signature(SECRET, changed, PATH, "TESTTOKEN", BALANCE_BODY,
                                          TIMESTAMP, VECTOR_SIGNATURE)


def test_a_different_secret_does_not_verify() -> None:
    assert not verify_symmetric_signature("SECRET2", "POST", PATH, "TESTTOKEN", BALANCE_BODY,
                                          TIMESTAMP, VECTOR_SIGNATURE)


def test_a_lower_case_signature_does_not_verify() -> None:
    # Java's and Node's SDKs compare case-insensitively; base64 is case-sensitive.
    assert not verify_symmetric_signature(SECRET, "POST", PATH, "TESTTOKEN", BALANCE_BODY,
                                          TIMESTAMP, VECTOR_SIGNATURE.lower())


@given(secret=garbage, method=garbage, path=garbage, token=garbage, body=garbage,
       timestamp=garbage, signature=garbage)
def test_verify_symmetric_never_raises_on_garbage(
    secret: Any, method: Any, path: Any, token: Any, body: Any, timestamp: Any,
    signature: Any,
) -> None:
    assert verify_symmetric_signature(secret, method, path, token, body, timestamp,
                                      signature) in (True, False)


@given(body=st.text(max_size=60) | st.binary(max_size=60), signature=st.text(max_size=100))
def test_verify_symmetric_never_raises_on_garbage_bodies_and_signatures(
    body: Any, signature: str,
) -> None:
    assert not verify_symmetric_signature(SECRET, "POST", PATH, "TOKEN", body, TIMESTAMP,
                                          signature)
