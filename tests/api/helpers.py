"""Helpers of the REST API tests."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

#: REST_FRAMEWORK of a project that serves its schema with drf-spectacular.
SPECTACULAR_SCHEMA = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}


def as_user(user: Any) -> Client:
    """A fresh test client logged in as ``user`` (one per thread in concurrency tests)."""
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, data: Any = None, **headers: str) -> Any:
    return client.post(url, data=json.dumps(data if data is not None else {}),
                       content_type="application/json", headers=headers)
