"""Encryption at rest for customer tokens: Fernet keys from ``TOKEN_ENCRYPTION_KEYS``.

The first key encrypts; every key decrypts, so keys rotate by putting a new one
first and running ``manage.py doku_allo_rotate_keys`` before dropping the old one.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .conf import doku_settings
from .exceptions import ConfigurationError

__all__ = ["decrypt", "encrypt", "fernet"]


def fernet() -> MultiFernet:
    keys = doku_settings.TOKEN_ENCRYPTION_KEYS
    if isinstance(keys, str):
        keys = [keys]
    if not keys:
        raise ConfigurationError(
            "DOKU_ALLO['TOKEN_ENCRYPTION_KEYS'] is empty: customer tokens cannot be stored. "
            "Generate one with cryptography.fernet.Fernet.generate_key()."
        )
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            "DOKU_ALLO['TOKEN_ENCRYPTION_KEYS'] holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext: str) -> str:
    try:
        return fernet().decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ConfigurationError(
            "A stored customer token cannot be decrypted with TOKEN_ENCRYPTION_KEYS: "
            "was a key removed before rotation finished?"
        ) from exc

