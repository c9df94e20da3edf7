"""Include under any prefix: ``path("doku-allo/", include("django_doku_allo.urls"))``.

The paths DOKU calls mirror SNAP's conventions: configure DOKU's notification URL
as ``https://<host>/<prefix>/v1.0/debit/notify``.
"""

from django.urls import path

from . import views
from .inbound import views as inbound

app_name = "doku_allo"

urlpatterns = [
    path("authorization/v1/access-token/b2b", inbound.token_view, name="token"),
    path("v1.0/debit/notify", inbound.notification_view, name="notification"),
    path("binding/return/", views.binding_return_view, name="binding-return"),
    path("payment/return/", views.payment_return_view, name="payment-return"),
]
