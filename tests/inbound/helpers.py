"""Requests as DOKU sends them to our token and notification endpoints."""

from __future__ import annotations

import json
from typing import Any

from django_doku_allo.snap.signing import asymmetric_signature, snap_timestamp
from django_doku_allo.testing import notification_path
from tests.settings import CLIENT_ID
from tests.support.keys import DOKU_PRIVATE_KEY_PEM

TOKEN_PATH = "/doku-allo/authorization/v1/access-token/b2b"


def token_request_headers(timestamp: str | None = None, key: str = DOKU_PRIVATE_KEY_PEM,
                          client_id: str = CLIENT_ID) -> dict[str, str]:
    timestamp = timestamp or snap_timestamp()
    return {"X-CLIENT-KEY": client_id, "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": asymmetric_signature(key, client_id, timestamp)}


def post_token(client: Any, headers: dict[str, str], body: Any = None) -> Any:
    payload = json.dumps(body if body is not None else {"grantType": "client_credentials"})
    return client.post(TOKEN_PATH, data=payload, content_type="application/json",
                       headers=headers)


def post_raw(client: Any, body: str | bytes, headers: dict[str, str]) -> Any:
    return client.post(notification_path(), data=body, content_type="application/json",
                       headers=headers)
