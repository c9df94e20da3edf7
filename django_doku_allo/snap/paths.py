"""Request paths of the SNAP operations, without host.

Its own module so that :mod:`.channels` (a channel's path presets) and
:mod:`.config` (the paths a client uses) can both import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from .errors import ConfigurationError

__all__ = ["Paths"]


@dataclass(frozen=True)
class Paths:
    """Request path of each operation, without host. The signed path is base path + this."""

    b2b_token: str = "/authorization/v1/access-token/b2b"
    b2b2c_token: str = "/authorization/v1/access-token/b2b2c"
    account_binding: str = "/direct-debit/core/v1/registration-account-binding"
    balance_inquiry: str = "/direct-debit/core/v1/balance-inquiry"
    payment: str = "/direct-debit/core/v1/debit/payment-host-to-host"
    refund: str = "/direct-debit/core/v1/debit/refund"
    check_status: str = "/orders/v1.0/debit/status"
    account_unbinding: str = "/direct-debit/core/v1/registration-account-unbinding"

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def with_overrides(self, overrides: dict[str, str]) -> Paths:
        unknown = set(overrides) - set(self.names())
        if unknown:
            raise ConfigurationError(
                f"Unknown operation(s) in DOKU_ALLO['PATHS']: {', '.join(sorted(unknown))}. "
                f"Known: {', '.join(self.names())}."
            )
        for name, value in overrides.items():
            if not isinstance(value, str) or not value.startswith("/"):
                raise ConfigurationError(
                    f"DOKU_ALLO['PATHS'][{name!r}] must be a path starting with '/', "
                    f"got {value!r}.")
        return replace(self, **overrides)
