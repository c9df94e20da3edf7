"""The canonical body that is hashed and sent (spec section 3)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given

from django_doku_allo.snap.signing import body_sha256_hex, minify
from tests.support.strategies import json_bodies


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
    # "/" is never escaped (an escaped backslash before a "/" in the data is not that)
    assert "\\/" not in text.replace("\\\\", "")


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
