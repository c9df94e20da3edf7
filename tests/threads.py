"""Moved to :mod:`tests.support.threads`; kept for the modules not yet switched."""

from tests.support.threads import run_together

__all__ = ["run_together"]
