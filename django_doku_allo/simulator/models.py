"""What "the bank" remembers: accounts, bindings, tokens, payments, refunds, notifications.

These tables belong to the simulator alone (label ``doku_allo_simulator``). Tokens and
authCodes are stored as SHA-256 digests: the simulator never needs them back, only to
recognise them, and a database dump then holds no usable credential.
"""

from __future__ import annotations

from django.db import models

AMOUNT = {"max_digits": 18, "decimal_places": 2}


class Account(models.Model):
    """An Allo Bank account, identified by its phone number."""

    class Behaviour(models.TextChoices):
        NORMAL = "normal", "normal"
        OTP_FAILS = "otp_fails", "every OTP is refused"
        BANK_TIMEOUT = "bank_timeout", "the bank times out on payment"

    phone_no = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=70)
    balance = models.DecimalField(**AMOUNT)
    behaviour = models.CharField(max_length=16, choices=Behaviour.choices,
                                 default=Behaviour.NORMAL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.phone_no


class Binding(models.Model):
    """One account-binding request and, once the customer confirmed it, the binding itself."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "pending (customer has not finished OTP and PIN)"
        ACTIVE = "ACTIVE", "active"
        FAILED = "FAILED", "failed or cancelled by the customer"
        UNBOUND = "UNBOUND", "unbound"

    reference_no = models.CharField(max_length=32, unique=True)
    client_id = models.CharField(max_length=64)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="bindings")
    cust_id_merchant = models.CharField(max_length=64)
    auth_code_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    success_url = models.TextField()
    failed_url = models.TextField()
    device_id = models.CharField(max_length=64, blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    request_body = models.JSONField()
    otp_verified = models.BooleanField(default=False)
    otp_failures = models.PositiveSmallIntegerField(default=0)
    pin_failures = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["client_id", "account", "status"])]

    def __str__(self) -> str:
        return f"binding {self.reference_no} ({self.status})"


class IssuedToken(models.Model):
    """A token the simulator issued: B2B, customer (B2B2C) access, or customer refresh."""

    class Kind(models.TextChoices):
        B2B = "b2b", "B2B access token"
        B2B2C = "b2b2c", "B2B2C access token"
        REFRESH = "refresh", "B2B2C refresh token"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=64)
    binding = models.ForeignKey(Binding, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="tokens")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} token {self.token_hash[:8]}"


class Payment(models.Model):
    """A host-to-host debit; ``status`` is SNAP's latestTransactionStatus."""

    class Status(models.TextChoices):
        SUCCESS = "00", "Success"
        INITIATED = "01", "Initiated"
        REFUNDED = "04", "Refunded"
        CANCELED = "05", "Canceled"
        FAILED = "06", "Failed"

    reference_no = models.CharField(max_length=32, unique=True)
    client_id = models.CharField(max_length=64)
    partner_reference_no = models.CharField(max_length=64)
    external_id = models.CharField(max_length=36)
    fingerprint = models.CharField(max_length=64)
    binding = models.ForeignKey(Binding, on_delete=models.PROTECT, related_name="payments")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3, default="IDR")
    remarks = models.CharField(max_length=40)
    line_items = models.JSONField(default=list)
    success_url = models.TextField()
    failed_url = models.TextField()
    ip_address = models.CharField(max_length=45, blank=True)
    device_id = models.CharField(max_length=64, blank=True)
    merchant_base_url = models.CharField(max_length=255)
    request_body = models.JSONField()
    status = models.CharField(max_length=2, choices=Status.choices, default=Status.INITIATED)
    otp_verified = models.BooleanField(default=False)
    otp_failures = models.PositiveSmallIntegerField(default=0)
    pin_failures = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_time = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_id", "partner_reference_no"],
                                    name="doku_sim_payment_partner_ref_unique"),
        ]

    def __str__(self) -> str:
        return f"payment {self.reference_no} ({self.status})"


class Refund(models.Model):
    """A full refund of a payment."""

    refund_no = models.CharField(max_length=32, unique=True)
    client_id = models.CharField(max_length=64)
    partner_refund_no = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(**AMOUNT)
    reason = models.CharField(max_length=255, blank=True)
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_id", "partner_refund_no"],
                                    name="doku_sim_refund_partner_no_unique"),
        ]

    def __str__(self) -> str:
        return f"refund {self.refund_no}"


class IdempotencyRecord(models.Model):
    """The answer given to one X-EXTERNAL-ID of one client on one Jakarta calendar day."""

    client_id = models.CharField(max_length=64)
    day = models.DateField()
    external_id = models.CharField(max_length=36)
    fingerprint = models.CharField(max_length=64)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_id", "day", "external_id"],
                                    name="doku_sim_external_id_per_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.external_id}"


class Notification(models.Model):
    """One notification to the merchant, delivered on the retry schedule."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENDING = "sending", "being sent"
        DELIVERED = "delivered", "delivered (2xx)"
        FAILED = "failed", "failed after the last retry"

    class Kind(models.TextChoices):
        NORMAL = "normal", "normal"
        DUPLICATE = "duplicate", "duplicate (fault)"
        STALE = "stale", "stale status after the final one (fault)"

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NORMAL)
    transaction_status = models.CharField(max_length=2)
    body = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"notification {self.pk} {self.transaction_status} ({self.status})"


class NotificationAttempt(models.Model):
    """One try at delivering a notification (token request included)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE,
                                     related_name="attempt_log")
    attempted_at = models.DateTimeField()
    url = models.TextField()
    manual = models.BooleanField(default=False)
    token_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    response_snippet = models.TextField(blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempted_at", "pk"]

    def __str__(self) -> str:
        return f"attempt {self.pk} -> {self.http_status}"


class Fault(models.Model):
    """One injected fault, shared by every process serving the simulator.

    ``remaining`` uses are left (``None``: until reset); each use is claimed by one atomic
    ``UPDATE ... SET remaining = remaining - 1 WHERE remaining > 0``, so a fault queued
    once is consumed once whichever worker serves the request (see ``faults.py``).
    """

    class Kind(models.TextChoices):
        LATENCY = "latency", "latency"
        ERROR = "error", "forced SNAP code"
        DROP = "drop", "answer dropped after the work"
        DUPLICATE = "duplicate", "duplicate notifications"
        REORDER = "reorder", "stale notification after the final one"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    #: ``""`` for the notification faults, which belong to no SNAP operation.
    operation = models.CharField(max_length=16, blank=True, default="")
    remaining = models.PositiveIntegerField(null=True, blank=True)
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "operation"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.operation or '-'} x{self.remaining}"
