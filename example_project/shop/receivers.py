"""Fulfilment hooks: how a merchant reacts to django_doku_allo's payment signals.

Each signal is sent once per real change of a payment, after its transaction
commits, whichever path taught us the outcome (DOKU's notification, the status
check made when the customer's browser comes back, or ``doku_allo_sync``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from django_doku_allo.models import Payment

from .models import ORDER_STATUS_FROM, Order, OrderStatus

logger = logging.getLogger(__name__)


def _mark(payment: Payment, status: OrderStatus) -> None:
    # The order is found by the order id it gave DOKU, not by Order.payment: a payment
    # refused at once is failed (and signalled) before pay() returns to the view that
    # links the two.
    updated = (Order.objects
               .filter(number=payment.order_id, status__in=ORDER_STATUS_FROM[status])
               .update(status=status, payment=payment, updated_at=timezone.now()))
    if updated:
        logger.info("shop order %s is now %s", payment.order_id, status.label)


def payment_succeeded(sender: type, *, payment: Payment, **kwargs: Any) -> None:
    # A real shop would ship the goods here.
    _mark(payment, OrderStatus.PAID)


def payment_failed(sender: type, *, payment: Payment, reason: str = "", **kwargs: Any) -> None:
    _mark(payment, OrderStatus.PAYMENT_FAILED)


def payment_refunded(sender: type, *, payment: Payment, **kwargs: Any) -> None:
    _mark(payment, OrderStatus.REFUNDED)
