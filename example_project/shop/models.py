"""The shop's orders. Payment state lives in django_doku_allo; an order only mirrors it."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_order_number() -> str:
    # Unguessable: the number is in URLs and in the order id sent to DOKU.
    return "SHOP-" + secrets.token_hex(6).upper()


class OrderStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    REFUNDED = "refunded", _("Refunded")


#: Forward only, like the payment it follows: a late or repeated signal never
#: turns a refunded order back into a paid one.
ORDER_STATUS_FROM: dict[str, tuple[str, ...]] = {
    # A payment ended for want of confirmation (or canceled) that DOKU then reports
    # debited is paid after all (the library lets DOKU's success win): so is its order.
    OrderStatus.PAID: (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAYMENT_FAILED),
    OrderStatus.PAYMENT_FAILED: (OrderStatus.AWAITING_PAYMENT,),
    OrderStatus.REFUNDED: (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID),
}


class Order(models.Model):
    number = models.CharField(max_length=20, unique=True, default=new_order_number,
                              editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="shop_orders")
    product_slug = models.SlugField()
    product_name = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    payment = models.ForeignKey("doku_allo.Payment", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="shop_orders")
    status = models.CharField(max_length=20, choices=OrderStatus.choices,
                              default=OrderStatus.AWAITING_PAYMENT, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.number} {self.product_name}"

    @property
    def is_awaiting_payment(self) -> bool:
        return self.status == OrderStatus.AWAITING_PAYMENT
