"""Development keys: made once and kept under example_project/var/ (never for production)."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

VAR_DIR = Path(__file__).resolve().parent / "var"


def ensure_private_key(name: str) -> str:
    """Path of a PEM private key in var/, generated on first use."""
    VAR_DIR.mkdir(exist_ok=True)
    path = VAR_DIR / f"{name}.pem"
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        path.chmod(0o600)
    return str(path)


def public_key_path(private_key_path: str) -> str:
    """Path of the public half of ``private_key_path``, written next to it."""
    private = Path(private_key_path)
    public = private.with_name(private.stem + ".pub.pem")
    if not public.exists() or public.stat().st_mtime < private.stat().st_mtime:
        key = serialization.load_pem_private_key(private.read_bytes(), password=None)
        public.write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return str(public)


def ensure_fernet_key() -> str:
    VAR_DIR.mkdir(exist_ok=True)
    path = VAR_DIR / "token-encryption.key"
    if not path.exists():
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()
