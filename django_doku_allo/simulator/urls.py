"""Mount with ``path("doku-simulator/", include("django_doku_allo.simulator.urls"))``.

The current DOKU paths are served, and the legacy "merchant/allo" paths of DOKU's
archived Allo page as aliases. Signatures are checked against ``request.path``: the
full path including the mount prefix, exactly what the client requested.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from . import control, pages
from .handlers.balance import balance_inquiry
from .handlers.binding import account_binding
from .handlers.payment import payment_host_to_host
from .handlers.refund import refund
from .handlers.status import check_status
from .handlers.tokens import token_b2b, token_b2b2c
from .handlers.unbinding import account_unbinding
from .pipeline import Endpoint, TokenEndpoint

app_name = "doku_allo_simulator"

_token_b2b = TokenEndpoint("token_b2b", token_b2b).as_view()
_token_b2b2c = TokenEndpoint("token_b2b2c", token_b2b2c).as_view()
_binding = Endpoint("binding", account_binding, ip_address=True, device_id=True).as_view()
_balance = Endpoint("balance", balance_inquiry, customer_token=True, ip_address=True).as_view()
_payment = Endpoint("payment", payment_host_to_host, customer_token=True,
                    ip_address=True).as_view()
_refund = Endpoint("refund", refund, customer_token=True, ip_address=True).as_view()
_status = Endpoint("status", check_status).as_view()
_unbinding = Endpoint("unbinding", account_unbinding, ip_address=True).as_view()

_LEGACY = "direct-debit/merchant/allo/v1.0/"

urlpatterns: list[URLPattern] = [
    path("authorization/v1/access-token/b2b", _token_b2b, name="token-b2b"),
    path("authorization/v1/access-token/b2b2c", _token_b2b2c, name="token-b2b2c"),
    path("direct-debit/core/v1/registration-account-binding", _binding, name="binding"),
    path("direct-debit/core/v1/balance-inquiry", _balance, name="balance"),
    path("direct-debit/core/v1/debit/payment-host-to-host", _payment, name="payment"),
    path("direct-debit/core/v1/debit/refund", _refund, name="refund"),
    path("orders/v1.0/debit/status", _status, name="status"),
    path("direct-debit/core/v1/registration-account-unbinding", _unbinding, name="unbinding"),
    # Legacy aliases (DOKU's archived page spells payment two ways).
    path(f"{_LEGACY}registration-account-binding", _binding),
    path(f"{_LEGACY}balance-inquiry", _balance),
    path(f"{_LEGACY}payment-host-to-host", _payment),
    path(f"{_LEGACY}payment/host-to-host", _payment),
    path(f"{_LEGACY}debit/refund", _refund),
    path("direct-debit/allo/v1.0/registration-account-unbinding", _unbinding),
    # The customer's pages.
    path("pages/binding/<str:reference_no>/", pages.binding_page, name="binding-page"),
    path("pages/payment/<str:reference_no>/", pages.payment_page, name="payment-page"),
    # The control API (404 unless ENABLE_CONTROL_API).
    path("_control/state", control.state_view, name="control-state"),
    path("_control/state/reset", control.reset, name="control-reset"),
    path("_control/faults", control.fault_list, name="control-faults"),
    path("_control/faults/reset", control.faults_reset, name="control-faults-reset"),
    path("_control/accounts/<str:phone_no>", control.account, name="control-account"),
    path("_control/bindings/<str:reference>", control.binding, name="control-binding"),
    path("_control/bindings/<str:reference>/complete", control.binding_action,
         {"action": "complete"}, name="control-binding-complete"),
    path("_control/bindings/<str:reference>/cancel", control.binding_action,
         {"action": "cancel"}, name="control-binding-cancel"),
    path("_control/payments/<str:reference>", control.payment, name="control-payment"),
    path("_control/payments/<str:reference>/confirm", control.payment_action,
         {"action": "confirm"}, name="control-payment-confirm"),
    path("_control/payments/<str:reference>/cancel", control.payment_action,
         {"action": "cancel"}, name="control-payment-cancel"),
    path("_control/payments/<str:reference>/resend-notification", control.payment_action,
         {"action": "resend"}, name="control-payment-resend"),
    path("_control/notifications", control.notification_list, name="control-notifications"),
    path("_control/notifications/deliver", control.deliver, name="control-deliver"),
]
