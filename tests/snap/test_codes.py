"""Response codes and what each means for a write (payment, refund, binding, unbinding)
and a read (balance, status, tokens): spec section 7, reference section 9.3."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_doku_allo.snap import codes as codes_module
from django_doku_allo.snap.codes import Outcome, ResponseCode, TransactionStatus, classify

S, P, D, R, U = (Outcome.SUCCESS, Outcome.PENDING, Outcome.DECLINED, Outcome.RETRYABLE,
                 Outcome.UNKNOWN)

# (http status + case, outcome for a payment, outcome for a balance inquiry)
TABLE: list[tuple[str, str, Outcome, Outcome]] = [
    ("200", "00", S, S),
    ("202", "00", P, P),
    ("400", "00", D, D),
    ("400", "01", D, D),
    ("400", "02", D, D),
    ("401", "00", D, D),
    ("401", "01", D, D),
    ("401", "02", D, D),
    ("401", "03", D, D),
    ("401", "04", D, D),
    ("403", "00", D, D),
    ("403", "01", D, D),
    ("403", "02", D, D),
    ("403", "03", D, D),
    ("403", "05", D, D),
    ("403", "06", R, R),
    ("403", "14", D, D),
    ("403", "18", D, D),
    ("403", "23", D, D),
    ("404", "01", D, D),
    ("404", "11", D, D),
    ("404", "13", D, D),
    ("404", "18", D, D),
    ("405", "01", D, D),
    ("409", "00", U, R),
    ("409", "01", U, R),
    ("429", "00", R, R),
    ("500", "00", U, R),
    ("500", "01", U, R),
    ("500", "02", U, R),
    ("504", "00", U, R),
]


@pytest.mark.parametrize(("status", "case", "write_outcome", "read_outcome"), TABLE)
@pytest.mark.parametrize(("write_service", "read_service"), [("54", "11"), ("58", "55"),
                                                            ("07", "55"), ("09", "11")])
def test_every_code_in_the_table_classifies_by_whether_the_call_can_move_money(
    status: str, case: str, write_outcome: Outcome, read_outcome: Outcome,
    write_service: str, read_service: str,
) -> None:
    write_code = ResponseCode.parse(f"{status}{write_service}{case}")
    read_code = ResponseCode.parse(f"{status}{read_service}{case}")
    assert write_code is not None
    assert read_code is not None
    if (status, case) == ("404", "18") and write_service == "58":
        write_outcome = U  # see the refund test below
    assert classify(write_code) is write_outcome
    assert classify(read_code) is read_outcome


def test_success_codes_of_every_service_are_success() -> None:
    for raw in ("2000700", "2000900", "2001100", "2005400", "2005500", "2005600", "2005800",
                "2007300", "2007400"):
        code = ResponseCode.parse(raw)
        assert code is not None
        assert classify(code) is S, raw


def test_payment_created_2005400_is_success_and_2025400_is_pending() -> None:
    assert classify(_code("2005400")) is S
    assert classify(_code("2025400")) is P


def test_inconsistent_request_fails_a_payment_but_leaves_a_refund_unknown() -> None:
    # SNAP: 404xx18 counts as failed for a direct debit payment and as done for a refund
    # (the refund number was used before): the refund must be confirmed by status.
    assert classify(_code("4045418")) is D
    assert classify(_code("4045818")) is U


def test_duplicate_external_id_or_reference_is_unknown_for_a_write_and_retryable_for_a_read(
) -> None:
    assert classify(_code("4095400")) is U
    assert classify(_code("4095401")) is U
    assert classify(_code("4095500")) is R  # a status inquiry changes nothing


def test_server_errors_are_unknown_for_writes_and_retryable_for_reads() -> None:
    for raw in ("5005400", "5005401", "5045400", "5005800", "5000700", "5000900"):
        assert classify(_code(raw)) is U, raw
    for raw in ("5001100", "5001101", "5041100", "5005500", "5007300", "5007400"):
        assert classify(_code(raw)) is R, raw


def test_write_flag_overrides_the_service_default() -> None:
    assert classify(_code("5001100"), write=True) is U
    assert classify(_code("5005400"), write=False) is R


def test_too_many_requests_and_cut_off_are_retryable_later() -> None:
    assert classify(_code("4295400")) is R
    assert classify(_code("4035406")) is R


def test_invalid_b2b_token_cases_are_recognised() -> None:
    assert _code("4015401").is_invalid_b2b_token
    assert _code("4011103").is_invalid_b2b_token
    assert not _code("4015400").is_invalid_b2b_token  # bad signature: refreshing won't help
    assert not _code("4015402").is_invalid_b2b_token
    assert not _code("4005401").is_invalid_b2b_token  # invalid field format, not a 401


def test_invalid_customer_token_cases_are_recognised() -> None:
    assert _code("4015402").is_invalid_customer_token
    assert _code("4011104").is_invalid_customer_token
    assert not _code("4015401").is_invalid_customer_token


def test_parse_splits_status_service_and_case() -> None:
    code = _code("4035414")
    assert (code.http_status, code.service, code.case, str(code)) == (403, "54", "14",
                                                                        "4035414")


@pytest.mark.parametrize("raw", [
    None, 2005400, "", "200540", "20054000", "2005400\n", " 2005400", "200540a",
    "\u0662\u0660\u0660\u0665\u0664\u0660\u0660", "2,005,400", b"2005400",
])
def test_parse_rejects_anything_but_seven_ascii_digits(raw: Any) -> None:
    assert ResponseCode.parse(raw) is None


@given(st.text(max_size=10) | st.integers() | st.none() | st.binary(max_size=8))
def test_parse_accepts_exactly_the_seven_ascii_digit_strings(raw: Any) -> None:
    parsed = ResponseCode.parse(raw)
    is_code = isinstance(raw, str) and len(raw) == 7 and all(c in "0123456789" for c in raw)
    assert (parsed is not None) is is_code


@given(st.from_regex(r"[0-9]{7}", fullmatch=True), st.booleans())
def test_every_parseable_code_classifies_to_an_outcome(raw: str, write: bool) -> None:
    assert classify(_code(raw), write=write) in set(Outcome)


def test_transaction_statuses_and_which_are_final() -> None:
    assert TransactionStatus("00") is TransactionStatus.SUCCESS
    final = {s for s in TransactionStatus if s.is_final}
    assert final == {TransactionStatus.SUCCESS, TransactionStatus.REFUNDED,
                     TransactionStatus.CANCELED, TransactionStatus.FAILED}
    assert [s.value for s in TransactionStatus] == [f"0{i}" for i in range(8)]


def _code(raw: str) -> ResponseCode:
    code = ResponseCode.parse(raw)
    assert code is not None
    return code


NAMED_CODES = {name: getattr(codes_module, name) for name in codes_module.__all__
               if name.isupper() and isinstance(getattr(codes_module, name), str)}
SERVICE_OF_PREFIX = {"NOTIFICATION": "56", "B2B_TOKEN": "73", "B2B2C_TOKEN": "74",
                     "PAYMENT": "54", "REFUND": "58"}


@pytest.mark.parametrize(("name", "raw"), sorted(NAMED_CODES.items()))
def test_every_named_code_is_a_code_of_the_service_its_name_says(name: str, raw: str) -> None:
    code = _code(raw)
    [prefix] = [p for p in SERVICE_OF_PREFIX if name.startswith(p + "_")]
    assert code.service == SERVICE_OF_PREFIX[prefix]


def test_named_codes_are_distinct() -> None:
    assert len(set(NAMED_CODES.values())) == len(NAMED_CODES) >= 17
