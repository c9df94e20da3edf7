"""The customer context for DOKU, from an API request: :mod:`django_doku_allo.returns`.

:func:`customer_context` lives in ``returns`` so it needs no DRF; this module
re-exports it for old imports and gives the API its own variant,
:func:`api_customer_context`, whose refusals are the API's errors, each with
its documented ``code``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from rest_framework.exceptions import APIException

from ..returns import DEVICE_ID_HEADER, CustomerContextRefused, customer_context
from .errors import DeviceIdInvalid, DeviceIdRequired, IPv4Required

__all__ = ["DEVICE_ID_HEADER", "api_customer_context", "customer_context"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_API_ERRORS: dict[str, type[APIException]] = {
    "ipv4_required": IPv4Required,
    "device_id_required": DeviceIdRequired,
    "invalid_device_id": DeviceIdInvalid,
}


def _as_api_errors(func: Callable[_P, _R]) -> Callable[_P, _R]:
    # Wrapped rather than re-declared, so the API variant can never drift from
    # the domain function's signature.
    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return func(*args, **kwargs)
        except CustomerContextRefused as exc:
            raise _API_ERRORS[exc.reason]() from exc
    return wrapper


#: :func:`~django_doku_allo.returns.customer_context`, refusing with an API error.
api_customer_context = _as_api_errors(customer_context)
