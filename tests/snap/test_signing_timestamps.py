"""X-TIMESTAMP and X-EXTERNAL-ID (spec section 4)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_doku_allo.snap.signing import (
    new_external_id,
    parse_snap_timestamp,
    snap_timestamp,
)


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
