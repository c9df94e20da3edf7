"""Fixtures of the admin tests: the fake DOKU client the services talk to."""

from __future__ import annotations

import pytest

from tests.api.fake_doku import FakeAlloClient, install


@pytest.fixture
def doku(monkeypatch: pytest.MonkeyPatch) -> FakeAlloClient:
    return install(monkeypatch)
