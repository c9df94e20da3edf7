"""Balance inquiry (service 11): the bound account's balance."""

from __future__ import annotations

from decimal import Decimal

from ..models import Account
from ..pipeline import Call, Reply
from ..validation import money, require_channel

__all__ = ["balance_inquiry"]


def balance_inquiry(call: Call) -> Reply:
    require_channel(call.body)
    account = Account.objects.get(pk=call.binding.account_id)
    return Reply({"accountInfos": [{
        "balanceType": "BALANCE",
        "amount": money(account.balance),
        # The DOKU SDKs spell it flatAmount (SNAP: floatAmount). Nothing is ever on hold:
        # a debit happens in one step when the customer confirms.
        "flatAmount": money(account.balance),
        "holdAmount": money(Decimal("0")),
    }]})
