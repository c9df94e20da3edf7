"""The shop's pages. Thin: each parses the request, calls one library service, renders.

Every change to a binding or payment goes through :mod:`django_doku_allo.services`;
the order's status follows the payment through the signals wired in ``apps.py``.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from django_doku_allo import checkout, services
from django_doku_allo.exceptions import DokuAlloError
from django_doku_allo.models import Binding, BindingStatus, PaymentStatus
from django_doku_allo.snap.messages import CustomerContext, LineItem

from .catalogue import PRODUCTS, get_product
from .forms import LinkAlloForm
from .models import Order, OrderStatus

logger = logging.getLogger(__name__)


def customer_context(request: HttpRequest) -> CustomerContext:
    """The customer's device and IP, as DOKU wants them (X-IP-ADDRESS must be IPv4)."""
    address = request.META.get("REMOTE_ADDR", "")
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        # An IPv6 client (or none, behind some proxies): DOKU accepts only IPv4 here.
        address = "127.0.0.1"
    return CustomerContext(ip_address=address, device_id="web")


def _live_binding(user: Any) -> Binding | None:
    return (Binding.objects.filter(user=user,
                                   status__in=(BindingStatus.ACTIVE, BindingStatus.UNBINDING))
            .order_by("-created_at").first())


@login_required
def home(request: HttpRequest) -> HttpResponse:
    binding = _live_binding(request.user)
    balance = balance_error = None
    if binding is not None and binding.is_active:
        try:
            answer = services.balance_inquiry(binding, customer=customer_context(request))
            balance = answer.available
        except DokuAlloError as exc:
            # The page still works without a balance; say why it is missing.
            balance_error = str(exc)
            binding = _live_binding(request.user)  # a revoked binding is gone now
    return render(request, "shop/home.html", {
        "products": PRODUCTS,
        "binding": binding,
        "balance": balance,
        "balance_error": balance_error,
        "link_form": LinkAlloForm(),
        "orders": Order.objects.filter(user=request.user)[:10],
    })


@login_required
@require_POST
def link_allo(request: HttpRequest) -> HttpResponse:
    form = LinkAlloForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the phone number of your Allo Bank account.")
        return redirect("shop:home")
    try:
        # A browser sends no X-Device-ID: the device id "web", as before, stands in.
        start = checkout.start_binding(
            request, phone_number=form.cleaned_data["phone"], next_url=reverse("shop:home"),
            device_id="web")
    except DokuAlloError as exc:
        messages.error(request, f"Allo Bank could not start linking: {exc}")
        return redirect("shop:home")
    # Allo Bank's own OTP/PIN page; it sends the browser back to the binding return view.
    return redirect(start.redirect_url)


@login_required
@require_POST
def unlink_allo(request: HttpRequest) -> HttpResponse:
    binding = _live_binding(request.user)
    if binding is None:
        messages.info(request, "No Allo Bank account is linked.")
        return redirect("shop:home")
    try:
        services.unbind(binding, customer=customer_context(request))
    except DokuAlloError as exc:
        messages.error(request, f"Allo Bank did not unlink the account: {exc}")
    else:
        messages.success(request, "Your Allo Bank account is unlinked.")
    return redirect("shop:home")


@login_required
@require_POST
def buy(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_product(slug)
    if product is None:
        raise Http404("No such product.")
    binding = _live_binding(request.user)
    if binding is None or not binding.is_active:
        messages.error(request, "Link your Allo Bank account before you buy.")
        return redirect("shop:home")
    order = Order.objects.create(user=request.user, product_slug=product.slug,
                                 product_name=product.name, amount=product.price)
    order_url = reverse("shop:order", args=[order.number])
    try:
        start = checkout.start_payment(
            request, binding=binding, amount=order.amount, description=product.name,
            line_items=[LineItem(name=product.name[:32], price=product.price)],
            order_id=order.number, next_url=order_url)
    except DokuAlloError as exc:
        # Refused before any payment was recorded (binding gone, bad input).
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAYMENT_FAILED)
        messages.error(request, f"We could not start the payment: {exc}")
        return redirect(order_url)
    payment = start.payment
    # update(), not save(): a signal may already have moved the order's status.
    Order.objects.filter(pk=order.pk).update(payment=payment)
    if start.redirect_url:
        # Allo Bank's page, where the customer confirms with OTP and PIN.
        return redirect(start.redirect_url)
    if payment.status == PaymentStatus.FAILED:
        messages.error(request, f"Allo Bank refused the payment: {payment.failure_reason}")
    else:
        messages.warning(request, "We could not confirm the payment with Allo Bank yet; "
                                  "this page updates when we know.")
    return redirect(order_url)


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(Order.objects.select_related("payment"), number=number,
                              user=request.user)
    return render(request, "shop/order_detail.html", {"order": order,
                                                      "payment": order.payment})
