"""Allo Bank account links: who, which (masked) phone, DOKU's answer; unbind."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .. import services
from ..exceptions import BindingNotActive
from ..models import Binding, BindingStatus, Payment
from .actions import Outcome, run_each
from .base import DokuAlloModelAdmin
from .display import json_column, masked_phone_column, related_list_column

__all__ = ["BindingAdmin"]


class BindingAdmin(DokuAlloModelAdmin):
    list_display = ("id", "phone", "user", "status", "reference_no", "created_at",
                    "activated_at", "unbound_at")
    list_display_links = ("id", "phone")
    list_filter = ("status", "created_at", "activated_at")
    list_select_related = ("user",)
    sortable_by = ("id", "phone", "reference_no", "created_at", "activated_at")
    search_fields = ("reference_no", "external_id", "cust_id_merchant")
    phone_lookup = "phone_number"
    user_lookup = "user"
    actions = ("unbind_bindings",)
    fieldsets = (
        (None, {"fields": ("user", "phone", "status", "failure_reason", "payments")}),
        (_("DOKU"), {"fields": ("cust_id_merchant", "reference_no", "external_id",
                                "response_code", "response_message", "raw_json")}),
        (_("Customer's device"), {"fields": ("customer_ip", "device_id")}),
        (_("Dates"), {"fields": ("created_at", "updated_at", "activated_at", "unbound_at",
                                 "access_token_expires_at")}),
    )

    phone = masked_phone_column()
    raw_json = json_column("raw", _("DOKU's last answer"))
    payments = related_list_column(Payment, "binding", _("Payments of this binding"),
                                   _("payments"))

    def has_unbind_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("doku_allo.can_unbind")

    @admin.action(description=_("Unbind selected Allo Bank accounts"), permissions=["unbind"])
    def unbind_bindings(self, request: HttpRequest, queryset: QuerySet[Binding]) -> None:
        # services.unbind locks the binding itself, and must commit "unbinding"
        # before it calls DOKU: no lock here.
        run_each(self, request, queryset.order_by("pk"), _unbind,
                 refusals=(BindingNotActive,))


def _unbind(binding: Binding) -> Outcome:
    if binding.status == BindingStatus.UNBOUND:
        return Outcome.skipped("already unbound.")
    result = services.unbind(binding)
    return Outcome(f"unbound ({result.get_status_display()}).")
