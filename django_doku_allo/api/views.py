"""Bindings, payments and refunds for the merchant's own front ends.

Each action parses and authorises, calls one function of
:mod:`django_doku_allo.services`, and renders; the services hold every rule.
A user sees only their own objects: anyone else's is a 404, not a 403, so ids
reveal nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from django.db import transaction
from django.db.models import QuerySet
from django.utils.module_loading import import_string
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import BasePagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from .. import checkout, services
from ..conf import doku_settings
from ..models import Binding, Payment, Refund
from . import permissions
from .context import DEVICE_ID_HEADER, _as_api_errors
from .context import api_customer_context as customer_context
from .errors import IdempotencyKeyInvalid, exception_handler
from .serializers import (
    BalanceSerializer,
    BindingCreateSerializer,
    BindingSerializer,
    ErrorSerializer,
    PaymentCreateSerializer,
    PaymentSerializer,
    RefundCreateSerializer,
    RefundSerializer,
    balance_data,
)

__all__ = ["BindingViewSet", "PaymentViewSet", "RefundViewSet"]

_F = TypeVar("_F", bound=Callable[..., Any])

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
#: :mod:`~django_doku_allo.checkout`, refusing a customer context with the API's errors.
_start_binding = _as_api_errors(checkout.start_binding)
_start_payment = _as_api_errors(checkout.start_payment)
#: Visible ASCII only: a key travels in a header and is compared byte for byte.
_IDEMPOTENCY_KEY_RE = re.compile(r"[!-~]{1,255}")


# --------------------------------------------------------------------------- schema helpers
def documented(**kwargs: Any) -> Callable[[_F], _F]:
    """``extend_schema`` on drf-spectacular's AutoSchema, whatever DEFAULT_SCHEMA_CLASS says.

    ``extend_schema`` derives from the DEFAULT_SCHEMA_CLASS of the moment this module
    is imported; in a project that never set it (or sets it later, as tests do) the
    operations would be built by DRF's own AutoSchema and break the schema view.
    """
    def decorator(func: _F) -> _F:
        func.schema = AutoSchema  # type: ignore[attr-defined]
        return extend_schema(**kwargs)(func)

    return decorator


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "Invalid input (`invalid`, `invalid_request`, `ipv4_required`, "
             "`device_id_required`, `invalid_device_id`, `invalid_idempotency_key`).",
        401: "Not authenticated (with an authentication class that challenges).",
        403: "Not authenticated, or not permitted.",
        404: "No such object among yours.",
        409: "Refused in the object's current state (`binding_not_active`, "
             "`not_refundable`, `order_has_live_payment`).",
        422: "Refused by DOKU (`declined`) or an idempotency key misuse.",
        429: "Throttled.",
        502: "DOKU's answer never came (`outcome_unknown`): check status, do not resend.",
        503: "DOKU could not be reached (`doku_unavailable`): nothing happened; retry later.",
    }
    always = (401, 403, 429)
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code])
            for code in sorted({*always, *codes})}


_DEVICE_ID = OpenApiParameter(
    DEVICE_ID_HEADER, str, OpenApiParameter.HEADER, pattern=r"^[A-Za-z0-9]{1,64}$",
    description="The customer's device id, sent to DOKU as X-DEVICE-ID. Defaults to the "
                "one stored with the binding.")
_DEVICE_ID_REQUIRED = OpenApiParameter(
    DEVICE_ID_HEADER, str, OpenApiParameter.HEADER, required=True,
    pattern=r"^[A-Za-z0-9]{1,64}$",
    description="The customer's device id, sent to DOKU as X-DEVICE-ID (Allo Bank "
                "requires it to link an account).")
_IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_KEY_HEADER, str, OpenApiParameter.HEADER, pattern=r"^[!-~]{1,255}$",
    description="Any unique string, e.g. a UUID, reused by every retry of one payment: a "
                "retry returns the first payment instead of charging again (with the "
                "header Idempotent-Replayed: true). The same key with a different body "
                "is refused (422, idempotency_key_reused).")


# --------------------------------------------------------------------------- base
class DokuAlloViewSet(viewsets.GenericViewSet):
    """Permissions and throttles from ``DOKU_ALLO``; errors as ``{"code", "message"}``."""

    #: Actions that also need ``API_REFUND_PERMISSION_CLASSES``.
    refund_actions: ClassVar[frozenset[str]] = frozenset()
    #: For ScopedRateThrottle: set ``DEFAULT_THROTTLE_RATES["doku_allo"]``.
    throttle_scope = "doku_allo"
    # Documented by drf-spectacular even where DEFAULT_SCHEMA_CLASS is still DRF's.
    schema = AutoSchema()

    @classmethod
    def as_view(cls, *args: Any, **kwargs: Any) -> Callable[..., Any]:  # type: ignore[override]
        # Money-moving services commit their intent before calling DOKU;
        # ATOMIC_REQUESTS would hold that commit back until the response.
        return transaction.non_atomic_requests(super().as_view(*args, **kwargs))

    def get_permissions(self) -> list[BasePermission]:
        classes = permissions.permission_classes()
        if self.action in self.refund_actions:
            classes = [*classes, *permissions.refund_permission_classes()]
        return [cls() for cls in classes]

    def get_throttles(self) -> list[BaseThrottle]:
        return [cls() for cls in permissions.throttle_classes()]

    @property  # type: ignore[override]
    def pagination_class(self) -> type[BasePagination] | None:
        """``API_PAGINATION_CLASS`` from settings, read per request (``None``: no pages)."""
        path = doku_settings.API_PAGINATION_CLASS
        return import_string(path) if path else None

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return exception_handler

    def _user_or_none(self) -> Any:
        """The authenticated user, or None (schema generation, an AllowAny setting)."""
        if getattr(self, "swagger_fake_view", False):
            return None
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


# --------------------------------------------------------------------------- bindings
class BindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DokuAlloViewSet):
    """The requesting user's Allo Bank bindings."""

    serializer_class = BindingSerializer

    def get_queryset(self) -> QuerySet[Binding]:
        user = self._user_or_none()
        if user is None:
            return Binding.objects.none()
        return Binding.objects.filter(user=user).order_by("-created_at", "-pk")

    @documented(
        summary="Start linking an Allo Bank account",
        description="Registers the binding at DOKU and returns `redirect_url`: send the "
                    "customer's browser there to confirm with OTP and PIN. The binding "
                    "becomes `active` when the customer comes back.",
        parameters=[_DEVICE_ID_REQUIRED], request=BindingCreateSerializer,
        responses={201: BindingSerializer, **_errors(400, 422, 502, 503)},
    )
    def create(self, request: Request) -> Response:
        serializer = BindingCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        start = _start_binding(
            request._request, phone_number=data["phone_number"],
            next_url=data.get("next_url", ""), device_model=data.get("device_model"),
            os_type=data.get("os_type"), channel_id=data.get("channel_id"),
        )
        return Response(BindingSerializer(start.binding).data,
                        status=status.HTTP_201_CREATED)

    @documented(summary="List your bindings", responses={200: BindingSerializer(many=True),
                                                            **_errors(400)})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @documented(summary="Retrieve one of your bindings",
                   responses={200: BindingSerializer, **_errors(404)})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @documented(
        summary="Unlink the Allo Bank account",
        description="Unbinds at DOKU. Unlinking an account that is already unlinked "
                    "succeeds again; a pending or failed binding is refused (409).",
        parameters=[_DEVICE_ID], responses={204: None, **_errors(400, 404, 409, 422, 502, 503)},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        binding = self.get_object()
        # Staff may unlink any binding they can see; a user unlinking their own is the customer.
        initiated_by = "customer" if binding.user_id == request.user.pk else "merchant"
        services.unbind(binding, initiated_by=initiated_by, customer=customer_context(
            request._request, stored_ip=binding.customer_ip, stored_device_id=binding.device_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @documented(
        summary="The linked account's balance",
        parameters=[_DEVICE_ID],
        responses={200: BalanceSerializer, **_errors(400, 404, 409, 422, 502, 503)},
    )
    @action(detail=True, methods=["get"])
    def balance(self, request: Request, pk: str | None = None) -> Response:
        binding = self.get_object()
        balance = services.balance_inquiry(binding, customer=customer_context(
            request._request, stored_ip=binding.customer_ip, stored_device_id=binding.device_id))
        return Response(BalanceSerializer(balance_data(balance)).data)


# --------------------------------------------------------------------------- payments
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DokuAlloViewSet):
    """The requesting user's payments; refunds for those allowed to make them."""

    serializer_class = PaymentSerializer
    refund_actions = frozenset({"refund"})
    #: What staff who may refund any payment may also do with any payment: follow it.
    staff_actions = frozenset({"refund", "sync", "retrieve"})

    def get_queryset(self) -> QuerySet[Payment]:
        user = self._user_or_none()
        if user is None:
            return Payment.objects.none()
        payments = Payment.objects.prefetch_related("refunds").order_by("-created_at", "-pk")
        if self.action in self.staff_actions and permissions.can_refund_any_payment(
                self.request):
            return payments
        return payments.filter(user=user)

    @documented(
        summary="Charge a linked account",
        description="Creates the payment at DOKU. `status` is then `pending`: send the "
                    "customer to `web_redirect_url` to confirm with OTP/PIN; the result "
                    "arrives by DOKU's notification (or `sync`). A refusal gives a "
                    "`failed` payment, an answer that never came an `unknown` one.",
        parameters=[_IDEMPOTENCY_KEY, _DEVICE_ID], request=PaymentCreateSerializer,
        responses={201: PaymentSerializer, **_errors(400, 409, 422)},
    )
    def create(self, request: Request) -> Response:
        key = request.headers.get(IDEMPOTENCY_KEY_HEADER, "")
        if key and not _IDEMPOTENCY_KEY_RE.fullmatch(key):
            raise IdempotencyKeyInvalid()
        serializer = PaymentCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        start = _start_payment(
            request._request, binding=data["binding"], amount=data["amount"],
            description=data["description"], order_id=data["order_id"],
            line_items=serializer.line_item_objects(),
            pay_options=serializer.pay_option_objects(),
            next_url=data.get("next_url", ""), idempotency_key=key,
        )
        headers = {} if start.created else {"Idempotent-Replayed": "true"}
        return Response(PaymentSerializer(start.payment).data, status=status.HTTP_201_CREATED,
                        headers=headers)

    @documented(summary="List your payments",
                   responses={200: PaymentSerializer(many=True), **_errors(400)})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @documented(summary="Retrieve one of your payments",
                   responses={200: PaymentSerializer, **_errors(404)})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @documented(
        summary="Refund a payment in full",
        description="Allo Bank refunds only in full. Needs API_REFUND_PERMISSION_CLASSES "
                    "(default: staff). Users with the `doku_allo.can_refund` permission "
                    "may refund any payment, others only their own. A second refund of "
                    "one payment is refused (409, not_refundable), however close together "
                    "the two requests come.",
        request=RefundCreateSerializer,
        responses={201: RefundSerializer, **_errors(400, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def refund(self, request: Request, pk: str | None = None) -> Response:
        payment = self.get_object()
        serializer = RefundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The customer's stored IP and device go to DOKU, not the (staff) caller's.
        record = services.refund(payment, reason=serializer.validated_data["reason"],
                                 requested_by=request.user)
        return Response(RefundSerializer(record).data, status=status.HTTP_201_CREATED)

    @documented(
        summary="Cancel a payment the customer has not confirmed",
        description="Asks DOKU for the status first: a payment the customer did confirm "
                    "comes back `succeeded`. Otherwise it ends `expired` (reason: canceled "
                    "by the customer) and its order is free. An ended payment is returned "
                    "unchanged.",
        request=None, responses={200: PaymentSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        payment = services.cancel_payment(self.get_object())
        return Response(PaymentSerializer(payment).data)

    @documented(
        summary="Ask DOKU for the payment's status now",
        description="Applies DOKU's answer and returns the payment. Normally DOKU's "
                    "notification does this; use it when a payment stays pending.",
        request=None, responses={200: PaymentSerializer, **_errors(404, 422, 502, 503)},
    )
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk: str | None = None) -> Response:
        payment = services.sync_payment(self.get_object())
        return Response(PaymentSerializer(payment).data)


# --------------------------------------------------------------------------- refunds
class RefundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DokuAlloViewSet):
    """Refunds of the requesting user's payments."""

    serializer_class = RefundSerializer

    def get_queryset(self) -> QuerySet[Refund]:
        user = self._user_or_none()
        if user is None:
            return Refund.objects.none()
        refunds = Refund.objects.order_by("-created_at", "-pk")
        if permissions.can_refund_any_payment(self.request):
            return refunds  # staff follow every refund they may make
        return refunds.filter(payment__user=user)

    @documented(summary="List refunds of your payments",
                   responses={200: RefundSerializer(many=True), **_errors(400)})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @documented(summary="Retrieve a refund of one of your payments",
                   responses={200: RefundSerializer, **_errors(404)})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @documented(
        summary="Ask DOKU for the refund's status now",
        description="Settles a requested or unknown refund by a status check of its "
                    "payment and returns the refund.",
        request=None, responses={200: RefundSerializer, **_errors(404, 422, 502, 503)},
    )
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk: str | None = None) -> Response:
        return Response(RefundSerializer(services.sync_refund(self.get_object())).data)
