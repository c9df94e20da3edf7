"""Django admin for bindings, payments, refunds and DOKU's notifications.

Everything here is read-only: a status changes only through
:mod:`django_doku_allo.services`, which the actions call, one object at a time,
reporting each outcome. Tokens are never shown, phone numbers only masked (a
full number typed into search still finds its rows), and JSON from DOKU is
shown with credentials redacted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from . import services
from .exceptions import BindingNotActive, DokuAlloError, InvalidNotification, NotRefundable
from .models import (
    Binding,
    BindingStatus,
    Notification,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from .snap.redaction import REDACTED, SECRET_HEADERS, mask_phone

__all__ = ["BindingAdmin", "NotificationAdmin", "PaymentAdmin", "RefundAdmin"]

#: JSON keys whose values are credentials: DOKU's binding answer carries the authCode.
SECRET_JSON_KEYS = frozenset({
    "authcode", "accesstoken", "refreshtoken", "tokenid", "clientsecret", "token",
    *SECRET_HEADERS,
})
PHONE_JSON_KEYS = frozenset({"phoneno", "phonenumber", "phone"})

_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_PHONE_RE = re.compile(r"62[0-9]{7,14}")


# --------------------------------------------------------------------------- helpers
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


def phone_query(term: str) -> str | None:
    """A search term that is a whole phone number, as stored (``62...``), else None.

    Accepts the ways staff type one: ``+62 811-0000-0001``, ``081100000001``.
    """
    digits = _PHONE_SEPARATORS.sub("", term.strip()).removeprefix("+")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits if _PHONE_RE.fullmatch(digits) else None


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
    return f"{amount:.2f} {currency}"


# --------------------------------------------------------------------------- base
class DokuAlloModelAdmin(admin.ModelAdmin):
    """Read-only pages, phone search by exact number, per-object action reports."""

    #: The lookup a whole phone number typed into search is matched against, exactly.
    phone_lookup: str | None = None
    #: Searched through the user model's username and email fields.
    user_lookup: str | None = None
    search_help_text = _("A whole reference, the customer's username or email, or a full "
                         "phone number.")
    list_per_page = 50
    # A second COUNT(*) over the whole table on every page; the filtered count suffices.
    show_full_result_count = False

    def get_urls(self) -> list[Any]:
        urls = super().get_urls()
        for pattern in urls:
            # The actions call services that commit their intent before calling DOKU;
            # ATOMIC_REQUESTS would hold that commit back until the page is rendered.
            pattern.callback = transaction.non_atomic_requests(pattern.callback)
        return urls

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Statuses and DOKU's fields change only through the services (the actions).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Payment records are the audit trail; PROTECT foreign keys back this up.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None
                            ) -> Iterable[str]:
        # Every field shown, also when a project grants "change": nothing here is edited.
        return flatten_fieldsets(self.get_fieldsets(request, obj))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any],
                           search_term: str) -> tuple[QuerySet[Any], bool]:
        """Whole values only, each matched by an index.

        References are looked up exactly (``LIKE '%term%'`` scans every row: 0.7 s at
        100,000 payments); the customer by exact username or email; a phone number
        only whole: a partial one would let staff enumerate customers.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q()
        for field in self.search_fields:
            match |= Q(**{field: term})
        if self.user_lookup:
            user_model = get_user_model()
            users = user_model._default_manager.filter(
                Q(**{user_model.USERNAME_FIELD: term})
                | Q(**{f"{user_model.get_email_field_name()}__iexact": term}))
            # Ids, not a subquery: a literal IN list joins the other indexed conditions
            # in one bitmap scan, where a subquery makes PostgreSQL scan the table.
            user_ids = list(users.values_list("pk", flat=True)[:100])
            if user_ids:
                match |= Q(**{f"{self.user_lookup}__in": user_ids})
        phone = phone_query(term) if self.phone_lookup else None
        if phone:
            binding_path = self.phone_lookup.removesuffix("phone_number").removesuffix("__")
            binding_ids = list(Binding.objects.filter(phone_number=phone)
                               .values_list("pk", flat=True)[:100])
            if binding_ids:
                match |= Q(**{f"{binding_path}__in" if binding_path else "pk__in": binding_ids})
        return queryset.filter(match), False

    def report(self, request: HttpRequest, obj: Any, outcome: str, level: int) -> None:
        self.message_user(request, f"{self.label(obj)}: {outcome}", level)

    def check_each(self, request: HttpRequest, objects: Iterable[Any], final: Iterable[str],
                   sync: Callable[[Any], Any]) -> None:
        """Ask DOKU for each object's status; report per object, skipping settled ones."""
        settled = set(final)
        for obj in objects:
            if obj.status in settled:
                self.report(request, obj, f"skipped: already "
                            f"{obj.get_status_display().lower()}.", messages.WARNING)
                continue
            before = obj.get_status_display()
            try:
                after = sync(obj).get_status_display()
            except DokuAlloError as exc:
                self.report(request, obj, f"failed: {exc}", messages.ERROR)
                continue
            outcome = f"{before} → {after}." if after != before else f"unchanged ({after})."
            self.report(request, obj, outcome, messages.SUCCESS)

    def label(self, obj: Any) -> str:
        return str(obj)


# --------------------------------------------------------------------------- bindings
@admin.register(Binding)
class BindingAdmin(DokuAlloModelAdmin):
    list_display = ("id", "phone", "user", "status", "reference_no", "created_at",
                    "activated_at", "unbound_at")
    list_display_links = ("id", "phone")
    list_filter = ("status", "created_at", "activated_at")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
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

    @admin.display(description=_("phone number"), ordering="phone_number")
    def phone(self, binding: Binding) -> str:
        return binding.masked_phone

    @admin.display(description=_("payments"))
    def payments(self, binding: Binding) -> str:
        return changelist_link(Payment, f"binding={binding.pk}",
                               str(_("Payments of this binding")))

    @admin.display(description=_("DOKU's last answer"))
    def raw_json(self, binding: Binding) -> SafeString:
        return pretty_json(binding.raw)

    def has_unbind_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("doku_allo.can_unbind")

    @admin.action(description=_("Unbind selected Allo Bank accounts"), permissions=["unbind"])
    def unbind_bindings(self, request: HttpRequest, queryset: QuerySet[Binding]) -> None:
        for binding in queryset.order_by("pk"):
            if binding.status == BindingStatus.UNBOUND:
                self.report(request, binding, "skipped: already unbound.", messages.WARNING)
                continue
            try:
                result = services.unbind(binding)
            except BindingNotActive as exc:
                self.report(request, binding, f"skipped: {exc}", messages.WARNING)
            except DokuAlloError as exc:
                self.report(request, binding, f"failed: {exc}", messages.ERROR)
            else:
                self.report(request, binding, f"unbound ({result.get_status_display()}).",
                            messages.SUCCESS)


# --------------------------------------------------------------------------- payments
class RefundInline(admin.TabularInline):
    model = Refund
    fk_name = "payment"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("partner_refund_no", "amount", "status", "reason", "requested_by",
              "created_at", "refunded_at")
    readonly_fields = fields

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


@admin.register(Payment)
class PaymentAdmin(DokuAlloModelAdmin):
    list_display = ("partner_reference_no", "user", "phone", "amount_display", "status",
                    "order_id", "reference_no", "created_at", "paid_at")
    list_filter = ("status", "created_at", "paid_at")
    list_select_related = ("user", "binding")
    date_hierarchy = "created_at"
    search_fields = ("partner_reference_no", "reference_no", "order_id", "external_id")
    phone_lookup = "binding__phone_number"
    user_lookup = "user"
    inlines = (RefundInline,)
    actions = ("refund_payments", "check_payment_status")
    fieldsets = (
        (None, {"fields": ("user", "binding_link", "amount_display", "description",
                           "order_id", "status", "failure_reason", "notifications")}),
        (_("DOKU"), {"fields": ("partner_reference_no", "reference_no", "external_id",
                                "doku_status", "response_code", "response_message",
                                "request_json", "raw_json")}),
        (_("Customer's device"), {"fields": ("customer_ip", "device_id", "idempotency_key")}),
        (_("Dates"), {"fields": ("created_at", "updated_at", "paid_at", "last_checked_at")}),
    )
    refund_confirmation_template = "admin/django_doku_allo/refund_confirmation.html"

    def label(self, payment: Payment) -> str:
        return f"Payment {payment.partner_reference_no}"

    @admin.display(description=_("phone number"), ordering="binding__phone_number")
    def phone(self, payment: Payment) -> str:
        return payment.binding.masked_phone

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, payment: Payment) -> str:
        return money(payment.amount, payment.currency)

    @admin.display(description=_("binding"))
    def binding_link(self, payment: Payment) -> str:
        return admin_link(payment.binding)

    @admin.display(description=_("notifications"))
    def notifications(self, payment: Payment) -> str:
        return changelist_link(Notification, f"payment={payment.pk}",
                               str(_("DOKU's notifications of this payment")))

    @admin.display(description=_("request sent to DOKU"))
    def request_json(self, payment: Payment) -> SafeString:
        return pretty_json(payment.request_body)

    @admin.display(description=_("DOKU's last answer"))
    def raw_json(self, payment: Payment) -> SafeString:
        return pretty_json(payment.raw)

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
            for payment in payments:
                self._refund_one(request, payment, form.cleaned_data["reason"])
            return None
        rows = [(payment, services.refund_refusal_reason(payment)) for payment in payments]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refund payments"),
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

    def _refund_one(self, request: HttpRequest, payment: Payment, reason: str) -> None:
        try:
            record = services.refund(payment, reason=reason, requested_by=request.user)
        except NotRefundable as exc:
            self.report(request, payment, f"skipped: {exc}", messages.WARNING)
            return
        except DokuAlloError as exc:
            self.report(request, payment, f"failed: {exc}", messages.ERROR)
            return
        if record.status == RefundStatus.SUCCEEDED:
            self.report(request, payment, f"refunded (refund {record.partner_refund_no}).",
                        messages.SUCCESS)
        elif record.status == RefundStatus.FAILED:
            self.report(request, payment, "failed: DOKU refused the refund: "
                        f"{record.response_message or 'no reason given'}.", messages.ERROR)
        else:
            self.report(request, payment, f"refund {record.partner_refund_no} sent, but "
                        "DOKU's answer never came; run “Check status” on the refund later, "
                        "do not refund again.", messages.WARNING)

    @admin.action(description=_("Check status at DOKU"), permissions=["sync"])
    def check_payment_status(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        self.check_each(request, queryset.order_by("pk"),
                        (PaymentStatus.FAILED, PaymentStatus.REFUNDED), services.sync_payment)


# --------------------------------------------------------------------------- refunds
@admin.register(Refund)
class RefundAdmin(DokuAlloModelAdmin):
    list_display = ("partner_refund_no", "payment_link", "amount_display", "status",
                    "refund_no", "requested_by", "created_at", "refunded_at")
    list_filter = ("status", "created_at", "refunded_at")
    list_select_related = ("payment", "requested_by")
    date_hierarchy = "created_at"
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

    def label(self, record: Refund) -> str:
        return f"Refund {record.partner_refund_no}"

    @admin.display(description=_("payment"), ordering="payment__partner_reference_no")
    def payment_link(self, record: Refund) -> str:
        return admin_link(record.payment, record.payment.partner_reference_no)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, record: Refund) -> str:
        return money(record.amount, record.currency)

    @admin.display(description=_("request sent to DOKU"))
    def request_json(self, record: Refund) -> SafeString:
        return pretty_json(record.request_body)

    @admin.display(description=_("DOKU's last answer"))
    def raw_json(self, record: Refund) -> SafeString:
        return pretty_json(record.raw)

    def has_sync_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.action(description=_("Check status at DOKU"), permissions=["sync"])
    def check_refund_status(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        self.check_each(request, queryset.select_related("payment").order_by("pk"),
                        (RefundStatus.SUCCEEDED, RefundStatus.FAILED), services.sync_refund)


# --------------------------------------------------------------------------- notifications
@admin.register(Notification)
class NotificationAdmin(DokuAlloModelAdmin):
    list_display = ("id", "received_at", "original_partner_reference_no",
                    "latest_transaction_status", "verified", "processed", "flagged",
                    "result", "payment_link")
    list_filter = ("verified", "processed", "flagged", "latest_transaction_status",
                   "received_at")
    list_select_related = ("payment",)
    date_hierarchy = "received_at"
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

    def label(self, notification: Notification) -> str:
        return f"Notification {notification.pk}"

    @admin.display(description=_("payment"), ordering="payment__partner_reference_no")
    def payment_link(self, notification: Notification) -> str:
        payment = notification.payment
        return admin_link(payment, payment.partner_reference_no if payment else None)

    @admin.display(description=_("headers"))
    def headers_json(self, notification: Notification) -> SafeString:
        return pretty_json(notification.headers)

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
        for notification in queryset.order_by("pk"):
            try:
                outcome = services.reprocess_notification(notification)
            except InvalidNotification as exc:
                self.report(request, notification, f"skipped: {exc}", messages.WARNING)
                continue
            except DokuAlloError as exc:
                self.report(request, notification, f"failed: {exc}", messages.ERROR)
                continue
            notification.refresh_from_db()
            if outcome.http_status >= 500:
                self.report(request, notification, f"failed: {notification.error}",
                            messages.ERROR)
            elif notification.flagged:
                self.report(request, notification, f"flagged, not applied: "
                            f"{notification.result}.", messages.WARNING)
            else:
                self.report(request, notification, f"processed: {notification.result}.",
                            messages.SUCCESS)
