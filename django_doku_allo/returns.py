"""Where the customer's browser comes back to, and who the customer is for DOKU.

Domain helpers with no DRF in them: the merchant's own views, the REST API and
the services all build return URLs and customer contexts the same way.

Return URLs are absolute because DOKU redirects the browser to them from Allo
Bank's pages; the payment one carries a signed reference, because the redirect
itself proves nothing and must not let anyone poke at another's payment.

DOKU wants the customer's IP (IPv4 only) and device id as headers on every
customer call. Behind a proxy, set ``REMOTE_ADDR`` from the proxy's header in a
middleware you trust: :func:`customer_context` reads ``REMOTE_ADDR`` only,
because any ``X-Forwarded-For`` it read could be forged by the client.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlencode

from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from .conf import doku_settings
from .exceptions import DokuAlloError, InvalidRequestError
from .snap.messages import CustomerContext

__all__ = [
    "DEVICE_ID_HEADER",
    "CustomerContextRefused",
    "absolute_url",
    "binding_return_url",
    "customer_context",
    "payment_reference",
    "payment_return_url",
]

DEVICE_ID_HEADER = "X-Device-ID"
_DEVICE_ID_RE = re.compile(r"[A-Za-z0-9]{1,64}")
_PAYMENT_SALT = "django_doku_allo.payment-return"


# --------------------------------------------------------------------------- return URLs
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
    """The successRegistrationUrl / failedRegistrationUrl for a binding."""
    url = absolute_url(request, reverse("doku_allo:binding-return"))
    return f"{url}?{_next_query(next_url)}" if next_url else url


def payment_return_url(request: HttpRequest | None, partner_reference_no: str, result: str,
                       next_url: str = "") -> str:
    """The successPaymentUrl / failedPaymentUrl for a payment: signed, so unguessable."""
    token = signing.dumps(partner_reference_no, salt=_PAYMENT_SALT)
    url = absolute_url(request, reverse("doku_allo:payment-return"))
    suffix = f"&{_next_query(next_url)}" if next_url else ""
    return f"{url}?payment={token}&result={result}{suffix}"


def payment_reference(token: str, max_age: float | None = None) -> str | None:
    """The partnerReferenceNo that :func:`payment_return_url` signed, or ``None``.

    ``None`` when the token is forged or older than ``max_age`` seconds (default
    ``PAYMENT_RETURN_MAX_AGE``): a return link does not work forever.
    """
    if max_age is None:
        max_age = float(doku_settings.PAYMENT_RETURN_MAX_AGE)
    try:
        return str(signing.loads(token, salt=_PAYMENT_SALT, max_age=max_age))
    except signing.BadSignature:  # SignatureExpired is one
        return None


def _next_query(next_url: str) -> str:
    return urlencode({"next": next_url})


# --------------------------------------------------------------------------- customer context
class CustomerContextRefused(InvalidRequestError):
    """The request cannot give DOKU a customer context; ``reason`` says why.

    ``reason`` is ``"ipv4_required"``, ``"device_id_required"`` or
    ``"invalid_device_id"``: the REST API answers with it as its error code.
    """

    def __init__(self, reason: str, message: str, *, field: str) -> None:
        super().__init__(message, field=field)
        self.reason = reason


def customer_context(
    request: HttpRequest,
    *,
    stored_ip: str | None = None,
    stored_device_id: str = "",
    require_device_id: bool = False,
) -> CustomerContext:
    """The request's customer context, falling back to what the binding or payment stored.

    The stored values stand in when the request came over IPv6 (say ``::1`` in
    development) or sent no ``X-Device-ID``: they were the same customer's when
    the binding or payment was made. Raises :class:`CustomerContextRefused`.
    """
    ip = _ipv4(request.META.get("REMOTE_ADDR")) or _ipv4(stored_ip)
    if ip is None:
        raise CustomerContextRefused(
            "ipv4_required", _("DOKU needs the customer's IPv4 address, and this request "
                               "came from an IPv6 one. Call over IPv4."), field="ip_address")
    device_id = request.headers.get(DEVICE_ID_HEADER, "")
    if device_id and not _DEVICE_ID_RE.fullmatch(device_id):
        raise CustomerContextRefused(
            "invalid_device_id", _("The %(header)s header must be 1 to 64 letters or digits, "
                                   "no symbols.") % {"header": DEVICE_ID_HEADER},
            field="device_id")
    device_id = device_id or stored_device_id
    if require_device_id and not device_id:
        raise CustomerContextRefused(
            "device_id_required", _("Allo Bank needs the customer's device id to link an "
                                    "account: send the %(header)s header.")
            % {"header": DEVICE_ID_HEADER}, field="device_id")
    return CustomerContext(ip_address=ip, device_id=device_id or None)


def _ipv4(value: str | None) -> str | None:
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 client seen through a dual-stack socket is still IPv4 to DOKU.
        mapped = address.ipv4_mapped
        return str(mapped) if mapped is not None else None
    return str(address)
