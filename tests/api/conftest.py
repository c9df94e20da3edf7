"""Fixtures of the REST API tests: the users who call the API.

The fake DOKU client is the suite-wide ``fake_client`` fixture (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # Throttles count requests in the cache; each test starts from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def other_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="budi", password="pw-12345678")


@pytest.fixture
def staff(django_user_model: Any) -> Any:
    """Customer service: staff with the ``can_refund`` permission."""
    member = django_user_model.objects.create_user(username="dewi", password="pw-12345678",
                                                   is_staff=True)
    member.user_permissions.add(Permission.objects.get(codename="can_refund"))
    return member


@pytest.fixture
def api(client: Client, user: Any) -> Client:
    """Django's test client, logged in as the customer ``user``."""
    client.force_login(user)
    return client
