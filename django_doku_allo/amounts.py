"""Amounts as people read them, in the active language: ``Rp150.000`` in ``id``.

One home for every surface (admin, simulator pages, the example shop, e-mails a
merchant writes): rupiah are shown without minor units unless there are some,
grouped with the active locale's separators.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.formats import number_format

__all__ = ["format_amount"]

#: Symbols people in Indonesia read; any other currency is shown by its ISO code.
_SYMBOLS = {"IDR": "Rp"}


def format_amount(amount: Any, currency: str = "IDR") -> str:
    """``amount`` in ``currency``, formatted for the active language.

    ``Rp150.000`` in Indonesian, ``Rp150,000`` in English; ``Rp150.000,50`` when
    there are sen. ``None`` (no amount yet) is shown as an empty string.
    """
    if amount is None or amount == "":
        return ""
    value = Decimal(str(amount))
    places = 0 if value == value.to_integral_value() else 2
    number = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    symbol = _SYMBOLS.get(currency)
    if symbol is None:
        return f"{currency} {number}"
    if number.startswith("-"):
        return f"-{symbol}{number[1:]}"
    return f"{symbol}{number}"
