"""Start a payment or a binding from a view: one call each.

Each call does what every merchant view otherwise repeats: mint the reference,
build the signed return URLs from the request (:mod:`~django_doku_allo.returns`),
take the customer's IP and device from the request, and call the one service::

    from django_doku_allo import checkout

    start = checkout.start_payment(request, binding=binding, amount="150000.00",
                                   description="Batik shirt", order_id=order.number,
                                   next_url=order_url)
    if start.redirect_url:
        return redirect(start.redirect_url)   # Allo Bank's OTP/PIN page

Both refuse, before anything is stored, a request DOKU cannot take:
:class:`~django_doku_allo.returns.CustomerContextRefused` (``reason`` is
``"ipv4_required"``, ``"device_id_required"`` or ``"invalid_device_id"``). Like
the services they call, they must run outside a database transaction: decorate
the view with ``transaction.non_atomic_requests`` under ``ATOMIC_REQUESTS``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from . import services
from .models import Binding, Payment, PaymentStatus
from .returns import (
    DEVICE_ID_HEADER,
    CustomerContextRefused,
    binding_return_url,
    customer_context,
    payment_return_url,
)
from .services import BindingStart
from .snap.messages import LineItem, PayOption

__all__ = ["BindingStart", "PaymentStart", "cancel_payment", "start_binding", "start_payment"]

_DEVICE_ID_RE = re.compile(r"[A-Za-z0-9]{1,64}")


@dataclass(frozen=True)
class PaymentStart:
    """What :func:`start_payment` made, and where the customer goes next."""

    payment: Payment
    #: False when an ``idempotency_key`` replayed an earlier payment.
    created: bool = True

    @property
    def redirect_url(self) -> str | None:
        """Allo Bank's OTP/PIN page while the payment is pending; ``None`` otherwise.

        Without one the payment has failed (``payment.failure_reason`` says why) or its
        outcome is not known yet (``unknown``): show the order page, never pay again.
        """
        if self.payment.status == PaymentStatus.PENDING and self.payment.web_redirect_url:
            return self.payment.web_redirect_url
        return None


def start_payment(
    request: HttpRequest,
    *,
    binding: Binding,
    amount: Decimal | int | str,
    description: str,
    order_id: str = "",
    line_items: Sequence[LineItem] | None = None,
    pay_options: Sequence[PayOption] | None = None,
    next_url: str = "",
    idempotency_key: str = "",
) -> PaymentStart:
    """Charge ``binding`` for ``amount``; returns the payment and where to send the customer.

    ``description`` (1 to 40 characters) is shown to the customer; ``line_items``
    default to one item named after it. ``pay_options`` become DOKU's
    ``payOptionDetails``. ``next_url`` is where the payment return view sends the
    customer afterwards (this site or ``ALLOWED_REDIRECT_HOSTS``). With an
    ``idempotency_key`` a repeat of the same call returns the first payment
    (``created`` False) instead of charging again; see
    :func:`~django_doku_allo.services.pay_idempotently` for what it raises.
    The customer's IP and ``X-Device-ID`` come from the request, the binding's
    stored values standing in when the request has none.
    """
    customer = customer_context(request, stored_ip=binding.customer_ip,
                                stored_device_id=binding.device_id)
    reference = services.new_partner_reference_no()
    options = list(pay_options or ())
    # What makes a repeat "the same request" (the reference and URLs are fresh each time).
    extra: dict[str, Any] = {"next_url": next_url}
    if options:
        extra["pay_options"] = [option.to_wire() for option in options]
    payment, created = services.pay_idempotently(
        idempotency_key=idempotency_key, binding=binding, amount=amount,
        description=description, order_id=order_id, customer=customer,
        success_url=payment_return_url(request, reference, "success", next_url),
        failure_url=payment_return_url(request, reference, "failed", next_url),
        line_items=list(line_items) if line_items else None,
        pay_options=options or None,
        partner_reference_no=reference,
        fingerprint_extra=extra,
    )
    return PaymentStart(payment=payment, created=created)


def cancel_payment(payment: Payment) -> Payment:
    """The customer's "cancel" on a pending payment; see :func:`services.cancel_payment`.

    DOKU is asked first: a payment the customer did confirm comes back ``succeeded``;
    otherwise it ends ``expired`` ("canceled by the customer") and its order is free.
    Check ``payment.status`` afterwards. Run it outside a database transaction.
    """
    return services.cancel_payment(payment)


def start_binding(
    request: HttpRequest,
    *,
    phone_number: str,
    next_url: str = "",
    device_model: str | None = None,
    os_type: str | None = None,
    channel_id: str | None = None,
    device_id: str = "",
    **details: Any,
) -> BindingStart:
    """Ask DOKU to link the requesting user's Allo Bank account; redirect to ``redirect_url``.

    ``device_model``, ``os_type`` (``"android"`` or ``"ios"``) and ``channel_id``
    (``"web"`` or ``"app"``) describe the customer's device to Allo Bank; each
    unset one keeps the service's default (``web``, ``android``, ``web``). Allo Bank
    needs a device id to link an account: the request's ``X-Device-ID`` header, or
    else ``device_id`` (say, one your site keeps per browser). ``details`` pass on to
    :func:`~django_doku_allo.services.begin_binding` (``cust_id_merchant``,
    ``customer_name``, ``email``).
    """
    if device_id and not _DEVICE_ID_RE.fullmatch(device_id):
        raise CustomerContextRefused(
            "invalid_device_id", _("A device id (the %(header)s DOKU gets) must be 1 to 64 "
                                   "letters or digits, no symbols.") % {"header": DEVICE_ID_HEADER},
            field="device_id")
    customer = customer_context(request, stored_device_id=device_id, require_device_id=True)
    device = {name: value for name, value in (("device_model", device_model),
                                              ("os_type", os_type),
                                              ("channel_id", channel_id))
              if value is not None}
    return services.begin_binding(
        user=request.user, phone_number=phone_number, customer=customer,
        return_url=binding_return_url(request, next_url), **device, **details,
    )
