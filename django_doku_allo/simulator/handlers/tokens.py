"""B2B (service 73) and B2B2C (service 74) access tokens."""

from __future__ import annotations

from django_doku_allo.snap.signing import snap_timestamp

from .. import codes
from ..codes import SnapError
from ..models import Binding, IssuedToken
from ..pipeline import Call, Reply
from ..tokens import digest, find_token, issue_token
from ..validation import require_str

__all__ = ["token_b2b", "token_b2b2c"]


def token_b2b(call: Call) -> Reply:
    grant_type = require_str(call.body, "grantType")
    if grant_type != "client_credentials":
        raise codes.invalid_format("grantType")
    # DOKU's SDKs send additionalInfo absent, "", [] or {}: all evidently accepted.
    info = call.body.get("additionalInfo")
    if info not in (None, "", []) and not isinstance(info, dict):
        raise codes.invalid_format("additionalInfo")
    lifetime = call.conf.b2b_token_lifetime
    token, _ = issue_token(IssuedToken.Kind.B2B, call.conf.client_id, lifetime)
    return Reply({"accessToken": token, "tokenType": "Bearer", "expiresIn": lifetime,
                  "additionalInfo": {}})


def _refused(reason: str) -> SnapError:
    # 4017400 is how a merchant learns a binding is not (or no longer) usable.
    return codes.unauthorized(reason)


def _binding_for_auth_code(call: Call) -> Binding:
    auth_code = require_str(call.body, "authCode", max_len=256)
    binding = (Binding.objects.select_related("account")
               .filter(auth_code_hash=digest(auth_code), client_id=call.conf.client_id).first())
    if binding is None:
        raise _refused("Unknown authCode")
    if binding.status == Binding.Status.PENDING:
        raise _refused("The customer has not completed the binding (OTP and PIN)")
    if binding.status != Binding.Status.ACTIVE:
        raise _refused(f"The binding is {binding.status.lower()}")
    return binding


def token_b2b2c(call: Call) -> Reply:
    grant_type = require_str(call.body, "grantType").lower()
    conf = call.conf
    if grant_type == "authorization_code":
        binding = _binding_for_auth_code(call)
        # The authCode stays exchangeable while the binding is active (the pattern of
        # production merchants that re-exchange it before every operation).
        refresh, refresh_expiry = issue_token(IssuedToken.Kind.REFRESH, conf.client_id,
                                              conf.refresh_token_lifetime, binding)
    elif grant_type == "refresh_token":
        refresh = require_str(call.body, "refreshToken", max_len=2048)
        record = find_token(refresh, IssuedToken.Kind.REFRESH, conf.client_id)
        if record is None or record.binding is None:
            raise _refused("Invalid refreshToken")
        binding = record.binding
        if binding.status != Binding.Status.ACTIVE:
            raise _refused(f"The binding is {binding.status.lower()}")
        # No rotation: a retried refresh after a lost answer must still work.
        refresh_expiry = record.expires_at
    else:
        raise codes.invalid_format("grantType")
    access, access_expiry = issue_token(IssuedToken.Kind.B2B2C, conf.client_id,
                                        conf.b2b2c_token_lifetime, binding)
    return Reply({
        "accessToken": access,
        "tokenType": "Bearer",
        "accessTokenExpiryTime": snap_timestamp(access_expiry),
        "refreshToken": refresh,
        "refreshTokenExpiryTime": snap_timestamp(refresh_expiry),
        "additionalInfo": {},
    })
