"""Payment host-to-host (service 54): creates a debit the customer confirms on a page."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse

from .. import codes, ledger
from ..codes import SnapError
from ..models import Account, Payment
from ..pipeline import Call, Reply
from ..tokens import new_reference_no
from ..validation import (
    fingerprint,
    require_amount,
    require_channel,
    require_list,
    require_str,
    require_url,
)

__all__ = ["payment_host_to_host"]

_PRICE_RE = re.compile(r"^\d{1,16}(\.\d{1,2})?$")
_QUANTITY_RE = re.compile(r"^[1-9]\d{0,8}$")


def _invalid_amount(detail: str) -> SnapError:
    return SnapError(404, "13", f"Invalid Amount. {detail}")


def _line_items(info: dict[str, Any]) -> tuple[list[dict[str, Any]], Decimal]:
    """The validated lineItems and their total (price x quantity)."""
    items = require_list(info, "additionalInfo.lineItems")
    total = Decimal("0")
    for index, item in enumerate(items):
        path = f"additionalInfo.lineItems[{index}]"
        if not isinstance(item, dict):
            raise codes.invalid_format(path)
        require_str(item, f"{path}.name", max_len=255)
        price = require_str(item, f"{path}.price", pattern=_PRICE_RE)
        quantity = item.get("quantity")
        if quantity is None or quantity == "":
            raise codes.missing_field(f"{path}.quantity")
        if isinstance(quantity, bool) or not _QUANTITY_RE.match(str(quantity)):
            raise codes.invalid_format(f"{path}.quantity")
        total += Decimal(price) * int(str(quantity))
    return items, total


def _pay_options_total(body: dict[str, Any]) -> Decimal | None:
    """Sum of payOptionDetails[].transAmount, or None when none are sent (optional)."""
    options = body.get("payOptionDetails")
    if options is None:
        return None
    options = require_list(body, "payOptionDetails")
    total = Decimal("0")
    for index, option in enumerate(options):
        path = f"payOptionDetails[{index}]"
        if not isinstance(option, dict):
            raise codes.invalid_format(path)
        require_str(option, f"{path}.payMethod", max_len=32)
        total += require_amount(option, f"{path}.transAmount")
        if option.get("feeAmount") is not None:
            require_amount(option, f"{path}.feeAmount")
    return total


def _existing(call: Call, partner_reference_no: str, key: str) -> None:
    existing = Payment.objects.filter(client_id=call.conf.client_id,
                                      partner_reference_no=partner_reference_no).first()
    if existing is None:
        return
    if existing.fingerprint == key:
        raise SnapError(409, "01", "Duplicate partnerReferenceNo")
    raise SnapError(404, "18", "Inconsistent Request")


def payment_host_to_host(call: Call) -> Reply:
    body, conf = call.body, call.conf
    partner_reference_no = require_str(body, "partnerReferenceNo", max_len=64)
    amount = require_amount(body, "amount")
    info = require_channel(body)
    remarks = require_str(info, "additionalInfo.remarks", max_len=40)
    success_url = require_url(info, "additionalInfo.successPaymentUrl")
    failed_url = require_url(info, "additionalInfo.failedPaymentUrl")
    items, items_total = _line_items(info)
    options_total = _pay_options_total(body)
    if amount <= 0:
        raise _invalid_amount("The amount must be above zero")
    if conf.strict and options_total is not None and options_total != amount:
        raise _invalid_amount("payOptionDetails transAmount must equal amount")
    if conf.strict and items_total != amount:
        raise _invalid_amount("The line items must add up to amount")

    binding = call.binding
    key = fingerprint(binding.pk, body)
    _existing(call, partner_reference_no, key)
    account = Account.objects.select_for_update().get(pk=binding.account_id)
    if account.balance < amount:
        raise SnapError(403, "14", "Insufficient Funds")
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                reference_no=new_reference_no(), client_id=conf.client_id,
                partner_reference_no=partner_reference_no, external_id=call.external_id,
                fingerprint=key, binding=binding, account=account, amount=amount,
                remarks=remarks, line_items=items, success_url=success_url,
                failed_url=failed_url, ip_address=call.ip_address, device_id=call.device_id,
                merchant_base_url=call.request.build_absolute_uri("/").rstrip("/"),
                request_body=body,
            )
    except IntegrityError:
        # A concurrent twin with the same partnerReferenceNo won the race.
        _existing(call, partner_reference_no, key)
        raise
    if account.behaviour == Account.Behaviour.BANK_TIMEOUT:
        # The bank debits, then its answer never reaches DOKU: the merchant sees a timeout
        # although the money moved; only check status (or the notification) tells.
        ledger.settle_payment(payment)
        return Reply(status=504, case="00", message="Timeout")
    if call.settle_now:
        ledger.settle_payment(payment)
    page = reverse("doku_allo_simulator:payment-page", args=[payment.reference_no])
    return Reply({
        "referenceNo": payment.reference_no,
        "partnerReferenceNo": partner_reference_no,
        "webRedirectUrl": call.request.build_absolute_uri(page),
    })
