"""Allo Bank account links: who, which (masked) phone, DOKU's answer; unbind."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..exceptions import BindingNotActive
from ..models import Binding, BindingStatus, Payment
from ..wording import (
    REASON_ALREADY_LINKED,
    REASON_OTP_NOT_COMPLETED,
    REASON_TOKEN_REVOKED,
    REASON_UNBOUND_BY_CUSTOMER,
    REASON_UNBOUND_BY_MERCHANT,
)
from .actions import Outcome, run_each
from .base import DokuAlloModelAdmin
from .display import field_column, json_column, masked_phone_column, related_list_column

__all__ = ["BindingAdmin"]

#: The reasons the services store (in English: data staff search), in the staff's words.
_STORED_REASONS = {
    REASON_UNBOUND_BY_MERCHANT: _("Unbound by the merchant (staff or the shop's code)."),
    REASON_UNBOUND_BY_CUSTOMER: _("Unlinked by the customer."),
    REASON_TOKEN_REVOKED: _("DOKU no longer knows the customer's token (unlinked in "
                            "Allo Bank, or expired)."),
    REASON_OTP_NOT_COMPLETED: _("The customer did not complete OTP/PIN at Allo Bank."),
    REASON_ALREADY_LINKED: _("This Allo Bank account is already linked."),
}


class BindingAdmin(DokuAlloModelAdmin):
    # What fits a 1280 px screen; DOKU's reference and the activation date are on
    # the binding's page (and searchable, filterable).
    list_display = ("id", "phone", "user", "status", "created", "unbound")
    list_display_links = ("id", "phone")
    list_filter = ("status", "created_at", "activated_at")
    list_select_related = ("user",)
    sortable_by = ("id", "phone", "created")
    search_fields = ("reference_no", "external_id", "cust_id_merchant")
    phone_lookup = "phone_number"
    user_lookup = "user"
    actions = ("unbind_bindings",)
    fieldsets = (
        (None, {"fields": ("user", "phone", "status", "reason", "payments")}),
        (_("DOKU"), {"fields": ("cust_id_merchant", "reference_no", "external_id",
                                "response_code", "response_message", "raw_json")}),
        (_("Customer's device"), {"fields": ("customer_ip", "device_id")}),
        (_("Dates"), {"fields": ("created_at", "updated_at", "activated_at", "unbound_at",
                                 "access_token_expires_at")}),
    )

    created = field_column("created_at", _("created"))
    unbound = field_column("unbound_at", _("unbound"), sortable=False)
    phone = masked_phone_column()
    raw_json = json_column("raw", _("DOKU's last answer"))
    payments = related_list_column(Payment, "binding", _("Payments of this binding"),
                                   _("payments"))

    @admin.display(description=_("reason"))
    def reason(self, binding: Binding) -> str:
        """The stored reason: who unbound it, or why linking failed."""
        stored = binding.failure_reason
        if not stored:
            return self.get_empty_value_display()
        return str(_STORED_REASONS.get(stored, stored))

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
        return Outcome.skipped(gettext("already unbound."))
    # Staff act for the merchant: the stored reason says the merchant unbound it.
    result = services.unbind(binding, initiated_by="merchant")
    return Outcome(gettext("unbound (%(status)s).") % {"status": result.get_status_display()})
