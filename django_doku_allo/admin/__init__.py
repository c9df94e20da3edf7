"""Django admin for bindings, payments, refunds and DOKU's notifications.

Everything here is read-only: a status changes only through
:mod:`django_doku_allo.services`, which the actions call, one object at a time,
reporting each outcome (:mod:`.actions`). Tokens are never shown, phone numbers
only masked (a full number typed into search still finds its rows, :mod:`.search`),
and JSON from DOKU is shown with credentials redacted (:mod:`.display`).

This module only registers; a project that wants its own admin site can
unregister these and register the classes (or subclasses) with its site.
"""

from __future__ import annotations

from django.contrib import admin

from ..models import Binding, Notification, Payment, Refund
from .bindings import BindingAdmin
from .notifications import NotificationAdmin
from .payments import PaymentAdmin
from .refunds import RefundAdmin

__all__ = ["BindingAdmin", "NotificationAdmin", "PaymentAdmin", "RefundAdmin"]

admin.site.register(Binding, BindingAdmin)
admin.site.register(Payment, PaymentAdmin)
admin.site.register(Refund, RefundAdmin)
admin.site.register(Notification, NotificationAdmin)
