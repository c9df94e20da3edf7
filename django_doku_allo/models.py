"""Bindings, payments, refunds and every notification DOKU sent.

Each model keeps DOKU's last raw answer in a JSON field and promotes only the
columns we query. Status fields change only through :mod:`django_doku_allo.services`,
along the transition table beside each model.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import transitions
from .amounts import format_amount
from .fields import EncryptedTextField
from .snap.redaction import mask_phone

__all__ = [
    "BINDING_TRANSITIONS",
    "PAYMENT_TRANSITIONS",
    "REFUND_TRANSITIONS",
    "Binding",
    "BindingStatus",
    "Notification",
    "Payment",
    "PaymentStatus",
    "Refund",
    "RefundStatus",
]


class BindingStatus(models.TextChoices):
    PENDING = "pending", _("Pending (customer at Allo's OTP/PIN page)")
    ACTIVE = "active", _("Active")
    FAILED = "failed", _("Failed")
    UNBINDING = "unbinding", _("Unbinding (outcome not yet known)")
    UNBOUND = "unbound", _("Unbound")


BINDING_TRANSITIONS: transitions.Table = {
    BindingStatus.PENDING: frozenset({BindingStatus.ACTIVE, BindingStatus.FAILED}),
    # ACTIVE -> UNBOUND directly when DOKU says the customer revoked the binding.
    BindingStatus.ACTIVE: frozenset({BindingStatus.UNBINDING, BindingStatus.UNBOUND}),
    # UNBINDING -> ACTIVE only when DOKU declined the unbinding: nothing changed there.
    BindingStatus.UNBINDING: frozenset({BindingStatus.UNBOUND, BindingStatus.ACTIVE}),
    BindingStatus.FAILED: frozenset(),
    BindingStatus.UNBOUND: frozenset(),
}

LIVE_BINDING_STATUSES = (BindingStatus.ACTIVE, BindingStatus.UNBINDING)


class Binding(models.Model):
    """A customer's Allo Bank account linked to this merchant."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="doku_allo_bindings", verbose_name=_("user"))
    phone_number = models.CharField(_("phone number"), max_length=16, db_index=True)
    cust_id_merchant = models.CharField(_("customer id sent to DOKU"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=BindingStatus.choices,
                              default=BindingStatus.PENDING, db_index=True)
    reference_no = models.CharField(_("DOKU reference"), max_length=64, blank=True,
                                    db_index=True)
    external_id = models.CharField(_("X-EXTERNAL-ID of the binding call"), max_length=36)
    redirect_url = models.URLField(_("Allo OTP/PIN page"), max_length=2048, blank=True)
    auth_code = EncryptedTextField(_("auth code"), blank=True, editable=False)
    access_token = EncryptedTextField(_("access token"), blank=True, editable=False)
    access_token_expires_at = models.DateTimeField(_("access token expires at"),
                                                   null=True, blank=True, editable=False)
    refresh_token = EncryptedTextField(_("refresh token"), blank=True, editable=False)
    refresh_token_expires_at = models.DateTimeField(_("refresh token expires at"),
                                                    null=True, blank=True, editable=False)
    # Only the SHA-256 of the return ``state`` is stored: a leaked database row cannot
    # be replayed against the return view.
    state_digest = models.CharField(_("state digest"),
                                    max_length=64, unique=True, null=True, editable=False)
    state_expires_at = models.DateTimeField(_("state expires at"),
                                            null=True, blank=True, editable=False)
    state_used_at = models.DateTimeField(_("state used at"), null=True, blank=True, editable=False)
    customer_ip = models.GenericIPAddressField(_("customer ip"), null=True, blank=True)
    device_id = models.CharField(_("device id"), max_length=64, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=255, blank=True)
    response_code = models.CharField(_("response code"), max_length=7, blank=True)
    response_message = models.CharField(_("response message"), max_length=255, blank=True)
    raw = models.JSONField(_("raw"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    unbound_at = models.DateTimeField(_("unbound at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Allo Bank binding")
        ordering = ("-created_at",)
        constraints = (
            models.UniqueConstraint(
                fields=("user", "phone_number"),
                condition=Q(status__in=LIVE_BINDING_STATUSES),
                name="doku_allo_one_live_binding_per_user_phone",
            ),
        )
        # The admin's "activated" date filter and sort.
        indexes = (models.Index(fields=("activated_at",), name="doku_allo_binding_activated"),)
        permissions = (("can_unbind", _("Can unbind Allo Bank accounts")),)

    def __str__(self) -> str:
        return f"{self.masked_phone} ({self.get_status_display()})"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone_number)

    @property
    def is_active(self) -> bool:
        return self.status == BindingStatus.ACTIVE


class PaymentStatus(models.TextChoices):
    INITIATED = "initiated", _("Initiated (sent to DOKU)")
    PENDING = "pending", _("Pending (customer confirming with OTP/PIN)")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown (awaiting status check)")
    EXPIRED = "expired", _("Expired (DOKU never confirmed it; presumed failed)")
    REFUNDED = "refunded", _("Refunded")


PAYMENT_TRANSITIONS: transitions.Table = {
    PaymentStatus.INITIATED: frozenset({PaymentStatus.PENDING, PaymentStatus.SUCCEEDED,
                                        PaymentStatus.FAILED, PaymentStatus.UNKNOWN,
                                        PaymentStatus.EXPIRED}),
    PaymentStatus.PENDING: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED,
                                      PaymentStatus.EXPIRED}),
    PaymentStatus.UNKNOWN: frozenset({PaymentStatus.PENDING, PaymentStatus.SUCCEEDED,
                                      PaymentStatus.FAILED, PaymentStatus.EXPIRED}),
    # EXPIRED is what we presumed, not what DOKU said: DOKU's word may still come, and
    # wins (a success after expiry is a real debit).
    PaymentStatus.EXPIRED: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED}),
    PaymentStatus.SUCCEEDED: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
}

#: A payment in these states may still move money (or already has).
LIVE_PAYMENT_STATUSES = (PaymentStatus.INITIATED, PaymentStatus.PENDING,
                         PaymentStatus.UNKNOWN, PaymentStatus.SUCCEEDED)
UNSETTLED_PAYMENT_STATUSES = (PaymentStatus.INITIATED, PaymentStatus.PENDING,
                              PaymentStatus.UNKNOWN)


class Payment(models.Model):
    """A host-to-host debit of a bound Allo Bank account."""

    binding = models.ForeignKey(Binding, on_delete=models.PROTECT, related_name="payments",
                                verbose_name=_("binding"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="doku_allo_payments", verbose_name=_("user"))
    partner_reference_no = models.CharField(_("partnerReferenceNo"), max_length=64,
                                            unique=True)
    order_id = models.CharField(_("merchant order id"), max_length=64, blank=True,
                                db_index=True)
    reference_no = models.CharField(_("DOKU referenceNo"), max_length=64, blank=True,
                                    db_index=True)
    external_id = models.CharField(_("X-EXTERNAL-ID of the payment call"), max_length=36,
                                   db_index=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="IDR")
    description = models.CharField(_("description"), max_length=40)
    # Indexed by (status, created_at) below, which also serves status alone.
    status = models.CharField(_("status"), max_length=16, choices=PaymentStatus.choices,
                              default=PaymentStatus.INITIATED)
    doku_status = models.CharField(_("latestTransactionStatus"), max_length=2, blank=True)
    web_redirect_url = models.URLField(_("OTP/PIN page"), max_length=2048, blank=True)
    response_code = models.CharField(_("response code"), max_length=7, blank=True)
    response_message = models.CharField(_("response message"), max_length=255, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=255, blank=True)
    request_body = models.JSONField(_("request body"), default=dict, blank=True)
    raw = models.JSONField(_("raw"), default=dict, blank=True)
    customer_ip = models.GenericIPAddressField(_("customer ip"), null=True, blank=True)
    device_id = models.CharField(_("device id"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)
    idempotency_fingerprint = models.CharField(_("idempotency fingerprint"),
                                               max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    #: When we presumed the payment failed (``expired``); kept if DOKU later says otherwise.
    presumed_failed_at = models.DateTimeField(_("presumed failed at"), null=True, blank=True)
    #: What staff must do about this payment (e.g. refund a debit that came after a
    #: failure); empty when nothing is needed.
    attention = models.CharField(_("needs attention"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("Allo Bank payment")
        ordering = ("-created_at",)
        constraints = (
            models.CheckConstraint(condition=Q(amount__gt=Decimal("0")),
                                   name="doku_allo_payment_amount_positive"),
            # One live payment per merchant order: a double click cannot charge twice. A
            # payment we once presumed failed freed its order; if DOKU later debits it
            # anyway it is recorded (and flagged), never refused by this constraint.
            models.UniqueConstraint(
                fields=("order_id",),
                condition=(Q(status__in=LIVE_PAYMENT_STATUSES) & ~Q(order_id="")
                           & Q(presumed_failed_at__isnull=True)),
                name="doku_allo_one_live_payment_per_order",
            ),
            models.UniqueConstraint(
                fields=("user", "idempotency_key"), condition=~Q(idempotency_key=""),
                name="doku_allo_payment_idempotency_key",
            ),
        )
        indexes = (
            models.Index(fields=("status", "created_at")),
            # The admin's phone search (binding_id IN ...) in the list's order.
            models.Index(fields=("binding", "created_at"), name="doku_allo_pay_binding_created"),
            # The admin's "paid" date filter and sort.
            models.Index(fields=("paid_at",), name="doku_allo_pay_paid_at"),
            # The admin's "needs attention" filter: a handful of rows, newest first.
            models.Index(fields=("created_at",), condition=~Q(attention=""),
                         name="doku_allo_pay_attention"),
        )
        permissions = (("can_refund", _("Can refund Allo Bank payments")),)

    def __str__(self) -> str:
        return f"{self.partner_reference_no} {format_amount(self.amount, self.currency)}"

    @property
    def next_action(self) -> str:
        """What the merchant's front end should do now, for programs.

        ``confirm``: send the customer to ``web_redirect_url``. ``wait``: DOKU's outcome
        is not known yet (or its payment page was lost in a crash): poll or sync, never
        pay again; it ends by DOKU's word or at ``PAYMENT_CONFIRMATION_WINDOW``.
        ``none``: the payment has ended.
        """
        if self.status == PaymentStatus.PENDING and self.web_redirect_url:
            return "confirm"
        if self.status in UNSETTLED_PAYMENT_STATUSES:
            return "wait"
        return "none"

    @property
    def continue_url(self) -> str | None:
        """Allo Bank's OTP/PIN page, while the customer can still confirm there; else None.

        The stored link is offered again ("continue paying") only while the payment is
        ``pending`` and inside ``PAYMENT_CONFIRMATION_WINDOW``: after that the payment is
        presumed failed and the link would lead nowhere.
        """
        from .conf import doku_settings  # conf is read lazily; models load before it

        if self.status != PaymentStatus.PENDING or not self.web_redirect_url:
            return None
        if self.created_at is None:
            return self.web_redirect_url
        age = (timezone.now() - self.created_at).total_seconds()
        if age >= float(doku_settings.PAYMENT_CONFIRMATION_WINDOW):
            return None
        return self.web_redirect_url

    @property
    def is_final(self) -> bool:
        return self.status in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED,
                               PaymentStatus.REFUNDED, PaymentStatus.EXPIRED)


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested (sent to DOKU)")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown (awaiting status check)")


REFUND_TRANSITIONS: transitions.Table = {
    RefundStatus.REQUESTED: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED,
                                       RefundStatus.UNKNOWN}),
    RefundStatus.UNKNOWN: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.SUCCEEDED: frozenset(),
    RefundStatus.FAILED: frozenset(),
}


class Refund(models.Model):
    """A full refund of a succeeded payment (Allo Bank supports no partial refund)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds",
                                verbose_name=_("payment"))
    partner_refund_no = models.CharField(_("partnerRefundNo"), max_length=64, unique=True)
    external_id = models.CharField(_("X-EXTERNAL-ID of the refund call"), max_length=36,
                                   db_index=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="IDR")
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=RefundStatus.choices,
                              default=RefundStatus.REQUESTED, db_index=True)
    refund_no = models.CharField(_("DOKU refundNo"), max_length=64, blank=True,
                                 db_index=True)
    response_code = models.CharField(_("response code"), max_length=7, blank=True)
    response_message = models.CharField(_("response message"), max_length=255, blank=True)
    request_body = models.JSONField(_("request body"), default=dict, blank=True)
    raw = models.JSONField(_("raw"), default=dict, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("requested by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Allo Bank refund")
        ordering = ("-created_at",)
        constraints = (
            models.UniqueConstraint(
                fields=("payment",), condition=~Q(status=RefundStatus.FAILED),
                name="doku_allo_one_live_refund_per_payment",
            ),
        )
        # The admin's "refunded" date filter and sort.
        indexes = (models.Index(fields=("refunded_at",), name="doku_allo_refund_refunded_at"),)

    def __str__(self) -> str:
        return f"{self.partner_refund_no} ({self.get_status_display()})"


class Notification(models.Model):
    """One delivery DOKU made to the notification endpoint, stored before anything else."""

    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    remote_addr = models.GenericIPAddressField(_("remote addr"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=255, blank=True)
    #: Redacted, and capped (NOTIFICATION_MAX_STORED_HEADERS / _HEADER_BYTES).
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    #: The whole body once verified; until then only its first
    #: NOTIFICATION_UNVERIFIED_BODY_BYTES, with the length and digest of what arrived.
    body = models.TextField(_("body"), blank=True)
    body_length = models.PositiveIntegerField(_("body length"), default=0)
    body_sha256 = models.CharField(_("body sha256"), max_length=64, blank=True)
    external_id = models.CharField(_("X-EXTERNAL-ID"), max_length=64, blank=True,
                                   db_index=True)
    original_partner_reference_no = models.CharField(_("original partner reference no"),
                                                     max_length=64, blank=True,
                                                     db_index=True)
    latest_transaction_status = models.CharField(_("latest transaction status"),
                                                 max_length=2, blank=True)
    verified = models.BooleanField(_("verified"), default=False)
    verification_error = models.CharField(_("verification error"), max_length=255, blank=True)
    # Unprocessed deliveries are found by a partial index (Meta); processed is nearly all.
    processed = models.BooleanField(_("processed"), default=False)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    #: Valid but not applied: unknown reference, amount mismatch, stale or conflicting.
    flagged = models.BooleanField(_("flagged"), default=False)
    result = models.CharField(_("result"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    payment = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="notifications", verbose_name=_("payment"))

    class Meta:
        verbose_name = _("DOKU notification")
        ordering = ("-received_at",)
        # The admin's filters for the few deliveries staff look for, newest first, and
        # doku_allo_prune_notifications (unverified ones by age): small partial indexes,
        # since nearly every delivery is verified and processed.
        indexes = (
            models.Index(fields=("received_at",), condition=Q(flagged=True),
                         name="doku_allo_notif_flagged"),
            models.Index(fields=("received_at",), condition=Q(verified=False),
                         name="doku_allo_notif_unverified"),
            models.Index(fields=("received_at",), condition=Q(processed=False),
                         name="doku_allo_notif_unprocessed"),
        )

    def __str__(self) -> str:
        return f"{self.original_partner_reference_no or '?'} {self.latest_transaction_status}"
