"""Channel profiles: everything that belongs to one direct debit channel, in one place.

The SNAP layer itself is channel-neutral: signing, codes, transport and the
message shapes are the same for every bank DOKU fronts. What differs per channel
(the ``additionalInfo.channel`` id, field limits, device rules, the merchant
hints for its refusals, its path presets, how our references look) lives in a
:class:`ChannelProfile`. Adding a second channel means one new profile instance.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from . import codes
from .errors import InvalidRequestError
from .paths import Paths

__all__ = ["ALLO", "ChannelProfile"]

#: SNAP's String(64) for partnerReferenceNo and partnerRefundNo.
_SNAP_REFERENCE_MAX = 64


_V = TypeVar("_V")


def _frozen(mapping: Mapping[str, _V]) -> Mapping[str, _V]:
    """A read-only copy, so a profile cannot be changed through a dict it was given."""
    return MappingProxyType(dict(mapping))


# eq=False: a profile is a singleton per channel, so identity is the right equality, and
# it keeps the profile hashable (mapping fields are not) inside a frozen SnapConfig.
@dataclass(frozen=True, eq=False, kw_only=True)
class ChannelProfile:
    """What one direct debit channel requires on top of SNAP itself."""

    #: ``additionalInfo.channel`` of every call on this channel.
    channel: str
    #: The bank's name as customers and merchants know it; used in messages.
    display_name: str
    #: partnerReferenceNo we mint = prefix + hex of this many random bytes.
    partner_reference_prefix: str
    partner_reference_random_bytes: int
    #: partnerRefundNo we mint = prefix + hex of this many random bytes.
    partner_refund_prefix: str
    partner_refund_random_bytes: int
    #: The channel's bounds on partnerRefundNo (SNAP alone allows 1 to 64).
    partner_refund_no_min_length: int
    partner_refund_no_max_length: int = _SNAP_REFERENCE_MAX
    #: ``additionalInfo.remarks`` of a payment; callers cut descriptions to this.
    remarks_max_length: int
    #: Callers cut the name of a default line item to this.
    line_item_name_max_length: int
    #: The binding's ``additionalInfo.deviceModel`` must not be empty.
    requires_device_model: bool
    #: A payment must list at least one line item.
    requires_line_items: bool
    #: An account binding must carry the customer's X-DEVICE-ID.
    binding_requires_device_id: bool
    #: DOKU_ALLO['PATH_PRESET'] name -> paths; "current" is the default.
    path_presets: Mapping[str, Paths] = field(
        default_factory=lambda: _frozen({"current": Paths()}))
    #: responseCode -> what the merchant should do next, for this channel's refusals.
    hints: Mapping[str, str] = field(default_factory=lambda: _frozen({}))

    def __post_init__(self) -> None:
        # A profile that mints references its own rules refuse would fail every refund
        # at the first request: catch it when the profile is defined instead.
        refund_length = len(self.partner_refund_prefix) + 2 * self.partner_refund_random_bytes
        if not (self.partner_refund_no_min_length <= refund_length
                <= self.partner_refund_no_max_length):
            raise ValueError(f"{self.display_name}: minted partnerRefundNo would be "
                             f"{refund_length} characters, outside its own bounds")
        reference_length = (len(self.partner_reference_prefix)
                            + 2 * self.partner_reference_random_bytes)
        if not 0 < reference_length <= _SNAP_REFERENCE_MAX:
            raise ValueError(f"{self.display_name}: minted partnerReferenceNo would be "
                             f"{reference_length} characters (SNAP allows 1 to 64)")
        if "current" not in self.path_presets:
            raise ValueError(f"{self.display_name}: path_presets needs a 'current' preset")
        object.__setattr__(self, "path_presets", _frozen(self.path_presets))
        object.__setattr__(self, "hints", _frozen(self.hints))

    def new_partner_reference_no(self) -> str:
        """A fresh, unguessable partnerReferenceNo (``secrets``; uppercase hex)."""
        return (self.partner_reference_prefix
                + secrets.token_hex(self.partner_reference_random_bytes).upper())

    def new_partner_refund_no(self) -> str:
        """A fresh, unguessable partnerRefundNo within this channel's length bounds."""
        return (self.partner_refund_prefix
                + secrets.token_hex(self.partner_refund_random_bytes).upper())

    def check_binding_customer(self, device_id: str | None) -> None:
        """Refuse, before anything is stored or sent, a binding this channel cannot take."""
        if self.binding_requires_device_id and not device_id:
            raise InvalidRequestError(f"{self.display_name} binding requires the customer's "
                                      "device id (X-DEVICE-ID).", field="device_id")

    def hint(self, code: str | None) -> str | None:
        """What to do next after ``code`` on this channel, if the profile knows."""
        return self.hints.get(code) if code else None


#: Allo Bank direct debit (DOKU's DIRECT_DEBIT_ALLO_SNAP), the channel this app serves.
ALLO = ChannelProfile(
    channel="DIRECT_DEBIT_ALLO_SNAP",
    display_name="Allo Bank",
    # 4 + 28 = 32 characters.
    partner_reference_prefix="ALLO",
    partner_reference_random_bytes=14,
    # 4 + 36 = 40 characters: within Allo Bank's 32 to 64.
    partner_refund_prefix="RFND",
    partner_refund_random_bytes=18,
    partner_refund_no_min_length=32,
    remarks_max_length=40,
    line_item_name_max_length=32,
    requires_device_model=True,
    requires_line_items=True,
    binding_requires_device_id=True,
    path_presets={
        "current": Paths(),
        # The seed's /direct-debit/merchant/allo/v1.0/... paths from DOKU's archived
        # Allobank page.
        "archive": Paths(
            account_binding="/direct-debit/merchant/allo/v1.0/registration-account-binding",
            balance_inquiry="/direct-debit/merchant/allo/v1.0/balance-inquiry",
            payment="/direct-debit/merchant/allo/v1.0/payment-host-to-host",
            refund="/direct-debit/merchant/allo/v1.0/debit/refund",
            account_unbinding="/direct-debit/allo/v1.0/registration-account-unbinding",
        ),
    },
    hints={
        codes.B2B2C_TOKEN_UNAUTHORIZED: "The customer's Allo Bank binding is no longer valid; "
                                        "ask them to link the account again.",
        codes.PAYMENT_INSUFFICIENT_FUNDS: "The customer's Allo Bank balance is too low; ask "
                                          "them to top up.",
        codes.PAYMENT_EXCEEDS_TRANSACTION_LIMIT: "The amount exceeds the customer's "
                                                 "transaction limit.",
        codes.PAYMENT_INVALID_AMOUNT: "Allo Bank refunds must be for the full paid amount.",
    },
)
