"""How the admin shows values: links, amounts, masked phones, JSON with secrets redacted.

The ``*_column`` factories make the display methods several admins share
(``phone = masked_phone_column("binding")``), so each is written once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import display_for_value
from django.db.models import Model
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ..amounts import format_amount
from ..snap.redaction import REDACTED, SECRET_HEADERS, mask_phone

__all__ = [
    "admin_link", "amount_column", "changelist_link", "field_column", "json_column",
    "masked_phone_column",
    "money", "payment_link_column", "pretty_json", "redact", "related_list_column",
]

#: A display method as a ModelAdmin attribute: called with the admin and the object.
Column = Callable[[Any, Any], str]

#: JSON keys whose values are credentials: DOKU's binding answer carries the authCode.
SECRET_JSON_KEYS = frozenset({
    "authcode", "accesstoken", "refreshtoken", "tokenid", "clientsecret", "token",
    *SECRET_HEADERS,
})
PHONE_JSON_KEYS = frozenset({"phoneno", "phonenumber", "phone"})


# --------------------------------------------------------------------------- values
def redact(value: Any) -> Any:
    """A copy of JSON ``value`` with credentials replaced and phone numbers masked."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            lowered = str(key).lower()
            if lowered in SECRET_JSON_KEYS:
                out[key] = REDACTED
            elif lowered in PHONE_JSON_KEYS and isinstance(item, str):
                out[key] = mask_phone(item)
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def pretty_json(value: Any) -> SafeString:
    text = json.dumps(redact(value), indent=2, ensure_ascii=False, sort_keys=True,
                      default=str)
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


def admin_link(obj: Model | None, text: str | None = None) -> str:
    if obj is None:
        return "-"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else str(obj))


def changelist_link(model: type[Model], query: str, text: str) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, query, text)


def money(amount: Any, currency: str) -> str:
    """``Rp150.000`` in Indonesian, ``Rp150,000`` in English: the shared formatter."""
    return format_amount(amount, currency)


# --------------------------------------------------------------------------- columns
def json_column(field: str, description: str | Promise) -> Column:
    """Shows the JSON in ``field``, redacted, as a preformatted block."""

    @admin.display(description=description)
    def show(modeladmin: Any, obj: Any) -> SafeString:
        return pretty_json(getattr(obj, field))

    return show


def field_column(field: str, description: str | Promise, *, sortable: bool = True,
                 boolean: bool = False) -> Column:
    """Model field ``field`` under a header staff read (``reference``, not
    ``partnerReferenceNo``, which the admin's CSS capitalises to PARTNERREFERENCENO).

    A choice field shows its label; dates are shown in the site's time zone, as for
    the field itself.
    """

    def show(modeladmin: Any, obj: Any) -> Any:
        if boolean:
            return getattr(obj, field)  # the admin draws its yes/no icon
        label = getattr(obj, f"get_{field}_display", None)
        value = label() if label is not None else getattr(obj, field)
        return display_for_value(value, modeladmin.get_empty_value_display())

    # The cell's CSS class (field-<name>) stays the field's, as before.
    show.__name__ = field
    return admin.display(description=description, boolean=boolean or None,
                         ordering=field if sortable else None)(show)


def amount_column() -> Column:
    @admin.display(description=_("amount"), ordering="amount")
    def show(modeladmin: Any, obj: Any) -> str:
        return money(obj.amount, obj.currency)

    return show


def masked_phone_column(binding: str = "") -> Column:
    """The phone number of the binding at relation ``binding`` (the object's own if empty).

    Only ever masked: the full number is for the services and for exact search.
    """
    prefix = f"{binding}__" if binding else ""

    @admin.display(description=_("phone number"), ordering=f"{prefix}phone_number")
    def show(modeladmin: Any, obj: Any) -> str:
        return (getattr(obj, binding) if binding else obj).masked_phone

    return show


def related_list_column(model: type[Model], field: str, text: str | Promise,
                        description: str | Promise) -> Column:
    """A link to ``model``'s change list, filtered to the rows whose ``field`` is this object."""

    @admin.display(description=description)
    def show(modeladmin: Any, obj: Any) -> str:
        return changelist_link(model, f"{field}={obj.pk}", str(text))

    return show


def payment_link_column() -> Column:
    """A link to the object's payment, named by our reference; "-" when there is none."""

    @admin.display(description=_("payment"), ordering="payment__partner_reference_no")
    def show(modeladmin: Any, obj: Any) -> str:
        payment = obj.payment
        return admin_link(payment, payment.partner_reference_no if payment else None)

    return show
