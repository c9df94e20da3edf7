"""The customer context for DOKU, from an API request: :mod:`django_doku_allo.returns`.

:func:`customer_context` lives in ``returns`` so it needs no DRF; this module
re-exports it for old imports and gives the API its own variant,
:func:`api_customer_context`, whose refusals are the API's errors, each with
its documented ``code``.
"""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.exceptions import APIException

from ..returns import DEVICE_ID_HEADER, CustomerContextRefused, customer_context
from ..snap.types import CustomerContext
from .errors import DeviceIdInvalid, DeviceIdRequired, IPv4Required

__all__ = ["DEVICE_ID_HEADER", "api_customer_context", "customer_context"]

_API_ERRORS: dict[str, type[APIException]] = {
    "ipv4_required": IPv4Required,
    "device_id_required": DeviceIdRequired,
    "invalid_device_id": DeviceIdInvalid,
}


def api_customer_context(
    request: HttpRequest,
    *,
    stored_ip: str | None = None,
    stored_device_id: str = "",
    require_device_id: bool = False,
) -> CustomerContext:
    """:func:`~django_doku_allo.returns.customer_context`, refusing with an API error."""
    try:
        return customer_context(request, stored_ip=stored_ip,
                                stored_device_id=stored_device_id,
                                require_device_id=require_device_id)
    except CustomerContextRefused as exc:
        raise _API_ERRORS[exc.reason]() from exc
