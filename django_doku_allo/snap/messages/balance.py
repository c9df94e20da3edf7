"""Balance inquiry: the bound account's balance."""

from __future__ import annotations

from dataclasses import dataclass, field

from .common import FromMapping, FromResponse, Money, SnapResponse, each, parse_amount, wire

__all__ = ["AccountBalance", "BalanceInquiryResponse"]


@dataclass(frozen=True)
class AccountBalance(FromMapping):
    balance_type: str | None = field(metadata=wire("balanceType"))
    amount: Money | None = field(metadata=wire("amount", parse=parse_amount))
    # DOKU's SDKs say flatAmount, SNAP says floatAmount: read either.
    flat_amount: Money | None = field(
        metadata=wire("flatAmount", "floatAmount", parse=parse_amount))
    hold_amount: Money | None = field(metadata=wire("holdAmount", parse=parse_amount))


@dataclass(frozen=True)
class BalanceInquiryResponse(FromResponse):
    accounts: tuple[AccountBalance, ...] = field(
        metadata=wire("accountInfos", parse=each(AccountBalance)))
    response: SnapResponse

    @property
    def available(self) -> Money | None:
        """The first account's amount: the channel answers with one balance (Allo Bank does)."""
        return self.accounts[0].amount if self.accounts else None
