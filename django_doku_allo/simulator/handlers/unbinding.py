"""Account unbinding (service 09): ends a binding and everything it authorised."""

from __future__ import annotations

from django.utils import timezone

from ..codes import SnapError
from ..models import Binding, IssuedToken
from ..pipeline import Call, Reply
from ..tokens import find_token, new_reference_no, revoke_binding_tokens
from ..validation import require_channel, require_str

__all__ = ["account_unbinding"]


def account_unbinding(call: Call) -> Reply:
    token_id = require_str(call.body, "tokenId", max_len=2048)
    require_channel(call.body)
    record = find_token(token_id, IssuedToken.Kind.B2B2C, call.conf.client_id)
    if record is None or record.binding is None:
        raise SnapError(401, "02", "Invalid Customer Token")
    binding = Binding.objects.select_for_update().get(pk=record.binding.pk)
    if binding.status != Binding.Status.ACTIVE:
        raise SnapError(401, "02", "Invalid Customer Token")
    # The authCode dies with the binding: the B2B2C endpoint refuses it (4017400) from now.
    binding.status = Binding.Status.UNBOUND
    binding.ended_at = timezone.now()
    binding.save(update_fields=["status", "ended_at"])
    revoke_binding_tokens(binding)
    return Reply({"referenceNo": new_reference_no()})
