"""Fixtures of the hostile-input tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def api(client: Client, user: Any) -> Client:
    """Django's test client, logged in as the customer ``user``."""
    client.force_login(user)
    return client
