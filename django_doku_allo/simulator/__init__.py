"""A local stand-in for DOKU's side of the SNAP wire (Allo Bank direct debit).

Mount ``django_doku_allo.simulator.urls`` under any prefix and point the client's
base URL at it. It verifies what DOKU verifies, keeps accounts, bindings, payments
and refunds in its own tables, serves the OTP/PIN pages a customer sees, and sends
signed notifications to the merchant. Settings: :mod:`django_doku_allo.simulator.conf`.
Test helpers: :mod:`~django_doku_allo.simulator.customer` (play the customer),
:mod:`~django_doku_allo.simulator.state` (assert what "the bank" did),
:mod:`~django_doku_allo.simulator.faults` (inject failures) and
:mod:`~django_doku_allo.simulator.notifications` (deliver and re-send notifications).

Only :mod:`django_doku_allo.snap.signing` is imported from the rest of the package;
nothing outside this sub-package imports it.
"""
