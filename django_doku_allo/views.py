"""Where the customer's browser comes back from Allo Bank's pages.

The URLs that lead here are built in :mod:`django_doku_allo.returns`.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import services
from .conf import doku_settings
from .exceptions import DokuAlloError, InvalidState
from .inbound.limits import once_per
from .models import BindingStatus, Payment, PaymentStatus

# The URL helpers moved to returns; imported here too so that old imports of
# them from this module keep working.
from .returns import absolute_url, binding_return_url, payment_reference, payment_return_url
from .wording import customer_message

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


def _invalid_link(request: HttpRequest, title: str, message: str) -> HttpResponse:
    """A page in the customer's words with a way back, for a link that cannot be used.

    400 as before: the link is bad, not the server. The way back is
    ``RETURN_FALLBACK_URL`` (default "/").
    """
    back_url = resolve_url(doku_settings.RETURN_FALLBACK_URL or "/")
    return render(request, "django_doku_allo/return_link_invalid.html",
                  {"title": title, "message": message, "back_url": back_url}, status=400)


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
        logger.info("doku_allo binding return refused: %s", exc)
        return _invalid_link(request, _("This link cannot be used"),
                             _("This Allo Bank link is not valid, has expired or was already "
                               "used. Start linking your account again from the shop."))
    except DokuAlloError as exc:
        logger.warning("doku_allo binding return could not complete: %s", exc)
        _message(request, messages.ERROR, _("We could not confirm your Allo Bank link yet. "
                                            "Please try again in a moment."))
        return _safe_redirect(request, doku_settings.BINDING_FAILURE_REDIRECT)
    if not _is_owner(request, binding.user_id):
        _message(request, messages.INFO, _("The Allo Bank link was handled. Sign in as the "
                                           "account holder to see it."))
        return _safe_redirect(request, doku_settings.BINDING_FAILURE_REDIRECT)
    # The customer's words say why, e.g. the OTP/PIN was not completed.
    text = customer_message(binding)
    if binding.status == BindingStatus.ACTIVE:
        _message(request, messages.SUCCESS, text)
        return _safe_redirect(request, doku_settings.BINDING_SUCCESS_REDIRECT)
    _message(request, messages.ERROR, text)
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
        return _invalid_link(request, _("This link cannot be used"),
                             _("This payment link is not valid or has expired. See your order "
                               "for the payment's status."))
    payment = Payment.objects.filter(partner_reference_no=reference).first()
    if payment is None:
        return _invalid_link(request, _("Payment not found"),
                             _("We could not find this payment. See your order for its "
                               "status."))
    if not payment.is_final and doku_settings.PAYMENT_RETURN_STATUS_CHECK and once_per(
            "payment-return", str(payment.pk),
            float(doku_settings.PAYMENT_RETURN_STATUS_CHECK_INTERVAL)):
        try:
            payment = services.sync_payment(payment)
        except DokuAlloError as exc:
            logger.info("doku_allo payment return: status not yet available: %s", exc)
    if not _is_owner(request, payment.user_id):
        _message(request, messages.INFO, _("See your order for the payment's status."))
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
