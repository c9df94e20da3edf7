"""DOKU's official Python SDK (doku-python-library 1.1.72), loaded one way for every test.

Shared by the signing tests, the simulator compatibility test and the client
benchmark. ``set_attr`` and ``set_module`` default to plain assignment; a test
passes ``monkeypatch.setattr`` and ``monkeypatch.setitem`` so everything is undone
afterwards.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Callable
from typing import Any

__all__ = ["SdkSigner", "installed", "load_sdk", "models", "symmetric_signer"]

#: Imported at module level by the SDK but not declared as its dependencies (reference
#: section 11, defects 14 and 16): Flask (merchant-side notification helpers), xmltodict
#: (VA), pycryptodome (card encryption). None is used on the direct debit paths, so
#: stand-ins suffice when they are missing.
UNDECLARED_IMPORTS: dict[str, dict[str, Any]] = {
    "flask": {"request": None},
    "xmltodict": {"parse": None},
    "Crypto": {},
    "Crypto.Cipher": {"AES": None},
}

#: Every Config path the SDK both requests and signs.
SDK_PATHS = (
    "ACCESS_TOKEN", "ACCESS_TOKEN_B2B2C", "DIRECT_DEBIT_ACCOUNT_BINDING_URL",
    "DIRECT_DEBIT_PAYMENT_URL", "DIRECT_DEBIT_BALANCE_INQUIRY_URL",
    "DIRECT_DEBIT_ACCOUNT_UNBINDING_URL", "DIRECT_DEBIT_REFUND", "DIRECT_DEBIT_CHECK_STATUS",
)

SetAttr = Callable[[Any, str, Any], Any]
SetModule = Callable[[dict[str, Any], str, Any], Any]
#: ``TokenService.generate_symmetric_signature(method, path, token, body, timestamp, secret)``
SdkSigner = Callable[[str, str, str, dict[str, Any], str, str], str]

_SDK = "doku_python_library.src."


def _set_module(modules: dict[str, Any], name: str, module: Any) -> None:
    modules[name] = module


def installed() -> bool:
    """Whether the SDK (a dev dependency) is installed."""
    return importlib.util.find_spec("doku_python_library") is not None


def import_sdk_module(name: str, *, set_module: SetModule = _set_module) -> types.ModuleType:
    """``doku_python_library.src.<name>``, with stand-ins for the undeclared imports."""
    for missing, attributes in UNDECLARED_IMPORTS.items():
        try:
            importlib.import_module(missing)
        except ImportError:
            stand_in = types.ModuleType(missing)
            for attribute, value in attributes.items():
                setattr(stand_in, attribute, value)
            set_module(sys.modules, missing, stand_in)
    return importlib.import_module(_SDK + name)


def load_sdk(site_url: str, prefix: str, *, set_attr: SetAttr = setattr,
             set_module: SetModule = _set_module) -> types.ModuleType:
    """The SDK's ``snap`` module, requesting ``site_url + prefix + <path>``.

    The SDK signs ``Config.<PATH>`` and requests ``BASE_URL + Config.<PATH>``; the
    simulator verifies the path actually requested (mount prefix included), so the
    prefix goes on the paths, not on the base URL: then what is signed is what is
    requested.
    """
    config = import_sdk_module("commons.config", set_module=set_module)
    set_attr(config._Development, "BASE_URL", site_url)
    for name in SDK_PATHS:
        set_attr(config.Config, name, prefix + getattr(config.Config, name))
    return import_sdk_module("snap", set_module=set_module)


def symmetric_signer(*, set_module: SetModule = _set_module) -> SdkSigner | None:
    """The SDK's own symmetric signature function, or ``None`` when it is not installed."""
    if not installed():
        return None
    service = import_sdk_module("services.token_service", set_module=set_module)
    return service.TokenService.generate_symmetric_signature  # type: ignore[no-any-return]


#: The direct debit request models the tests use: short name -> (module, class).
_MODELS = {
    "BindingRequest": ("direct_debit.account_binding_request", "AccountBindingRequest"),
    "BindingInfo": ("direct_debit.account_binding_additional_info_request",
                    "AccountBindingAdditionalInfoRequest"),
    "BalanceRequest": ("direct_debit.balance_inquiry_request", "BalanceInquiryRequest"),
    "BalanceInfo": ("direct_debit.balance_inquiry_additional_info",
                    "BalanceInquiryAdditionalInfo"),
    "PaymentRequest": ("direct_debit.payment_request", "PaymentRequest"),
    "PaymentInfo": ("direct_debit.payment_additional_info_request",
                    "PaymentAdditionalInfoRequest"),
    "StatusRequest": ("direct_debit.check_status_request", "CheckStatusRequest"),
    "StatusInfo": ("direct_debit.check_status_additional_info_request",
                   "CheckStatusAdditionalInfoRequest"),
    "RefundRequest": ("direct_debit.refund_request", "RefundRequest"),
    "RefundInfo": ("direct_debit.refund_additional_info", "RefundAdditionalInfo"),
    "UnbindingRequest": ("direct_debit.account_unbinding_request", "AccountUnbindingRequest"),
    "UnbindingInfo": ("direct_debit.account_unbinding_additional_info_request",
                      "AccountUnbindingAdditionalInfoRequest"),
    "Amount": ("va.total_amount", "TotalAmount"),
}


def models() -> types.SimpleNamespace:
    """The SDK's direct debit request model classes, by short names (load the SDK first)."""
    return types.SimpleNamespace(**{
        short: getattr(importlib.import_module(f"{_SDK}model.{module}"), name)
        for short, (module, name) in _MODELS.items()})
