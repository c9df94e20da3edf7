"""Compatibility re-export of :mod:`.messages` (one module per operation).

Kept because the rest of the package (services, webhooks, notification_auth,
api, testing) and several tests still import from ``snap.types``; once the
integrator has switched those imports to ``snap.messages``, this module can go.
``__all__`` is spelled out so tools see the names statically; a test checks it
matches ``messages.__all__``.
"""

# ruff: noqa: F403, F405

from __future__ import annotations

from .messages import *

__all__ = [
    "AccessToken",
    "AccountBalance",
    "AccountBindingRequest",
    "AccountBindingResponse",
    "AccountUnbindingResponse",
    "B2B2CToken",
    "BalanceInquiryResponse",
    "CheckStatusRequest",
    "CheckStatusResponse",
    "CustomerContext",
    "LineItem",
    "Money",
    "PayOption",
    "PaymentRequest",
    "PaymentResponse",
    "RefundHistoryEntry",
    "RefundRequest",
    "RefundResponse",
    "SnapAnswer",
    "SnapResponse",
    "format_amount",
    "parse_amount",
]
