"""The Allo Bank pages a customer sees: OTP then PIN, for a binding or a payment.

They are DOKU's (Allo's) pages, not the merchant's: no login, no CSRF token (the
simulator cannot know the merchant's cookies). Each POST calls the same function a test
calls through :mod:`.customer`; a finished step redirects (302) to the merchant's URL.
They speak the request's language (the merchant's LocaleMiddleware, same process) and
show amounts with :func:`django_doku_allo.amounts.format_amount`.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseRedirectBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import customer
from .customer import PageResult
from .hints import page_hints
from .models import Binding, Payment
from .page_text import Outcome, binding_outcome, payment_outcome

__all__ = ["binding_page", "payment_page"]


class _MerchantRedirect(HttpResponseRedirectBase):
    """A 302 to the merchant's URL; apps may use their own scheme (unsafe ones were
    refused when the URL was received)."""

    status_code = 302

    def __init__(self, url: str) -> None:
        self.allowed_schemes = [urlsplit(url).scheme.lower() or "https"]
        super().__init__(url)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _submit(request: HttpRequest, step: str, reference_no: str, *,
            cancel: Callable[[str], PageResult], otp: Callable[[str, str], PageResult],
            pin: Callable[[str, str], PageResult]) -> PageResult:
    """What the customer's POST does on an OTP/PIN page, binding or payment alike."""
    if request.POST.get("action") == "cancel":
        return cancel(reference_no)
    if step == "otp":
        return otp(reference_no, request.POST.get("otp", ""))
    if step == "pin":
        return pin(reference_no, request.POST.get("pin", ""))
    return cancel(reference_no)  # finished already: cancel answers where to go


def _after_post(request: HttpRequest, result: PageResult,
                render_step: Callable[[str, str], HttpResponse]) -> HttpResponse:
    if result.step == "done" and result.redirect_url:
        return _MerchantRedirect(result.redirect_url)
    if result.error:
        return render_step(result.step, result.error)
    # Post/redirect/get: a reload does not submit the code again.
    return redirect(request.path)


def _done_page(request: HttpRequest, outcome: Outcome, url: str) -> HttpResponse:
    return _no_store(render(request, "doku_allo_simulator/done.html",
                            {"outcome": outcome, "url": url}))


def _unknown_link(request: HttpRequest) -> HttpResponse:
    """A 404 the customer can read: the simulator knows no merchant to send them back to."""
    return _no_store(render(request, "doku_allo_simulator/unknown.html", status=404))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def binding_page(request: HttpRequest, reference_no: str) -> HttpResponse:
    binding = Binding.objects.select_related("account").filter(reference_no=reference_no).first()
    if binding is None:
        return _unknown_link(request)

    def render_step(step: str, error: str = "") -> HttpResponse:
        return _no_store(render(request, "doku_allo_simulator/binding.html", {
            "step": step, "error": error, "phone_no": binding.account.phone_no,
            "hints": page_hints(binding.account, step=step, purpose="binding"),
            "submit_label": gettext("Verify") if step == "otp" else gettext("Link account"),
        }))

    step = customer.binding_step(binding)
    if request.method == "POST":
        result = _submit(request, step, reference_no, cancel=customer.cancel_binding,
                         otp=customer.submit_binding_otp, pin=customer.submit_binding_pin)
        return _after_post(request, result, render_step)
    if step == "done":
        outcome = binding_outcome(binding)
        return _done_page(request, outcome,
                          binding.success_url if outcome.succeeded else binding.failed_url)
    return render_step(step)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def payment_page(request: HttpRequest, reference_no: str) -> HttpResponse:
    payment = Payment.objects.select_related("account").filter(reference_no=reference_no).first()
    if payment is None:
        return _unknown_link(request)

    def render_step(step: str, error: str = "") -> HttpResponse:
        return _no_store(render(request, "doku_allo_simulator/payment.html", {
            "step": step, "error": error, "phone_no": payment.account.phone_no,
            "payment": payment, "line_items": payment.line_items,
            "hints": page_hints(payment.account, step=step, purpose="payment",
                                amount=payment.amount, currency=payment.currency),
            "submit_label": gettext("Verify") if step == "otp" else gettext("Pay"),
        }))

    step = customer.payment_step(payment)
    if request.method == "POST":
        result = _submit(request, step, reference_no, cancel=customer.cancel_payment,
                         otp=customer.submit_payment_otp, pin=customer.submit_payment_pin)
        return _after_post(request, result, render_step)
    if step == "done":
        outcome = payment_outcome(payment)
        return _done_page(request, outcome,
                          payment.success_url if outcome.succeeded else payment.failed_url)
    return render_step(step)
