"""Template helpers: ``{% load doku_allo %}``, then ``{{ value|amount:currency }}``."""

from __future__ import annotations

from typing import Any

from django import template

from ..amounts import format_amount

register = template.Library()


@register.filter(name="amount")
def amount_filter(value: Any, currency: str = "IDR") -> str:
    """The amount in the active language, e.g. ``Rp150.000`` in Indonesian."""
    return format_amount(value, currency or "IDR")
