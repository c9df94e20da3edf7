"""Every state change of bindings, payments and refunds, and nothing else.

One module per object: :mod:`.bindings`, :mod:`.customer_tokens`,
:mod:`.payments`, :mod:`.refunds`, :mod:`.notifications`, :mod:`.idempotency`;
:mod:`._rows` holds what they share (lock, the one transition check, DOKU's
answer on the row, signals on commit) and documents the one lock order.

The pattern of each money-moving service:
1. in a short transaction, lock the row, check the transition is allowed and
   persist the intent (our identifiers, X-EXTERNAL-ID and the exact body) so a
   crash leaves a record a status check can settle;
2. call DOKU outside any lock (a slow bank never holds a row lock);
3. in another short transaction, lock the row again and apply the result along
   the transition table; signals go out with ``transaction.on_commit``.

An outcome we could not learn (timeout after sending, 5xx, 409) becomes
``unknown`` and is settled by :func:`sync_payment` / :func:`sync_refund`, never
by resending.
"""

from __future__ import annotations

from ..snap.messages import SnapAnswer
from .bindings import (
    BindingStart,
    balance_inquiry,
    begin_binding,
    complete_binding,
    fail_binding,
    handle_binding_return,
    unbind,
)
from .idempotency import idempotency_fingerprint, pay_idempotently
from .notifications import (
    PROCESSED,
    PROCESSING_ERROR,
    process_notification,
    process_stored_notification,
    receive_notification,
    reprocess_notification,
)
from .payments import (
    DOKU_TO_PAYMENT_STATUS,
    cancel_payment,
    new_partner_reference_no,
    pay,
    sync_payment,
)
from .refunds import new_partner_refund_no, refund, refund_refusal_reason, sync_refund

#: The answer to DOKU for a notification (the name 0.1 documented for :class:`SnapAnswer`).
NotificationOutcome = SnapAnswer

__all__ = [
    "DOKU_TO_PAYMENT_STATUS",
    "PROCESSED",
    "PROCESSING_ERROR",
    "BindingStart",
    "NotificationOutcome",
    "balance_inquiry",
    "begin_binding",
    "cancel_payment",
    "complete_binding",
    "fail_binding",
    "handle_binding_return",
    "idempotency_fingerprint",
    "new_partner_reference_no",
    "new_partner_refund_no",
    "pay",
    "pay_idempotently",
    "process_notification",
    "process_stored_notification",
    "receive_notification",
    "refund",
    "refund_refusal_reason",
    "reprocess_notification",
    "sync_payment",
    "sync_refund",
    "unbind",
]
