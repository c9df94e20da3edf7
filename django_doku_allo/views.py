"""Where the customer's browser comes back from Allo Bank's pages."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from . import services
from .conf import doku_settings
from .exceptions import DokuAlloError, InvalidState
from .models import BindingStatus, Payment, PaymentStatus

__all__ = ["absolute_url", "binding_return_view", "payment_return_url", "payment_return_view"]

logger = logging.getLogger(__name__)

_PAYMENT_SALT = "django_doku_allo.payment-return"


def absolute_url(request: HttpRequest | None, path: str) -> str:
    """``path`` on this site, absolute: from ``PUBLIC_BASE_URL`` or the request's host."""
    base = doku_settings.PUBLIC_BASE_URL
    if base:
        return str(base).rstrip("/") + path
    if request is None:
        raise DokuAlloError("Set DOKU_ALLO['PUBLIC_BASE_URL'] to build return URLs without "
                            "a request.")
    return request.build_absolute_uri(path)


def binding_return_url(request: HttpRequest | None, next_url: str = "") -> str:
    url = absolute_url(request, reverse("doku_allo:binding-return"))
    return f"{url}?{_next_query(next_url)}" if next_url else url


def payment_return_url(request: HttpRequest | None, partner_reference_no: str, result: str,
                       next_url: str = "") -> str:
    """The successPaymentUrl / failedPaymentUrl for a payment: signed, so unguessable."""
    token = signing.dumps(partner_reference_no, salt=_PAYMENT_SALT)
    url = absolute_url(request, reverse("doku_allo:payment-return"))
    suffix = f"&{_next_query(next_url)}" if next_url else ""
    return f"{url}?payment={token}&result={result}{suffix}"


def _next_query(next_url: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": next_url})


def _safe_redirect(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Only to this site or a host in ``ALLOWED_REDIRECT_HOSTS``: no open redirect."""
    target = request.GET.get("next", "")
    allowed = {request.get_host(), *doku_settings.ALLOWED_REDIRECT_HOSTS}
    if not target or not url_has_allowed_host_and_scheme(
            target, allowed_hosts=allowed, require_https=request.is_secure()):
        target = default
    return HttpResponseRedirect(target)


@require_GET
def binding_return_view(request: HttpRequest) -> HttpResponse:
    """successRegistrationUrl / failedRegistrationUrl: finish or fail the binding."""
    state = request.GET.get("state", "")
    succeeded = request.GET.get("result") == "success"
    try:
        binding = services.handle_binding_return(state, succeeded=succeeded)
    except InvalidState as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    except DokuAlloError as exc:
        logger.warning("doku_allo binding return could not complete: %s", exc)
        _message(request, messages.ERROR, "We could not confirm your Allo Bank link yet. "
                 "Please try again in a moment.")
        return _safe_redirect(request, doku_settings.BINDING_FAILURE_REDIRECT)
    if binding.status == BindingStatus.ACTIVE:
        _message(request, messages.SUCCESS, "Your Allo Bank account is linked.")
        return _safe_redirect(request, doku_settings.BINDING_SUCCESS_REDIRECT)
    _message(request, messages.ERROR, "Your Allo Bank account was not linked.")
    return _safe_redirect(request, doku_settings.BINDING_FAILURE_REDIRECT)


@require_GET
def payment_return_view(request: HttpRequest) -> HttpResponse:
    """successPaymentUrl / failedPaymentUrl: the redirect proves nothing, so ask DOKU."""
    try:
        reference = signing.loads(request.GET.get("payment", ""), salt=_PAYMENT_SALT)
    except signing.BadSignature:
        return HttpResponseBadRequest("This payment link is not valid.",
                                      content_type="text/plain; charset=utf-8")
    payment = Payment.objects.filter(partner_reference_no=reference).first()
    if payment is None:
        return HttpResponseBadRequest("Unknown payment.", content_type="text/plain; charset=utf-8")
    if not payment.is_final and doku_settings.PAYMENT_RETURN_STATUS_CHECK:
        try:
            payment = services.sync_payment(payment)
        except DokuAlloError as exc:
            logger.info("doku_allo payment return: status not yet available: %s", exc)
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return _safe_redirect(request, doku_settings.PAYMENT_SUCCESS_REDIRECT)
    if payment.status == PaymentStatus.FAILED:
        return _safe_redirect(request, doku_settings.PAYMENT_FAILURE_REDIRECT)
    # Still pending: the notification will settle it; show the merchant's page meanwhile.
    return _safe_redirect(request, doku_settings.PAYMENT_SUCCESS_REDIRECT)


def _message(request: HttpRequest, level: int, text: str) -> None:
    if hasattr(request, "_messages"):
        messages.add_message(request, level, text)
