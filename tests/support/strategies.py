"""Hypothesis strategies for the signing and minify properties."""

from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st

__all__ = ["ascii_bodies", "ascii_chars", "garbage", "json_bodies", "mutate_text", "paths",
           "plain_bodies", "tokens"]

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
ascii_chars = st.characters(min_codepoint=0, max_codepoint=126)
_ascii_scalars = (st.none() | st.booleans() | st.integers(-(10**18), 10**18) | _floats
                  | st.text(ascii_chars, max_size=20))
ascii_bodies = st.dictionaries(
    st.text(ascii_chars, max_size=8),
    st.recursive(_ascii_scalars,
                 lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(st.text(ascii_chars, max_size=8), inner, max_size=4),
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


def mutate_text(value: str, index: int, replacement: str) -> str:
    index %= len(value)
    assume(value[index] != replacement)
    return value[:index] + replacement + value[index + 1:]
