"""Include under any prefix: ``path("api/", include("django_doku_allo.api.urls"))``.

Namespace ``doku_allo_api``: ``binding-list``, ``binding-detail``,
``binding-balance``, ``payment-list``, ``payment-detail``, ``payment-refund``,
``payment-sync``, ``refund-list``, ``refund-detail``.
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .views import BindingViewSet, PaymentViewSet, RefundViewSet

app_name = "doku_allo_api"

router = SimpleRouter()
router.register("bindings", BindingViewSet, basename="binding")
router.register("payments", PaymentViewSet, basename="payment")
router.register("refunds", RefundViewSet, basename="refund")

urlpatterns = [path("", include(router.urls))]
