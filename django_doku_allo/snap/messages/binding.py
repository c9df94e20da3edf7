"""Account binding and unbinding: link a customer's account, and unlink it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..channels import ALLO, ChannelProfile
from .common import FromResponse, SnapResponse, first, read, require, require_http_urls, wire

__all__ = ["AccountBindingRequest", "AccountBindingResponse", "AccountUnbindingResponse"]

_PHONE_RE = re.compile(r"62[0-9]{7,14}")
_DATE_RE = re.compile(r"[0-9]{8}")


@dataclass(frozen=True)
class AccountBindingRequest:
    phone_no: str
    cust_id_merchant: str
    success_registration_url: str
    failed_registration_url: str
    device_model: str = "web"
    os_type: str = "android"
    channel_id: str = "web"
    customer_name: str | None = None
    email: str | None = None
    id_card: str | None = None
    country: str | None = None
    address: str | None = None
    date_of_birth: str | None = None
    #: The channel whose rules this request is checked against.
    profile: ChannelProfile = field(default=ALLO, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        require(isinstance(self.phone_no, str) and bool(_PHONE_RE.fullmatch(self.phone_no)),
                "phoneNo must be 9 to 16 digits starting with 62", "phone_no")
        require(0 < len(self.cust_id_merchant or "") <= 64,
                "custIdMerchant must be 1 to 64 characters", "cust_id_merchant")
        require_http_urls(self, "success_registration_url", "failed_registration_url")
        require(self.os_type.lower() in {"ios", "android"}, "osType must be ios or android",
                "os_type")
        require(self.channel_id.lower() in {"app", "web"}, "channelId must be app or web",
                "channel_id")
        if self.profile.requires_device_model:
            require(bool(self.device_model),
                    f"deviceModel is required for {self.profile.display_name}", "device_model")
        if self.customer_name is not None:
            require(len(self.customer_name) <= 70, "customerName is at most 70 characters",
                    "customer_name")
        if self.date_of_birth is not None:
            require(bool(_DATE_RE.fullmatch(self.date_of_birth)),
                    "dateOfBirth must be yyyyMMdd", "date_of_birth")

    def to_body(self, channel: str) -> dict[str, Any]:
        info: dict[str, Any] = {"channel": channel, "custIdMerchant": self.cust_id_merchant}
        optional = {
            "customerName": self.customer_name, "email": self.email, "idCard": self.id_card,
            "country": self.country, "address": self.address, "dateOfBirth": self.date_of_birth,
        }
        info.update({k: v for k, v in optional.items() if v is not None})
        info.update({
            "successRegistrationUrl": self.success_registration_url,
            "failedRegistrationUrl": self.failed_registration_url,
            "deviceModel": self.device_model,
            "osType": self.os_type.lower(),
            "channelId": self.channel_id.lower(),
        })
        return {"phoneNo": self.phone_no, "additionalInfo": info}


@dataclass(frozen=True)
class AccountBindingResponse(FromResponse):
    reference_no: str | None = field(metadata=wire("referenceNo"))
    redirect_url: str | None = field(metadata=wire("redirectUrl"))
    auth_code: str | None = field(repr=False, metadata=wire("authCode", info=True))
    # The SDKs disagree on the key; DOKU's simulator-checked pages show both.
    account_status: str | None = field(metadata=wire(
        reader=first(read("accountStatus", info=True), read("status", info=True))))
    response: SnapResponse


@dataclass(frozen=True)
class AccountUnbindingResponse(FromResponse):
    reference_no: str | None = field(metadata=wire("referenceNo"))
    response: SnapResponse
