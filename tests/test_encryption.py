"""Customer tokens at rest: encrypted, and re-encryptable under a new key."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from django_doku_allo.exceptions import ConfigurationError
from django_doku_allo.models import Binding
from tests.settings import DOKU_ALLO

pytestmark = pytest.mark.django_db

OLD_KEY = DOKU_ALLO["TOKEN_ENCRYPTION_KEYS"][0]


def stored(binding: Binding, column: str = "access_token") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM doku_allo_binding WHERE id = %s", [binding.pk])
        return cursor.fetchone()[0]


def test_rotation_re_encrypts_every_token_with_the_new_key(make_binding: Any,
                                                          settings: Any) -> None:
    binding = make_binding(access_token="token-abc", refresh_token="refresh-xyz")
    new_key = Fernet.generate_key().decode()
    settings.DOKU_ALLO = {**DOKU_ALLO, "TOKEN_ENCRYPTION_KEYS": [new_key, OLD_KEY]}

    call_command("doku_allo_rotate_keys", stdout=StringIO())

    assert Fernet(new_key.encode()).decrypt(stored(binding).encode()) == b"token-abc"
    settings.DOKU_ALLO = {**DOKU_ALLO, "TOKEN_ENCRYPTION_KEYS": [new_key]}
    reloaded = Binding.objects.get(pk=binding.pk)
    assert reloaded.access_token == "token-abc"
    assert reloaded.refresh_token == "refresh-xyz"


def test_a_token_unreadable_with_the_configured_keys_is_a_clear_error(make_binding: Any,
                                                                      settings: Any) -> None:
    binding = make_binding()
    settings.DOKU_ALLO = {**DOKU_ALLO,
                          "TOKEN_ENCRYPTION_KEYS": [Fernet.generate_key().decode()]}

    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        Binding.objects.get(pk=binding.pk)


def test_empty_tokens_are_stored_empty(make_binding: Any) -> None:
    binding = make_binding(refresh_token="")

    assert stored(binding, "refresh_token") == ""
