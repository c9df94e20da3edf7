"""Moved to :mod:`tests.support.fake_client`; kept for the modules not yet switched.

``install(monkeypatch)`` keeps its old signature for ``tests/test_admin.py``; new code
uses the ``fake_client`` fixture (or ``tests.support.fake_client.install(settings)``).
"""

from __future__ import annotations

import pytest
from django.conf import settings

from django_doku_allo import conf
from tests.support.fake_client import (
    AUTH_CODE,
    PAY_URL,
    REDIRECT_URL,
    Call,
    FakeAlloClient,
    declined,
    outcome_unknown,
    unreachable,
)

__all__ = ["AUTH_CODE", "PAY_URL", "REDIRECT_URL", "Call", "FakeAlloClient", "declined",
           "install", "outcome_unknown", "unreachable"]


def install(monkeypatch: pytest.MonkeyPatch) -> FakeAlloClient:
    """A fresh fake client through ``CLIENT_FACTORY`` (``monkeypatch`` restores the setting)."""
    fake = FakeAlloClient()
    monkeypatch.setattr(settings, "DOKU_ALLO",
                        {**settings.DOKU_ALLO, "CLIENT_FACTORY": lambda: fake})
    conf.reset()
    return fake
