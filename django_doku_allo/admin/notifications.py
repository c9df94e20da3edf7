"""DOKU's notification deliveries as received, their outcome; reprocess after a fix."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from .. import services
from ..exceptions import InvalidNotification
from ..models import Notification
from ..snap.codes import TransactionStatus
from .actions import Outcome, run_each
from .base import DokuAlloModelAdmin
from .display import json_column, payment_link_column, pretty_json

__all__ = ["NotificationAdmin", "TransactionStatusFilter"]


class TransactionStatusFilter(admin.SimpleListFilter):
    """latestTransactionStatus by DOKU's codes: a fixed list, so no query to offer them.

    (Django's default for a plain column, AllValuesFieldListFilter, lists its choices
    with ``SELECT DISTINCT`` over the whole table on every page.)
    """

    title = _("latestTransactionStatus")
    parameter_name = "latest_transaction_status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(status.value, f"{status.value} {status.name.replace('_', ' ').lower()}")
                for status in TransactionStatus]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Notification]
                 ) -> QuerySet[Notification]:
        value = self.value()
        return queryset.filter(latest_transaction_status=value) if value else queryset


class NotificationAdmin(DokuAlloModelAdmin):
    list_display = ("id", "received_at", "original_partner_reference_no",
                    "latest_transaction_status", "verified", "processed", "flagged",
                    "result", "payment_link")
    list_filter = ("verified", "processed", "flagged", TransactionStatusFilter, "received_at")
    list_select_related = ("payment",)
    sortable_by = ("id", "received_at", "original_partner_reference_no")
    search_fields = ("original_partner_reference_no", "external_id",
                     "payment__reference_no", "payment__order_id")
    search_help_text = _("originalPartnerReferenceNo, X-EXTERNAL-ID, or the payment's DOKU "
                         "reference or order id.")
    actions = ("reprocess_notifications",)
    fieldsets = (
        (None, {"fields": ("payment_link", "original_partner_reference_no",
                           "latest_transaction_status", "external_id")}),
        (_("Outcome"), {"fields": ("verified", "verification_error", "processed",
                                   "processed_at", "flagged", "result", "error",
                                   "traceback_text")}),
        (_("Delivery"), {"fields": ("received_at", "remote_addr", "path", "headers_json",
                                    "body_json")}),
    )

    payment_link = payment_link_column()
    headers_json = json_column("headers", _("headers"))

    def label(self, notification: Notification) -> str:
        return f"Notification {notification.pk}"

    @admin.display(description=_("body"))
    def body_json(self, notification: Notification) -> SafeString:
        try:
            return pretty_json(json.loads(notification.body))
        except ValueError:
            # Not JSON: shown as received, but it was never processed either.
            return format_html("<pre>{}</pre>", notification.body)

    @admin.display(description=_("traceback"))
    def traceback_text(self, notification: Notification) -> SafeString:
        if not notification.traceback:
            return mark_safe("-")  # a constant
        return format_html("<pre>{}</pre>", notification.traceback)

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("doku_allo.change_notification")

    @admin.action(description=_("Reprocess selected notifications"),
                  permissions=["reprocess"])
    def reprocess_notifications(self, request: HttpRequest,
                                queryset: QuerySet[Notification]) -> None:
        # Processing locks the notification, then its payment, itself: no lock here.
        run_each(self, request, queryset.order_by("pk"), _reprocess,
                 refusals=(InvalidNotification,))


def _reprocess(notification: Notification) -> Outcome:
    answer = services.reprocess_notification(notification)
    # The service stores the result (or the error) on the row, not on this copy.
    notification.refresh_from_db()
    if answer.http_status >= 500:
        return Outcome.failed(notification.error)
    if notification.flagged:
        return Outcome(f"flagged, not applied: {notification.result}.", messages.WARNING)
    return Outcome(f"processed: {notification.result}.")
