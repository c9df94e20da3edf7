"""The shop's pages. Thin: each parses the request, calls one library service, renders.

Every change to a binding or payment goes through :mod:`django_doku_allo.services`
(or :mod:`django_doku_allo.checkout`); the order's status follows the payment through
the signals wired in ``apps.py``. What the customer reads comes from
:mod:`django_doku_allo.wording`: the customer's words, never DOKU's codes.
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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from django_doku_allo import checkout, services, wording
from django_doku_allo.api.errors import DOMAIN_ERRORS
from django_doku_allo.exceptions import DokuAlloError
from django_doku_allo.models import Binding, BindingStatus
from django_doku_allo.snap.messages import CustomerContext, LineItem

from .catalogue import PRODUCTS, get_product
from .forms import LinkAlloForm
from .models import Order, OrderStatus
from .polling import REFRESH_EVERY_SECONDS, keeps_refreshing

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


def customer_error(exc: DokuAlloError) -> str:
    """What the customer reads about ``exc``: what happened and what to do, no DOKU code.

    The REST API's table names the kind of error; the staff text (``str(exc)``) goes
    to the log, where the merchant looks.
    """
    logger.info("shop: %s", exc)
    code = next((name for kind, _status, name in DOMAIN_ERRORS if isinstance(exc, kind)), "")
    return wording.customer_message_for_code(code, getattr(exc, "response_code", None))


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
            balance_error = customer_error(exc)
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
        messages.error(request, _("Enter the phone number of your Allo Bank account."))
        return redirect("shop:home")
    try:
        # A browser sends no X-Device-ID: the device id "web", as before, stands in.
        start = checkout.start_binding(
            request, phone_number=form.cleaned_data["phone"], next_url=reverse("shop:home"),
            device_id="web")
    except DokuAlloError as exc:
        messages.error(request, customer_error(exc))
        return redirect("shop:home")
    # Allo Bank's own OTP/PIN page; it sends the browser back to the binding return view.
    return redirect(start.redirect_url)


@login_required
def unlink_allo(request: HttpRequest) -> HttpResponse:
    """GET asks "are you sure?" (a page, so it works without JavaScript); POST unlinks."""
    binding = _live_binding(request.user)
    if binding is None:
        messages.info(request, _("No Allo Bank account is linked."))
        return redirect("shop:home")
    if request.method != "POST":
        return render(request, "shop/unlink_confirm.html", {"binding": binding})
    try:
        services.unbind(binding, customer=customer_context(request), initiated_by="customer")
    except DokuAlloError as exc:
        messages.error(request, customer_error(exc))
    else:
        messages.success(request, _("Your Allo Bank account is unlinked."))
    return redirect("shop:home")


@login_required
@require_POST
def buy(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_product(slug)
    if product is None:
        raise Http404("No such product.")
    binding = _live_binding(request.user)
    if binding is None or not binding.is_active:
        messages.error(request, _("Link your Allo Bank account before you buy."))
        return redirect("shop:home")
    name = str(product.name)  # as the customer read it when buying
    order = Order.objects.create(user=request.user, product_slug=product.slug,
                                 product_name=name, amount=product.price)
    order_url = reverse("shop:order", args=[order.number])
    try:
        start = checkout.start_payment(
            request, binding=binding, amount=order.amount, description=name,
            line_items=[LineItem(name=name[:32], price=product.price)],
            order_id=order.number, next_url=order_url)
    except DokuAlloError as exc:
        # Refused before any payment was recorded (binding gone, bad input).
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAYMENT_FAILED)
        messages.error(request, customer_error(exc))
        return redirect(order_url)
    # update(), not save(): a signal may already have moved the order's status.
    Order.objects.filter(pk=order.pk).update(payment=start.payment)
    if start.redirect_url:
        # Allo Bank's page, where the customer confirms with OTP and PIN.
        return redirect(start.redirect_url)
    # Refused at once, or not known yet: the order page says which, once.
    return redirect(order_url)


def _own_order(request: HttpRequest, number: str) -> Order:
    return get_object_or_404(Order.objects.select_related("payment"), number=number,
                             user=request.user)


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    payment = order.payment
    settled = not order.is_awaiting_payment or (payment is not None and payment.is_final)
    started_at = payment.created_at if payment is not None else order.created_at
    return render(request, "shop/order_detail.html", {
        "order": order,
        "payment": payment,
        "payment_status": wording.customer_status(payment) if payment else "",
        "payment_message": wording.customer_message(payment) if payment else "",
        "continue_url": payment.continue_url if payment else None,
        "can_cancel": payment is not None and not payment.is_final
                      and order.is_awaiting_payment,
        "can_pay_again": order.status == OrderStatus.PAYMENT_FAILED
                         and get_product(order.product_slug) is not None,
        "refresh_every": REFRESH_EVERY_SECONDS,
        "refreshing": keeps_refreshing(started_at, timezone.now(), settled=settled),
        "waiting": not settled,
    })


@login_required
def cancel_payment(request: HttpRequest, number: str) -> HttpResponse:
    """GET asks "cancel this payment?"; POST cancels it (DOKU is asked for the status first)."""
    order = _own_order(request, number)
    order_url = reverse("shop:order", args=[order.number])
    payment = order.payment
    if payment is None or payment.is_final:
        return redirect(order_url)
    if request.method != "POST":
        return render(request, "shop/cancel_confirm.html", {"order": order,
                                                            "payment": payment})
    checkout.cancel_payment(payment)
    # No flash message: the order page says what became of it ("You canceled this
    # payment", or paid after all when the customer had confirmed at Allo Bank), once.
    return redirect(order_url)


@login_required
@require_POST
def check_payment(request: HttpRequest, number: str) -> HttpResponse:
    """"Check again", once the order page stopped refreshing: ask DOKU for the status."""
    order = _own_order(request, number)
    if order.payment is not None and not order.payment.is_final:
        try:
            services.sync_payment(order.payment)
        except DokuAlloError as exc:
            messages.warning(request, customer_error(exc))
    return redirect("shop:order", order.number)
