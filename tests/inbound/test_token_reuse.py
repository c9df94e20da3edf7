"""DOKU presents one token on many notifications: it is decoded once, never trusted longer.

A token verified once is remembered with its expiry, so the RS256 check is not
repeated on every delivery; the memory never outlives the token or the settings
it was verified under.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from django_doku_allo.inbound import auth
from tests.settings import DOKU_ALLO


def test_a_token_verified_once_is_not_decoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    token, _ = auth.issue_token()
    assert auth.verify_token(token)
    decodes: list[str] = []
    monkeypatch.setattr(auth.jwt, "decode", lambda *a, **k: decodes.append(a[0]))

    assert auth.verify_token(token)
    assert decodes == []


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token, lifetime = auth.issue_token()
    assert auth.verify_token(token)
    later = auth.time.time() + lifetime + 5
    monkeypatch.setattr(auth.time, "time", lambda: later)

    assert not auth.verify_token(token)
    assert auth.verify_token(token, leeway=60)  # DOKU's retry window still admits it


def test_a_token_verified_under_other_settings_is_checked_again() -> None:
    token, _ = auth.issue_token()
    assert auth.verify_token(token)

    with override_settings(DOKU_ALLO={**DOKU_ALLO, "CLIENT_ID": "BRN-0002-OTHERCLIENT"}):
        assert not auth.verify_token(token)


def test_a_forged_token_is_never_remembered(monkeypatch: Any) -> None:
    token, _ = auth.issue_token()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    assert not auth.verify_token(forged)
    assert not auth.verify_token(forged)
    assert all(key[0] != forged for key in auth._verified_tokens)
