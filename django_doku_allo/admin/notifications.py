"""DOKU's notification deliveries as received, their outcome; reprocess after a fix."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..exceptions import InvalidNotification
from ..models import Notification
from ..snap.codes import TransactionStatus
from .actions import Outcome, run_each
from .base import DokuAlloModelAdmin
from .display import field_column, json_column, payment_link_column, pretty_json

__all__ = ["ErrorFilter", "NotificationAdmin", "TransactionStatusFilter"]

#: How much of an error the list shows; the whole one (and its traceback) is on the page.
_ERROR_PREVIEW_CHARS = 80


class ErrorFilter(admin.SimpleListFilter):
    """The deliveries staff must look at: processing raised, or verification refused."""

    title = _("error")
    parameter_name = "error"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("processing", _("processed with error")),
                ("verification", _("failed verification")),
                ("none", _("no error"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Notification]
                 ) -> QuerySet[Notification]:
        if self.value() == "processing":
            return queryset.exclude(error="")
        if self.value() == "verification":
            # verified=False is served by the partial index of unverified deliveries.
            return queryset.filter(verified=False).exclude(verification_error="")
        if self.value() == "none":
            return queryset.filter(error="", verification_error="")
        return queryset


#: What each latestTransactionStatus code means, in the staff's words.
_TRANSACTION_STATUS_WORDS = {
    TransactionStatus.SUCCESS: _("success"),
    TransactionStatus.INITIATED: _("initiated"),
    TransactionStatus.PAYING: _("paying"),
    TransactionStatus.PENDING: _("pending"),
    TransactionStatus.REFUNDED: _("refunded"),
    TransactionStatus.CANCELED: _("canceled"),
    TransactionStatus.FAILED: _("failed"),
    TransactionStatus.NOT_FOUND: _("not found"),
}


class TransactionStatusFilter(admin.SimpleListFilter):
    """latestTransactionStatus by DOKU's codes: a fixed list, so no query to offer them.

    (Django's default for a plain column, AllValuesFieldListFilter, lists its choices
    with ``SELECT DISTINCT`` over the whole table on every page.)
    """

    title = _("latestTransactionStatus")
    parameter_name = "latest_transaction_status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        # DOKU's code first (what staff compare with DOKU's dashboard), then its meaning.
        return [(status.value, f"{status.value} {_TRANSACTION_STATUS_WORDS[status]}")
                for status in TransactionStatus]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Notification]
                 ) -> QuerySet[Notification]:
        value = self.value()
        return queryset.filter(latest_transaction_status=value) if value else queryset


class NotificationAdmin(DokuAlloModelAdmin):
    # What fits a 1280 px screen: the outcome column shows the error, when there is
    # one, before the result; "flagged" is a filter, and it and the payment's link
    # are on the notification's page (its id too: the received time links to it).
    list_display = ("received", "reference", "transaction_status", "verified_icon",
                    "processed_icon", "outcome")
    list_display_links = ("received",)
    list_filter = (ErrorFilter, "verified", "processed", "flagged", TransactionStatusFilter,
                   "received_at")
    sortable_by = ("received", "reference")
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

    received = field_column("received_at", _("received"))
    reference = field_column("original_partner_reference_no", _("payment reference"))
    transaction_status = field_column("latest_transaction_status", _("DOKU status"),
                                      sortable=False)
    verified_icon = field_column("verified", _("verified"), sortable=False, boolean=True)
    processed_icon = field_column("processed", _("processed"), sortable=False, boolean=True)
    payment_link = payment_link_column()
    headers_json = json_column("headers", _("headers"))

    def label(self, notification: Notification) -> str:
        return gettext("Notification %(id)s") % {"id": notification.pk}

    @admin.display(description=_("outcome"))
    def outcome(self, notification: Notification) -> str:
        """The error first (what staff look for), shortened; else the result."""
        error = notification.error or notification.verification_error
        if error:
            return format_html('<span class="doku-allo-error" style="color: var(--error-fg)">'
                               '{}</span>', Truncator(error).chars(_ERROR_PREVIEW_CHARS))
        return notification.result or self.get_empty_value_display()

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
        return Outcome(gettext("flagged, not applied: %(result)s.")
                       % {"result": notification.result}, messages.WARNING)
    return Outcome(gettext("processed: %(result)s.") % {"result": notification.result})
