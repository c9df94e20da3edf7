"""Permission and throttle classes named in ``DOKU_ALLO``, resolved per request.

Resolved on each request rather than at import, so ``override_settings`` and a
settings change without a restart of the test process both take effect.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.module_loading import import_string
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from ..conf import doku_settings

__all__ = [
    "REFUND_ANY_PAYMENT_PERMISSION",
    "can_refund_any_payment",
    "permission_classes",
    "refund_permission_classes",
    "throttle_classes",
]

#: With this permission a user may refund any payment through the API, not only their own.
REFUND_ANY_PAYMENT_PERMISSION = "doku_allo.can_refund"


def _load(names: Iterable[str | type]) -> list[type[Any]]:
    return [import_string(name) if isinstance(name, str) else name for name in names]


def permission_classes() -> list[type[BasePermission]]:
    """``API_PERMISSION_CLASSES``: who may use the API at all."""
    return _load(doku_settings.API_PERMISSION_CLASSES)


def refund_permission_classes() -> list[type[BasePermission]]:
    """``API_REFUND_PERMISSION_CLASSES``: checked in addition to the general ones."""
    return _load(doku_settings.API_REFUND_PERMISSION_CLASSES)


def throttle_classes() -> list[type[BaseThrottle]]:
    return _load(doku_settings.API_THROTTLE_CLASSES)


def can_refund_any_payment(request: Request) -> bool:
    """Staff with ``can_refund`` refund customers' payments; others only their own."""
    return bool(request.user and request.user.has_perm(REFUND_ANY_PAYMENT_PERMISSION))
