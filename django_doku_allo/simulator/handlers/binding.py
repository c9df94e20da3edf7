"""Account binding (service 07): starts a binding the customer confirms on the OTP/PIN page."""

from __future__ import annotations

import re

from django.urls import reverse

from .. import codes
from ..accounts import get_or_create_account
from ..codes import SnapError
from ..models import Binding
from ..pipeline import Call, Reply
from ..tokens import digest, new_auth_code, new_reference_no
from ..validation import optional_str, require_channel, require_str, require_url

__all__ = ["PHONE_RE", "account_binding"]

PHONE_RE = re.compile(r"^62\d{7,14}$")
_DATE_RE = re.compile(r"^\d{8}$")


def _validate_customer_fields(info: dict[str, object]) -> None:
    """Optional profile fields: checked only when sent non-null (the SDK sends nulls)."""
    optional_str(info, "additionalInfo.customerName", max_len=70)
    optional_str(info, "additionalInfo.email", max_len=64)
    optional_str(info, "additionalInfo.idCard", max_len=20)
    optional_str(info, "additionalInfo.country", max_len=60)
    optional_str(info, "additionalInfo.address", max_len=255)
    optional_str(info, "additionalInfo.dateOfBirth", pattern=_DATE_RE)


def _validate_device_fields(info: dict[str, object]) -> None:
    """deviceModel, osType and channelId are mandatory for Allo."""
    require_str(info, "additionalInfo.deviceModel", max_len=64)
    if require_str(info, "additionalInfo.osType").lower() not in ("ios", "android"):
        raise codes.invalid_format("additionalInfo.osType")
    if require_str(info, "additionalInfo.channelId").lower() not in ("app", "web"):
        raise codes.invalid_format("additionalInfo.channelId")


def account_binding(call: Call) -> Reply:
    body = call.body
    phone_no = require_str(body, "phoneNo", pattern=PHONE_RE)
    info = require_channel(body)
    cust_id = require_str(info, "additionalInfo.custIdMerchant", max_len=64)
    success_url = require_url(info, "additionalInfo.successRegistrationUrl")
    failed_url = require_url(info, "additionalInfo.failedRegistrationUrl")
    _validate_device_fields(info)
    _validate_customer_fields(info)

    account = get_or_create_account(phone_no)
    taken = (Binding.objects.filter(client_id=call.conf.client_id, account=account,
                                    status=Binding.Status.ACTIVE)
             .exclude(cust_id_merchant=cust_id).exists())
    if taken:
        # One Allo account binds to one customer per merchant. SNAP has no exact case for
        # this; 409xx01 "duplicate" is the nearest, and tells the merchant nothing moved.
        raise SnapError(409, "01", "Conflict. The Allo account is already bound to another "
                                   "customer of this merchant")
    auth_code = new_auth_code()
    binding = Binding.objects.create(
        reference_no=new_reference_no(), client_id=call.conf.client_id, account=account,
        cust_id_merchant=cust_id, auth_code_hash=digest(auth_code), success_url=success_url,
        failed_url=failed_url, device_id=call.device_id, ip_address=call.ip_address,
        request_body=body,
    )
    page = reverse("doku_allo_simulator:binding-page", args=[binding.reference_no])
    return Reply({
        "referenceNo": binding.reference_no,
        "redirectUrl": call.request.build_absolute_uri(page),
        "additionalInfo": {
            "custIdMerchant": cust_id,
            # Java/PHP SDKs read accountStatus, Python/Go read status: send both.
            "accountStatus": "PENDING",
            "status": "PENDING",
            "authCode": auth_code,
        },
    })
