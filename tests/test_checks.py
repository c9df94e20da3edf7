"""System checks name the setting to fix, with stable ids."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from django_doku_allo.checks import check_settings
from tests.settings import DOKU_ALLO


def ids(**overrides: Any) -> set[str]:
    with override_settings(DOKU_ALLO={**DOKU_ALLO, **overrides}):
        return {message.id for message in check_settings()}


def test_the_test_settings_pass_every_check() -> None:
    assert ids() == set()


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"ENVIRONMENT": "staging"}, "doku_allo.E001"),
    ({"CLIENT_ID": ""}, "doku_allo.E002"),
    ({"CLIENT_SECRET": ""}, "doku_allo.E003"),
    ({"PRIVATE_KEY": ""}, "doku_allo.E004"),
    ({"PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"},
     "doku_allo.E005"),
    ({"PRIVATE_KEY": "/nonexistent/key.pem"}, "doku_allo.E005"),
    ({"DOKU_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"},
     "doku_allo.E006"),
    ({"DOKU_PUBLIC_KEY": ""}, "doku_allo.W001"),
    ({"BASE_URL": None}, "doku_allo.E007"),
    ({"ENVIRONMENT": "production", "BASE_URL": "http://api.doku.com"}, "doku_allo.W002"),
    ({"PATH_PRESET": "v0"}, "doku_allo.E008"),
    ({"PATHS": {"pay": "/x"}}, "doku_allo.E009"),
    ({"TOKEN_ENCRYPTION_KEYS": []}, "doku_allo.E010"),
    ({"TOKEN_ENCRYPTION_KEYS": ["short"]}, "doku_allo.E011"),
    ({"READ_TIMEOUT": 0}, "doku_allo.E012"),
    ({"NOTIFICATION_VERIFY_TOKEN": False, "NOTIFICATION_VERIFY_SIGNATURE": False},
     "doku_allo.W003"),
    ({"STATUS_SERVICE_CODE": "99"}, "doku_allo.E013"),
])
def test_each_misconfiguration_has_its_own_check_id(overrides: dict[str, Any],
                                                    expected: str) -> None:
    assert expected in ids(**overrides)


def test_keys_may_be_given_as_file_paths(tmp_path: Any) -> None:
    from tests.support.keys import MERCHANT_PRIVATE_KEY_PEM
    key_file = tmp_path / "merchant.pem"
    key_file.write_text(MERCHANT_PRIVATE_KEY_PEM)

    assert ids(PRIVATE_KEY=str(key_file)) == set()


@pytest.mark.django_db
def test_an_encrypted_private_key_works_with_its_password(client: Any) -> None:
    from cryptography.hazmat.primitives import serialization

    from django_doku_allo import conf
    from django_doku_allo.inbound import auth as notification_auth
    from tests.support.keys import MERCHANT_PRIVATE_KEY_PEM

    key = serialization.load_pem_private_key(MERCHANT_PRIVATE_KEY_PEM.encode(), None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"s3cret")).decode()

    assert "doku_allo.E005" in ids(PRIVATE_KEY=encrypted)
    assert ids(PRIVATE_KEY=encrypted, PRIVATE_KEY_PASSWORD="s3cret") == set()
    with override_settings(DOKU_ALLO={**DOKU_ALLO, "PRIVATE_KEY": encrypted,
                                      "PRIVATE_KEY_PASSWORD": "s3cret"}):
        assert conf.get_client().config.private_key.key_size == 2048
        token, _ = notification_auth.issue_token()
        assert notification_auth.verify_token(token)
