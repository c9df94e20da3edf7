"""Refunds: what was asked of DOKU and what it answered; settle an unknown one."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import Refund, RefundStatus
from .actions import run_each, status_check
from .base import DokuAlloModelAdmin
from .display import amount_column, field_column, json_column, payment_link_column

__all__ = ["RefundAdmin"]


class RefundAdmin(DokuAlloModelAdmin):
    # What fits a 1280 px screen; DOKU's refundNo, who asked and the refunded date
    # are on the refund's page (and searchable, filterable).
    list_display = ("reference", "payment_link", "amount_display", "status", "created")
    list_filter = ("status", "created_at", "refunded_at")
    list_select_related = ("payment",)
    sortable_by = ("reference", "created")
    search_fields = ("partner_refund_no", "refund_no", "external_id",
                     "payment__partner_reference_no", "payment__reference_no",
                     "payment__order_id")
    phone_lookup = "payment__binding__phone_number"
    user_lookup = "payment__user"
    actions = ("check_refund_status",)
    fieldsets = (
        (None, {"fields": ("payment_link", "amount_display", "reason", "status",
                           "requested_by")}),
        (_("DOKU"), {"fields": ("partner_refund_no", "refund_no", "external_id",
                                "response_code", "response_message", "request_json",
                                "raw_json")}),
        (_("Dates"), {"fields": ("created_at", "updated_at", "refunded_at",
                                 "last_checked_at")}),
    )

    reference = field_column("partner_refund_no", _("reference"))
    created = field_column("created_at", _("created"))
    payment_link = payment_link_column()
    amount_display = amount_column()
    request_json = json_column("request_body", _("request sent to DOKU"))
    raw_json = json_column("raw", _("DOKU's last answer"))

    def label(self, record: Refund) -> str:
        return gettext("Refund %(reference)s") % {"reference": record.partner_refund_no}

    def has_sync_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.action(description=_("Check status at DOKU"), permissions=["sync"])
    def check_refund_status(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        # services.sync_refund applies the answer under the payment's lock, then the
        # refund's (payment before refund, always): a refund lock taken here first
        # would invert that order.
        run_each(self, request, queryset.select_related("payment").order_by("pk"),
                 status_check(services.sync_refund,
                              (RefundStatus.SUCCEEDED, RefundStatus.FAILED)))
