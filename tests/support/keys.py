"""RSA keys for the tests (generated once per run, never real).

``MERCHANT_PRIVATE_KEY_PEM`` and ``DOKU_PRIVATE_KEY_PEM`` are the settings' keys;
:class:`KeyPair` is one key in every PEM shape the code must accept.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["DOKU_PRIVATE_KEY_PEM", "MERCHANT_PRIVATE_KEY_PEM", "KeyPair", "public_pem"]


def _generate_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key: rsa.RSAPrivateKey,
                 fmt: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt,
                             serialization.NoEncryption()).decode("ascii")


def _public_pem(key: rsa.RSAPrivateKey,
                fmt: serialization.PublicFormat = serialization.PublicFormat.SubjectPublicKeyInfo,
                ) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM, fmt).decode("ascii")


def public_pem(private_pem: str) -> str:
    """The SubjectPublicKeyInfo PEM of an unencrypted private key PEM."""
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return _public_pem(key)


@dataclass(frozen=True)
class KeyPair:
    """One RSA key in every PEM shape the code must accept."""

    private_pkcs8: str
    private_pkcs1: str
    public_spki: str
    public_pkcs1: str

    @classmethod
    def generate(cls) -> KeyPair:
        key = _generate_key()
        return cls(
            private_pkcs8=_private_pem(key),
            private_pkcs1=_private_pem(key, serialization.PrivateFormat.TraditionalOpenSSL),
            public_spki=_public_pem(key),
            public_pkcs1=_public_pem(key, serialization.PublicFormat.PKCS1),
        )

    def secret_fragments(self) -> list[str]:
        """Lines of the private key's base64 body: none may ever reach a log."""
        return [line for line in self.private_pkcs8.splitlines() if "-----" not in line]


MERCHANT_PRIVATE_KEY_PEM = _private_pem(_generate_key())
DOKU_PRIVATE_KEY_PEM = _private_pem(_generate_key())
