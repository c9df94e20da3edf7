"""The control API: faults and state over HTTP, for a test driving the simulator from
another process. JSON in and out, CSRF-exempt, 404 unless ``ENABLE_CONTROL_API``.

==========================================  ======  =============================================
path (under ``<prefix>/_control/``)         method  does
==========================================  ======  =============================================
``state``                                   GET     counts of accounts, bindings, payments, ...
``state/reset``                             POST    forget all simulator data and faults
``faults``                                  GET     the faults in force
``faults``                                  POST    add one: ``{"kind": "latency", "operation",
                                                    "seconds", "times"}``, ``{"kind": "error",
                                                    "operation", "code", "times", "message"}``,
                                                    ``{"kind": "drop", "operation", "times",
                                                    "mode", "delay"}``, ``{"kind": "duplicate",
                                                    "copies", "times"}``, ``{"kind": "reorder",
                                                    "stale_status", "times"}``
``faults/reset``                            POST    remove every fault
``accounts/<phone>``                        GET     ``{"phoneNo", "balance"}``
``accounts/<phone>``                        POST    ``{"balance": "100.00"}`` sets the balance
``bindings/<authCode or referenceNo>``      GET     ``{"referenceNo", "status"}``
``bindings/<ref>/complete``                 POST    OTP then PIN (``{"otp", "pin"}`` optional)
``bindings/<ref>/cancel``                   POST    the customer cancels
``payments/<ref>``                          GET     status, amount and notifications
``payments/<ref>/confirm``                  POST    OTP then PIN (``{"otp", "pin"}`` optional)
``payments/<ref>/cancel``                   POST    the customer cancels (``05``)
``payments/<ref>/resend-notification``      POST    re-send the latest notification now
``notifications``                           GET     all notifications (``?payment=<ref>``)
``notifications/deliver``                   POST    make the attempts due now (manual mode)
==========================================  ======  =============================================
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import customer, faults, state
from .accounts import get_or_create_account, set_balance
from .conf import get_settings
from .models import Binding, Payment
from .notifications import deliver_due_notifications, find_payment, resend_notification
from .responses import json_response

__all__ = [
    "account",
    "binding",
    "binding_action",
    "deliver",
    "fault_list",
    "faults_reset",
    "notification_list",
    "payment",
    "payment_action",
    "reset",
    "state_view",
]

View = Callable[..., HttpResponse]


class _BadInput(Exception):
    pass


def _control(view: View) -> View:
    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not get_settings().enable_control_api:
            raise Http404(gettext("the control API is disabled (ENABLE_CONTROL_API)"))
        try:
            return view(request, *args, **kwargs)
        except (_BadInput, ValueError, TypeError, KeyError) as exc:
            return json_response({"error": str(exc)}, status=400)
        except (Binding.DoesNotExist, Payment.DoesNotExist, LookupError) as exc:
            return json_response({"error": str(exc) or gettext("not found")}, status=404)

    return wrapped


def _json(request: HttpRequest) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except ValueError:
        raise _BadInput(gettext("the body is not JSON")) from None
    if not isinstance(data, dict):
        raise _BadInput(gettext("the body must be a JSON object"))
    return data


def _ok(data: dict[str, Any] | None = None) -> HttpResponse:
    return json_response({"ok": True, **(data or {})}, status=200)


@_control
@require_GET
def state_view(request: HttpRequest) -> HttpResponse:
    return _ok(state.snapshot())


@_control
@require_POST
def reset(request: HttpRequest) -> HttpResponse:
    faults.reset()
    state.clear()
    return _ok()


_FAULT_SETTERS: dict[str, Callable[..., None]] = {
    "latency": faults.add_latency,
    "error": faults.force_error,
    "drop": faults.drop_response,
    "duplicate": faults.duplicate_notifications,
    "reorder": faults.reorder_notifications,
}


@_control
@require_http_methods(["GET", "POST"])
def fault_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        data = _json(request)
        setter = _FAULT_SETTERS.get(str(data.pop("kind", "")))
        if setter is None:
            raise _BadInput(gettext("kind must be one of %(kinds)s")
                            % {"kinds": ", ".join(_FAULT_SETTERS)})
        setter(**data)
    return _ok({"faults": faults.active()})


@_control
@require_POST
def faults_reset(request: HttpRequest) -> HttpResponse:
    faults.reset()
    return _ok()


@_control
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest, phone_no: str) -> HttpResponse:
    if request.method == "POST":
        try:
            found = set_balance(phone_no, Decimal(str(_json(request)["balance"])))
        except InvalidOperation:
            raise _BadInput(gettext("balance must be a decimal string")) from None
    else:
        found = get_or_create_account(phone_no)
    return _ok({"phoneNo": found.phone_no, "balance": f"{found.balance:.2f}"})


@_control
@require_GET
def binding(request: HttpRequest, reference: str) -> HttpResponse:
    found = customer.find_binding(reference)
    return _ok({"referenceNo": found.reference_no, "status": found.status,
                "custIdMerchant": found.cust_id_merchant})


@_control
@require_POST
def binding_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    if action == "complete":
        data = _json(request)
        result = customer.complete_binding(reference, **_codes(data))
    else:
        result = customer.cancel_binding(reference)
    return _ok({"result": asdict(result)})


def _codes(data: dict[str, Any]) -> dict[str, str]:
    return {k: str(data[k]) for k in ("otp", "pin") if k in data}


@_control
@require_GET
def payment(request: HttpRequest, reference: str) -> HttpResponse:
    found = find_payment(reference)
    return _ok({
        "referenceNo": found.reference_no,
        "partnerReferenceNo": found.partner_reference_no,
        "status": found.status,
        "amount": f"{found.amount:.2f}",
        "notifications": state.notifications(found.reference_no),
    })


@_control
@require_POST
def payment_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    reference_no = find_payment(reference).reference_no
    if action == "resend":
        return _ok({"delivered": resend_notification(reference_no)})
    if action == "confirm":
        result = customer.confirm_payment(reference_no, **_codes(_json(request)))
    else:
        result = customer.cancel_payment(reference_no)
    return _ok({"result": asdict(result)})


@_control
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    return _ok({"notifications": state.notifications(request.GET.get("payment") or None)})


@_control
@require_POST
def deliver(request: HttpRequest) -> HttpResponse:
    return _ok({"attempts": deliver_due_notifications()})
