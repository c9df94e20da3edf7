"""Signatures, the canonical body, timestamps and external ids (spec sections 3 and 4)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from django_doku_allo.snap.signing import (
    EMPTY_BODY_SHA256,
    asymmetric_request_signature,
    asymmetric_signature,
    body_sha256_hex,
    load_private_key,
    load_public_key,
    minify,
    new_external_id,
    parse_snap_timestamp,
    snap_timestamp,
    symmetric_signature,
    verify_asymmetric_request_signature,
    verify_asymmetric_signature,
    verify_symmetric_signature,
)

from .conftest import KeyPair, SdkSigner, raw_symmetric_signature

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

# --------------------------------------------------------------------------- strategies
_keys = st.text(max_size=8)
_scalars = (st.none() | st.booleans() | st.integers(-(10**18), 10**18)
            | st.text(max_size=20))
_floats = st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    _scalars | _floats,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)
json_bodies = st.dictionaries(_keys, json_values, max_size=6)

# "ASCII" stops at 0x7E: the SDK's ensure_ascii escapes DEL (0x7F) as \u007f while the
# canonical form (ours and Jackson's) writes it raw, so the two differ for DEL alone.
_ascii = st.characters(min_codepoint=0, max_codepoint=126)
_ascii_scalars = (st.none() | st.booleans() | st.integers(-(10**18), 10**18) | _floats
                  | st.text(_ascii, max_size=20))
ascii_bodies = st.dictionaries(
    st.text(_ascii, max_size=8),
    st.recursive(_ascii_scalars,
                 lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(st.text(_ascii, max_size=8), inner, max_size=4),
                 max_leaves=12),
    max_size=6,
)

# Bodies whose canonical text has exactly one spelling: no floats (``1.0`` and ``1e0``
# are one number) and no control characters (``\u001f`` and ``\u001F`` are one string).
_plain_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20)
_plain_scalars = st.none() | st.booleans() | st.integers(-(10**9), 10**9) | _plain_text
plain_bodies = st.dictionaries(
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=8),
    st.recursive(_plain_scalars,
                 lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(_plain_text, inner, max_size=3),
                 max_leaves=8),
    min_size=1, max_size=5,
)
tokens = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789._-"), min_size=1, max_size=40)
paths = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=60)
garbage = (st.none() | st.text(max_size=80) | st.binary(max_size=80) | st.integers()
           | st.lists(st.integers(), max_size=3) | st.dictionaries(st.text(max_size=4),
                                                                     st.integers(), max_size=3))


def _mutate_text(value: str, index: int, replacement: str) -> str:
    index %= len(value)
    assume(value[index] != replacement)
    return value[:index] + replacement + value[index + 1:]


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
@given(body=ascii_bodies, token=tokens, path=paths, timestamp=st.text(_ascii, max_size=30),
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
    changed = _mutate_text(path, index, char)
    assert not verify_symmetric_signature(SECRET, "POST", changed, "TOKEN", BALANCE_BODY,
                                          TIMESTAMP, signature)


@given(token=tokens, index=st.integers(min_value=0), char=st.characters())
def test_changing_any_character_of_the_token_breaks_the_signature(
    token: str, index: int, char: str,
) -> None:
    signature = symmetric_signature(SECRET, "POST", PATH, token, BALANCE_BODY, TIMESTAMP)
    changed = _mutate_text(token, index, char)
    assert not verify_symmetric_signature(SECRET, "POST", PATH, changed, BALANCE_BODY,
                                          TIMESTAMP, signature)


@given(index=st.integers(min_value=0), char=st.characters())
def test_changing_any_character_of_the_timestamp_breaks_the_signature(
    index: int, char: str,
) -> None:
    changed = _mutate_text(TIMESTAMP, index, char)
    assert not verify_symmetric_signature(SECRET, "POST", PATH, "TESTTOKEN", BALANCE_BODY,
                                          changed, VECTOR_SIGNATURE)


@given(index=st.integers(min_value=0), char=st.characters())
def test_changing_any_character_of_the_signature_makes_it_invalid(
    index: int, char: str,
) -> None:
    changed = _mutate_text(VECTOR_SIGNATURE, index, char)
    assert not verify_symmetric_signature(SECRET, "POST", PATH, "TESTTOKEN", BALANCE_BODY,
                                          TIMESTAMP, changed)


@given(index=st.integers(min_value=0), char=st.characters())
def test_changing_any_character_of_the_method_breaks_the_signature_except_letter_case(
    index: int, char: str,
) -> None:
    # The method is upper-cased before signing ("post" signs as "POST"), so only a
    # change that is not merely letter case is a different request.
    changed = _mutate_text("POST", index, char)
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


# --------------------------------------------------------------------------- minify
def test_minify_keeps_key_order_and_string_contents() -> None:
    body = {"z": 1, "a": {"y": "  two  spaces ", "b": "Café 東京 / slash"}, "m": [3, 1, 2]}
    assert minify(body) == (
        '{"z":1,"a":{"y":"  two  spaces ","b":"Café 東京 / slash"},"m":[3,1,2]}')


def test_minify_of_json_text_parses_and_writes_the_canonical_form() -> None:
    text = '{ "b" : "x\\u00e9\\/y" ,\n "a" : [ 1 , 2 ] }'
    assert minify(text) == '{"b":"xé/y","a":[1,2]}'
    assert minify(text.encode("utf-8")) == minify(text)


@given(body=json_bodies)
def test_minify_is_idempotent(body: dict[str, Any]) -> None:
    once = minify(body)
    assert minify(once) == once
    assert minify(once.encode("utf-8")) == once


@given(body=json_bodies)
def test_minify_has_no_whitespace_outside_strings_and_round_trips(body: dict[str, Any]) -> None:
    text = minify(body)
    assert json.loads(text) == body
    assert list(json.loads(text)) == list(body)
    assert "\\/" not in text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_minify_refuses_nan_and_infinity(value: float) -> None:
    with pytest.raises(ValueError, match=r"not JSON compliant|not allowed"):
        minify({"amount": value})


@pytest.mark.parametrize("text", ['{"a":NaN}', '{"a":Infinity}', '{"a":-Infinity}'])
def test_minify_refuses_nan_and_infinity_in_json_text(text: str) -> None:
    with pytest.raises(ValueError, match="not allowed"):
        minify(text)


def test_minify_refuses_a_lone_surrogate_that_cannot_be_sent_as_utf8() -> None:
    with pytest.raises(ValueError):
        minify({"name": "\ud800"})


def test_the_only_ascii_character_the_sdk_escapes_and_we_do_not_is_del() -> None:
    differing = [chr(c) for c in range(128)
                 if json.dumps(chr(c)) != json.dumps(chr(c), ensure_ascii=False)]
    assert differing == ["\x7f"]


def test_body_hash_is_over_utf8_of_the_minified_text() -> None:
    body = {"n": "Café"}
    assert body_sha256_hex(body) == hashlib.sha256('{"n":"Café"}'.encode()).hexdigest()


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


# --------------------------------------------------------------------------- timestamps
def test_snap_timestamp_is_jakarta_time_with_explicit_offset_and_whole_seconds() -> None:
    moment = datetime(2024, 1, 1, 0, 0, 0, 654321, tzinfo=timezone.utc)
    assert snap_timestamp(moment) == "2024-01-01T07:00:00+07:00"


def test_snap_timestamp_takes_a_naive_datetime_as_utc() -> None:
    assert snap_timestamp(datetime(2024, 1, 1, 17, 30)) == "2024-01-02T00:30:00+07:00"


def test_snap_timestamp_of_now_has_the_documented_shape() -> None:
    value = snap_timestamp()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00", value)
    assert abs(parse_snap_timestamp(value) - datetime.now(timezone.utc)) < timedelta(seconds=5)


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-01-01T00:00:00Z", datetime(2024, 1, 1, 0, 0, tzinfo=timezone.utc)),
    ("2024-01-01T07:00:00+07:00", datetime(2024, 1, 1, 0, 0, tzinfo=timezone.utc)),
    ("2023-12-31T20:30:00-03:30", datetime(2024, 1, 1, 0, 0, tzinfo=timezone.utc)),
    ("2020-12-21T07:56:11.000Z", datetime(2020, 12, 21, 7, 56, 11, tzinfo=timezone.utc)),
    ("2020-12-21T07:56:11.5Z", datetime(2020, 12, 21, 7, 56, 11, 500000, tzinfo=timezone.utc)),
    ("2020-12-21T14:56:11.123456+07:00",
     datetime(2020, 12, 21, 7, 56, 11, 123456, tzinfo=timezone.utc)),
])
def test_parse_snap_timestamp_accepts_z_offsets_and_fractions(
    text: str, expected: datetime,
) -> None:
    parsed = parse_snap_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is timezone.utc


@pytest.mark.parametrize("text", [
    "2024-01-01T00:00:00",  # no zone: cannot be checked against a replay window
    "2024-01-01 00:00:00+07:00",
    "2024-01-01T00:00+07:00",
    "2024-13-01T00:00:00+07:00",
    "2024-01-01T00:00:00+07:00\n",
    "2024-01-01T00:00:00.1234567Z",
    "\u0662024-01-01T00:00:00Z",
    "",
    "yesterday",
])
def test_parse_snap_timestamp_rejects_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        parse_snap_timestamp(text)


@pytest.mark.parametrize("value", [None, 1704067200, b"2024-01-01T00:00:00Z"])
def test_parse_snap_timestamp_rejects_non_text(value: Any) -> None:
    with pytest.raises(ValueError):
        parse_snap_timestamp(value)


@given(moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1),
                           timezones=st.just(timezone.utc)))
def test_parse_inverts_snap_timestamp_to_the_second(moment: datetime) -> None:
    assert parse_snap_timestamp(snap_timestamp(moment)) == moment.replace(microsecond=0)


# --------------------------------------------------------------------------- external ids
def test_external_ids_are_numeric_fit_every_field_and_are_distinct() -> None:
    ids = [new_external_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    for value in ids[:500]:
        assert value.isascii()
        assert value.isdigit()
        assert len(value) <= 32  # originalExternalId of a status inquiry allows 32
        assert not value.startswith("0")
