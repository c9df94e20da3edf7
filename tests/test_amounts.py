"""Amounts read the way the active language writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from django_doku_allo.amounts import format_amount


@pytest.mark.parametrize(("language", "amount", "shown"), [
    ("id", Decimal("150000.00"), "Rp150.000"),
    ("id", Decimal("1234567.50"), "Rp1.234.567,50"),
    ("en", Decimal("150000.00"), "Rp150,000"),
    ("en", Decimal("1234567.50"), "Rp1,234,567.50"),
])
def test_rupiah_use_the_active_languages_separators(language: str, amount: Decimal,
                                                    shown: str) -> None:
    with translation.override(language):
        assert format_amount(amount, "IDR") == shown


def test_a_negative_amount_keeps_the_sign_before_the_symbol() -> None:
    with translation.override("id"):
        assert format_amount(Decimal("-5000"), "IDR") == "-Rp5.000"


def test_another_currency_is_shown_by_its_code() -> None:
    with translation.override("en"):
        assert format_amount(Decimal("10"), "USD") == "USD 10"


def test_no_amount_shows_nothing() -> None:
    assert format_amount(None) == ""


def test_the_template_filter_formats_in_the_active_language() -> None:
    template = Template("{% load doku_allo %}{{ value|amount:'IDR' }}")
    with translation.override("id"):
        assert template.render(Context({"value": Decimal("150000.00")})) == "Rp150.000"
