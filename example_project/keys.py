"""Development keys, made on first use and kept in one directory (never for production).

The example shop keeps its keys in example_project/var/, the benchmarks theirs in
benchmarks/var/. Every file is written atomically (a temporary file renamed into place):
the benchmarks' gunicorn workers load settings at the same moment as the benchmark that
started them, and none of them may read a half-written key.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

VAR_DIR = Path(__file__).resolve().parent / "var"


def _write_atomically(path: Path, data: bytes, *, private: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(data)
    if private:
        tmp.chmod(0o600)
    os.replace(tmp, path)


def _new_private_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class DevKeys:
    """The keys of one site, as files under ``directory``."""

    def __init__(self, directory: Path = VAR_DIR) -> None:
        self.directory = directory

    def _once(self, name: str, make: Callable[[], bytes]) -> Path:
        path = self.directory / name
        if not path.exists():
            _write_atomically(path, make(), private=True)
        return path

    def private_key(self, name: str) -> Path:
        """``<name>.pem``: a 2048-bit RSA private key (PKCS#8 PEM)."""
        return self._once(f"{name}.pem", _new_private_pem)

    def fernet_key(self, name: str = "token-encryption") -> str:
        """The Fernet key in ``<name>.key``, for DOKU_ALLO["TOKEN_ENCRYPTION_KEYS"]."""
        return self._once(f"{name}.key", Fernet.generate_key).read_text().strip()


def public_key_path(private_key_path: str | Path) -> str:
    """Path of the public half of ``private_key_path``, written next to it.

    Rewritten when the private key is newer, so replacing a key never leaves a stale
    public half behind.
    """
    private = Path(private_key_path)
    public = private.with_name(private.stem + ".pub.pem")
    if not public.exists() or public.stat().st_mtime < private.stat().st_mtime:
        key = serialization.load_pem_private_key(private.read_bytes(), password=None)
        _write_atomically(public, key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
            private=False)
    return str(public)
