"""The browser return views call DOKU, so they never run inside ATOMIC_REQUESTS' transaction.

Holding a transaction open while DOKU answers would keep the shop's rows (and, on
SQLite, the whole database) locked for as long as DOKU takes.
"""

from __future__ import annotations

from typing import Any

import pytest

from django_doku_allo.models import BindingStatus
from tests.flows import bind

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_binding_completes_when_the_site_uses_atomic_requests(
    live_simulator: Any, user: Any, settings: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(settings.DATABASES["default"], "ATOMIC_REQUESTS", True)

    binding = bind(live_simulator, user)

    assert binding.status == BindingStatus.ACTIVE
