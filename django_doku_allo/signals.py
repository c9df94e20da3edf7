"""Signals, each sent once per real state change, after the transaction commits.

Every signal is sent with ``sender`` = the model class and the keyword arguments
listed below; receivers should accept ``**kwargs`` for arguments added later.

- ``binding_activated``: ``binding``
- ``binding_failed``: ``binding``, ``reason``
- ``binding_unbound``: ``binding``
- ``payment_succeeded``: ``payment``
- ``payment_failed``: ``payment``, ``reason``
- ``payment_refunded``: ``payment``, ``refund`` (``refund`` is ``None`` when DOKU
  reported the refund and we hold no matching Refund row)
- ``refund_failed``: ``refund``, ``reason``
- ``notification_received``: ``notification`` (every verified delivery, duplicates too)
- ``payment_needs_attention``: ``payment``, ``reason``: money and our records disagree
  in a way only staff can settle (DOKU debited a payment after it had failed, or a
  payment we presumed failed was debited while its order had been paid again): refund
  the customer. ``payment.attention`` says the same.

A payment we presumed failed (``expired``, sent with ``payment_failed``) that DOKU
later reports paid sends ``payment_succeeded``: write receivers for it.
"""

from django.dispatch import Signal

binding_activated = Signal()
binding_failed = Signal()
binding_unbound = Signal()
payment_succeeded = Signal()
payment_failed = Signal()
payment_refunded = Signal()
refund_failed = Signal()
notification_received = Signal()
payment_needs_attention = Signal()
