"""What the API shows and accepts. Never a token, never a full phone number.

Amounts are strings with two decimals (``"150000.00"``), as on DOKU's wire.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Binding, BindingStatus, Payment, Refund
from ..snap.channels import ALLO
from ..snap.messages import AccountBalance, BalanceInquiryResponse, LineItem, Money, PayOption
from ..wording import customer_message

__all__ = [
    "AmountField",
    "BalanceSerializer",
    "BindingCreateSerializer",
    "BindingSerializer",
    "ErrorSerializer",
    "LineItemSerializer",
    "PayOptionSerializer",
    "PaymentCreateSerializer",
    "PaymentSerializer",
    "RefundCreateSerializer",
    "RefundSerializer",
    "balance_data",
]

_CENT = Decimal("0.01")


AMOUNT_PATTERN = r"^[0-9]{1,16}(\.[0-9]{1,2})?$"
_AMOUNT_RE = re.compile(AMOUNT_PATTERN)


@extend_schema_field({"type": "string", "format": "decimal", "pattern": AMOUNT_PATTERN,
                      "example": "150000.00"})
class AmountField(serializers.DecimalField):
    """IDR as a string with at most two decimals; a JSON number is refused.

    JSON numbers arrive as floats, and money is never a float here.
    """

    default_error_messages = {
        "not_a_string": _('Send the amount as a string with at most two decimals, e.g. '
                          '"150000.00".'),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=18, decimal_places=2, coerce_to_string=True, **kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str) or not _AMOUNT_RE.fullmatch(data.strip()):
            self.fail("not_a_string")
        return super().to_internal_value(data)


def _amount_field(**kwargs: Any) -> AmountField:
    return AmountField(**kwargs)


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    message = serializers.CharField(help_text="What happened and what to do next.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Field name -> messages, on validation errors.")
    doku_response_code = serializers.CharField(
        required=False, help_text="DOKU's responseCode, when DOKU refused the request.")


# --------------------------------------------------------------------------- bindings
class BindingSerializer(serializers.ModelSerializer):
    phone_number = serializers.CharField(source="masked_phone", read_only=True,
                                         help_text="Masked: 6281*****7890.")
    redirect_url = serializers.SerializerMethodField(
        help_text="While the binding is pending: Allo Bank's OTP/PIN page, where the "
                  "customer's browser goes to confirm. Null afterwards.")

    message = serializers.SerializerMethodField(
        help_text="Where the link stands and what to do, for the customer, in the request's "
                  "language (e.g. why it was not linked).")

    class Meta:
        model = Binding
        fields = ("id", "phone_number", "status", "reference_no", "redirect_url", "message",
                  "failure_reason", "created_at", "activated_at", "unbound_at")
        read_only_fields = fields

    def get_message(self, binding: Binding) -> str:
        return customer_message(binding)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_redirect_url(self, binding: Binding) -> str | None:
        if binding.status != BindingStatus.PENDING:
            return None
        return binding.redirect_url or None


class BindingCreateSerializer(serializers.Serializer):
    phone_number = serializers.RegexField(
        r"^62[0-9]{7,14}$", max_length=16,
        help_text="The customer's Allo Bank phone number: 62 and 7 to 14 digits.")
    next_url = serializers.CharField(
        required=False, allow_blank=True, max_length=1024,
        help_text="Where the customer lands after linking: this site or "
                  "ALLOWED_REDIRECT_HOSTS; anything else falls back to the configured "
                  "BINDING_*_REDIRECT.")
    device_model = serializers.CharField(
        required=False, max_length=64,
        help_text="The customer's device model, sent to Allo Bank as deviceModel "
                  '(default "web").')
    os_type = serializers.ChoiceField(
        choices=("android", "ios"), required=False,
        help_text='The device\'s osType (default "android").')
    channel_id = serializers.ChoiceField(
        choices=("web", "app"), required=False,
        help_text='Where the customer links from: channelId "web" (default) or "app".')


class AccountBalanceSerializer(serializers.Serializer):
    balance_type = serializers.CharField(allow_null=True)
    amount = _amount_field(allow_null=True)
    flat_amount = _amount_field(allow_null=True)
    hold_amount = _amount_field(allow_null=True)


class BalanceSerializer(serializers.Serializer):
    amount = _amount_field(allow_null=True, help_text="The available balance.")
    currency = serializers.CharField(allow_null=True)
    accounts = AccountBalanceSerializer(many=True)


def _value(money: Money | None) -> Decimal | None:
    return money.value.quantize(_CENT) if money is not None else None


def balance_data(balance: BalanceInquiryResponse) -> dict[str, Any]:
    def account(entry: AccountBalance) -> dict[str, Any]:
        return {"balance_type": entry.balance_type, "amount": _value(entry.amount),
                "flat_amount": _value(entry.flat_amount),
                "hold_amount": _value(entry.hold_amount)}

    available = balance.available
    return {"amount": _value(available),
            "currency": available.currency if available is not None else None,
            "accounts": [account(entry) for entry in balance.accounts]}


# --------------------------------------------------------------------------- payments
class PaymentSerializer(serializers.ModelSerializer):
    amount = _amount_field(read_only=True)
    web_redirect_url = serializers.SerializerMethodField(
        help_text="Allo Bank's OTP/PIN page, where the customer confirms the payment; null "
                  "when DOKU gave none (a failed or unknown payment).")
    refunds = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    next_action = serializers.ChoiceField(
        choices=("confirm", "wait", "none"), read_only=True,
        help_text="confirm: send the customer to web_redirect_url. wait: DOKU's outcome "
                  "is not known yet (or its payment page was lost); poll or sync, never "
                  "pay again. none: the payment has ended.")

    continue_url = serializers.URLField(
        read_only=True, allow_null=True,
        help_text="Allo Bank's OTP/PIN page while the customer can still confirm there "
                  "(\"continue paying\"); null otherwise.")
    message = serializers.SerializerMethodField(
        help_text="What happened and what to do, for the customer, in the request's language.")

    class Meta:
        model = Payment
        fields = ("id", "binding", "partner_reference_no", "reference_no", "order_id",
                  "amount", "currency", "description", "status", "web_redirect_url",
                  "continue_url", "next_action", "message", "failure_reason", "created_at",
                  "paid_at", "refunds")
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_web_redirect_url(self, payment: Payment) -> str | None:
        return payment.web_redirect_url or None

    def get_message(self, payment: Payment) -> str:
        return customer_message(payment)


class LineItemSerializer(serializers.Serializer):
    """One of DOKU's ``lineItems``."""

    name = serializers.CharField(max_length=ALLO.line_item_name_max_length,
                                 help_text="1 to 32 characters.")
    price = _amount_field(min_value=_CENT, help_text='Unit price, IDR, e.g. "75000.00".')
    quantity = serializers.IntegerField(min_value=1, max_value=999999, default=1)


class PayOptionSerializer(serializers.Serializer):
    """One of DOKU's ``payOptionDetails``."""

    pay_method = serializers.CharField(max_length=64,
                                       help_text='DOKU\'s payMethod, e.g. "BALANCE".')
    trans_amount = _amount_field(min_value=_CENT, help_text="transAmount, IDR.")
    fee_amount = _amount_field(required=False, allow_null=True,
                               help_text="feeAmount, IDR (may be zero).")


def _flat_messages(detail: Any, path: str = "") -> list[str]:
    """Nested validation errors as ``"1.name: message"`` strings (the error shape's ``fields``)."""
    if isinstance(detail, dict):
        return [message for key, value in detail.items()
                for message in _flat_messages(value, f"{path}{key}.")]
    if isinstance(detail, list):
        return [message for value in detail for message in _flat_messages(value, path)]
    return [f"{path.rstrip('.')}: {detail}" if path else str(detail)]


class ObjectListField(serializers.ListField):
    """A list of objects (``child`` a serializer) whose errors stay one list of messages."""

    def to_internal_value(self, data: Any) -> list[Any]:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(_flat_messages(exc.detail)) from exc


class PaymentCreateSerializer(serializers.Serializer):
    binding = serializers.PrimaryKeyRelatedField(
        queryset=Binding.objects.none(), help_text="One of your bindings (its id).")
    amount = _amount_field(min_value=_CENT, help_text='IDR, e.g. "150000.00".')
    description = serializers.CharField(max_length=40,
                                        help_text="Shown to the customer; 1 to 40 characters.")
    order_id = serializers.CharField(
        required=False, allow_blank=True, max_length=64, default="",
        help_text="Your order id: an order has at most one live payment.")
    next_url = serializers.CharField(
        required=False, allow_blank=True, max_length=1024,
        help_text="Where the customer lands after paying (this site or "
                  "ALLOWED_REDIRECT_HOSTS).")
    line_items = ObjectListField(
        child=LineItemSerializer(), required=False, allow_empty=False, max_length=100,
        help_text="DOKU's lineItems; default: one item named after the description, at "
                  "the full amount.")
    pay_options = ObjectListField(
        child=PayOptionSerializer(), required=False, allow_empty=False, max_length=10,
        help_text="DOKU's payOptionDetails (payMethod, transAmount, feeAmount).")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        # Another user's binding reads as "does not exist": its existence is not ours to tell.
        self.fields["binding"].queryset = (  # type: ignore[attr-defined]
            Binding.objects.filter(user=user) if user is not None and user.is_authenticated
            else Binding.objects.none())

    def line_item_objects(self) -> list[LineItem] | None:
        """The validated ``line_items`` as :class:`LineItem` objects (``None``: default)."""
        items = self.validated_data.get("line_items")
        if not items:
            return None
        return [LineItem(name=item["name"], price=item["price"], quantity=item["quantity"])
                for item in items]

    def pay_option_objects(self) -> list[PayOption] | None:
        """The validated ``pay_options`` as :class:`PayOption` objects."""
        options = self.validated_data.get("pay_options")
        if not options:
            return None
        return [PayOption(pay_method=option["pay_method"],
                          trans_amount=option["trans_amount"],
                          fee_amount=option.get("fee_amount")) for option in options]


# --------------------------------------------------------------------------- refunds
class RefundSerializer(serializers.ModelSerializer):
    amount = _amount_field(read_only=True)

    class Meta:
        model = Refund
        fields = ("id", "payment", "partner_refund_no", "refund_no", "amount", "currency",
                  "reason", "status", "response_message", "created_at", "refunded_at")
        read_only_fields = fields


class RefundCreateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255,
                                   help_text="Why the payment is refunded (kept for audit).")
