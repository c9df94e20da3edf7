"""Where the customer's browser comes back from Allo Bank's pages.

The URLs that lead here are built in :mod:`django_doku_allo.returns`.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from . import services
from .conf import doku_settings
from .exceptions import DokuAlloError, InvalidState
from .inbound.limits import once_per
from .models import BindingStatus, Payment, PaymentStatus

# The URL helpers moved to returns; imported here too so that old imports of
# them from this module keep working.
from .returns import absolute_url, binding_return_url, payment_reference, payment_return_url

__all__ = ["absolute_url", "binding_return_url", "binding_return_view", "payment_return_url",
           "payment_return_view"]

logger = logging.getLogger(__name__)


def _safe_redirect(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Only to this site or a host in ``ALLOWED_REDIRECT_HOSTS``: no open redirect."""
    target = request.GET.get("next", "")
    allowed = {request.get_host(), *doku_settings.ALLOWED_REDIRECT_HOSTS}
    if not target or not url_has_allowed_host_and_scheme(
            target, allowed_hosts=allowed, require_https=request.is_secure()):
        target = default
    return HttpResponseRedirect(target)


def _is_owner(request: HttpRequest, user_id: int | None) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.pk == user_id)


@require_GET
@transaction.non_atomic_requests  # it calls DOKU: no transaction may stay open meanwhile
def binding_return_view(request: HttpRequest) -> HttpResponse:
    """successRegistrationUrl / failedRegistrationUrl: finish or fail the binding.

    The state proves which binding this is, not who is looking: the binding stays
    its owner's, and only its owner is told how it ended.
    """
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
    if not _is_owner(request, binding.user_id):
        _message(request, messages.INFO, "The Allo Bank link was handled. Sign in as the "
                 "account holder to see it.")
        return _safe_redirect(request, doku_settings.BINDING_FAILURE_REDIRECT)
    if binding.status == BindingStatus.ACTIVE:
        _message(request, messages.SUCCESS, "Your Allo Bank account is linked.")
        return _safe_redirect(request, doku_settings.BINDING_SUCCESS_REDIRECT)
    _message(request, messages.ERROR, "Your Allo Bank account was not linked.")
    return _safe_redirect(request, doku_settings.BINDING_FAILURE_REDIRECT)


@require_GET
@transaction.non_atomic_requests  # it may ask DOKU for the status
def payment_return_view(request: HttpRequest) -> HttpResponse:
    """successPaymentUrl / failedPaymentUrl: the redirect proves nothing, so ask DOKU.

    The link is signed and expires (``PAYMENT_RETURN_MAX_AGE``); visits make at most
    one status inquiry per payment per ``PAYMENT_RETURN_STATUS_CHECK_INTERVAL``; and
    anyone but the payment's owner (signed out, or another user) is sent to the same
    place whatever the payment's state, told only to see their order.
    """
    reference = payment_reference(request.GET.get("payment", ""))
    if reference is None:
        return HttpResponseBadRequest("This payment link is not valid or has expired; see "
                                      "your order for its status.",
                                      content_type="text/plain; charset=utf-8")
    payment = Payment.objects.filter(partner_reference_no=reference).first()
    if payment is None:
        return HttpResponseBadRequest("Unknown payment.", content_type="text/plain; charset=utf-8")
    if not payment.is_final and doku_settings.PAYMENT_RETURN_STATUS_CHECK and once_per(
            "payment-return", str(payment.pk),
            float(doku_settings.PAYMENT_RETURN_STATUS_CHECK_INTERVAL)):
        try:
            payment = services.sync_payment(payment)
        except DokuAlloError as exc:
            logger.info("doku_allo payment return: status not yet available: %s", exc)
    if not _is_owner(request, payment.user_id):
        _message(request, messages.INFO, "See your order for the payment's status.")
        return _safe_redirect(request, doku_settings.PAYMENT_SUCCESS_REDIRECT)
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return _safe_redirect(request, doku_settings.PAYMENT_SUCCESS_REDIRECT)
    if payment.status in (PaymentStatus.FAILED, PaymentStatus.EXPIRED):
        return _safe_redirect(request, doku_settings.PAYMENT_FAILURE_REDIRECT)
    # Still pending: the notification will settle it; show the merchant's page meanwhile.
    return _safe_redirect(request, doku_settings.PAYMENT_SUCCESS_REDIRECT)


def _message(request: HttpRequest, level: int, text: str) -> None:
    if hasattr(request, "_messages"):
        messages.add_message(request, level, text)
