"""Payments with their refunds; refund (after a confirmation page) and check status.

A refund starts from the list's action menu (several payments) or from the Refund
button on a payment's page (that one payment): both show the same confirmation page,
need the same permission (``doku_allo.can_refund``) and refund through the same code.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..exceptions import NotRefundable
from ..models import Notification, Payment, PaymentStatus, Refund, RefundStatus
from .actions import Outcome, run_each, status_check
from .base import DokuAlloModelAdmin
from .display import (
    admin_link,
    amount_column,
    field_column,
    json_column,
    masked_phone_column,
    related_list_column,
)

__all__ = ["PaymentAdmin", "RefundConfirmationForm", "RefundInline"]


class NeedsAttentionFilter(admin.SimpleListFilter):
    """Payments where money and our records disagree: only staff can settle them."""

    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes: refund or fulfil")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.exclude(attention="")
        if self.value() == "no":
            return queryset.filter(attention="")
        return queryset


class RefundInline(admin.TabularInline):
    model = Refund
    fk_name = "payment"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("partner_refund_no", "amount_display", "status", "reason", "requested_by",
              "created_at", "refunded_at")
    readonly_fields = fields
    amount_display = amount_column()

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Refund]:
        return super().get_queryset(request).select_related("requested_by")


class RefundConfirmationForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=255,
        help_text=_("Kept with each refund and sent to DOKU."),
        widget=forms.TextInput(attrs={"size": 60, "autofocus": True}))


class PaymentAdmin(DokuAlloModelAdmin):
    # What fits a 1280 px screen beside the filters; the phone, DOKU's reference and
    # the paid date are on the payment's page (and searchable).
    list_display = ("reference", "user", "amount_display", "status", "order", "created")
    list_filter = ("status", NeedsAttentionFilter, "created_at", "paid_at")
    list_select_related = ("user", "binding")
    # Sorting by a column no index orders would sort the whole table on every page.
    sortable_by = ("reference", "order", "created")
    search_fields = ("partner_reference_no", "reference_no", "order_id", "external_id")
    phone_lookup = "binding__phone_number"
    user_lookup = "user"
    inlines = (RefundInline,)
    actions = ("refund_payments", "check_payment_status")
    fieldsets = (
        (None, {"fields": ("user", "binding_link", "phone", "amount_display", "description",
                           "order_id", "status", "failure_reason", "attention",
                           "presumed_failed_at", "notifications")}),
        (_("DOKU"), {"fields": ("partner_reference_no", "reference_no", "external_id",
                                "doku_status", "response_code", "response_message",
                                "request_json", "raw_json")}),
        (_("Customer's device"), {"fields": ("customer_ip", "device_id", "idempotency_key")}),
        (_("Dates"), {"fields": ("created_at", "updated_at", "paid_at", "last_checked_at")}),
    )
    refund_confirmation_template = "admin/django_doku_allo/refund_confirmation.html"
    change_form_template = "admin/django_doku_allo/payment_change_form.html"

    reference = field_column("partner_reference_no", _("reference"))
    order = field_column("order_id", _("order"))
    created = field_column("created_at", _("created"))
    phone = masked_phone_column("binding")
    amount_display = amount_column()
    request_json = json_column("request_body", _("request sent to DOKU"))
    raw_json = json_column("raw", _("DOKU's last answer"))
    notifications = related_list_column(Notification, "payment",
                                        _("DOKU's notifications of this payment"),
                                        _("notifications"))

    def label(self, payment: Payment) -> str:
        return gettext("Payment %(reference)s") % {"reference": payment.partner_reference_no}

    @admin.display(description=_("binding"))
    def binding_link(self, payment: Payment) -> str:
        return admin_link(payment.binding)

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("doku_allo.can_refund")

    def has_sync_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.action(description=_("Refund selected payments…"), permissions=["refund"])
    def refund_payments(self, request: HttpRequest, queryset: QuerySet[Payment]
                        ) -> HttpResponse | None:
        """First a confirmation page asking for the reason; on its POST, refund each."""
        payments = list(queryset.select_related("binding", "user")
                        .prefetch_related("refunds").order_by("pk"))
        form = RefundConfirmationForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._refund_each(request, payments, form.cleaned_data["reason"])
            return None
        return self._refund_confirmation(request, payments, form)

    def get_urls(self) -> list[Any]:
        # Before the admin's own: its "<path:object_id>/" catch-all would take it.
        refund: URLPattern = path(
            "<path:object_id>/refund/",
            transaction.non_atomic_requests(self.admin_site.admin_view(self.refund_view)),
            name=f"{self.opts.app_label}_{self.opts.model_name}_refund")
        return [refund, *super().get_urls()]

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The Refund button of one payment's page: the action's page, for that payment."""
        if not self.has_refund_permission(request):
            raise PermissionDenied
        payment = self.get_object(request, unquote(object_id))
        if payment is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        form = RefundConfirmationForm(
            request.POST if request.method == "POST" and "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._refund_each(request, [payment], form.cleaned_data["reason"])
            return HttpResponseRedirect(self._admin_url("change", payment))
        return self._refund_confirmation(request, [payment], form)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = dict(extra_context or {})
        if self.has_refund_permission(request):
            payment = self.get_object(request, unquote(object_id))
            # Only when the refund could go through now; the service checks again.
            if payment is not None and services.refund_refusal_reason(payment) is None:
                context["refund_url"] = self._admin_url("refund", payment)
        return super().change_view(request, object_id, form_url, context)

    def _admin_url(self, view: str, payment: Payment) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}",
                       args=[payment.pk], current_app=self.admin_site.name)

    def _refund_each(self, request: HttpRequest, payments: list[Payment], reason: str) -> None:
        # services.refund locks the payment and commits the refund it is about to
        # request before calling DOKU: no lock here.
        run_each(self, request, payments,
                 partial(_refund, reason=reason, requested_by=request.user),
                 refusals=(NotRefundable,))

    def _refund_confirmation(self, request: HttpRequest, payments: list[Payment],
                             form: RefundConfirmationForm) -> TemplateResponse:
        rows = [(payment, services.refund_refusal_reason(payment)) for payment in payments]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refund payment") if len(payments) == 1 else _("Refund payments"),
            "opts": self.model._meta,
            "form": form,
            "eligible": [payment for payment, refusal in rows if refusal is None],
            "ineligible": [(payment, refusal) for payment, refusal in rows if refusal],
            "payments": payments,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "refund_payments",
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.refund_confirmation_template, context)

    @admin.action(description=_("Check status at DOKU"), permissions=["sync"])
    def check_payment_status(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        # services.sync_payment locks the payment only to apply DOKU's answer: a lock
        # held over the inquiry would stall the notification view meanwhile.
        run_each(self, request, queryset.order_by("pk"), status_check(
            services.sync_payment, (PaymentStatus.FAILED, PaymentStatus.REFUNDED)))


def _refund(payment: Payment, *, reason: str, requested_by: Any) -> Outcome:
    record = services.refund(payment, reason=reason, requested_by=requested_by)
    if record.status == RefundStatus.SUCCEEDED:
        return Outcome(gettext("refunded (refund %(refund)s).")
                       % {"refund": record.partner_refund_no})
    if record.status == RefundStatus.FAILED:
        return Outcome.failed(gettext("DOKU refused the refund: %(message)s.") % {
            "message": record.response_message or gettext("no reason given")})
    # Not a failure: the refund may have gone through, and a second one must not.
    return Outcome(gettext("refund %(refund)s sent, but DOKU's answer never came; run "
                           "“Check status” on the refund later, do not refund again.")
                   % {"refund": record.partner_refund_no}, messages.WARNING)
