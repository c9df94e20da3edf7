"""The doctor's key checks: the merchant's private key (and its public half), DOKU's key."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from ..conf import doku_settings, load_pem
from ..snap.errors import ConfigurationError
from .report import Report

__all__ = ["Keys", "check_doku_public_key", "check_private_key", "fingerprint", "public_pem",
           "simulator_settings"]

GENERATE_RSA_KEY = ("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
                    "-out merchant-private.pem")


class Keys:
    """What the offline checks learnt, for the live checks that follow."""

    def __init__(self) -> None:
        self.private_key: rsa.RSAPrivateKey | None = None
        self.doku_public_key: rsa.RSAPublicKey | None = None
        self.base_url: str | None = None
        self.notification_url: str | None = None
        self.notification_path: str | None = None
        self.token_path: str | None = None


def public_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def fingerprint(key: rsa.RSAPublicKey) -> str:
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")


def simulator_settings() -> Any | None:
    """The simulator's settings when this site talks to the simulator installed in it."""
    if doku_settings.ENVIRONMENT != "simulator":
        return None
    if "django_doku_allo.simulator" not in settings.INSTALLED_APPS:
        return None
    from ..simulator.conf import get_settings  # only here: the library never needs it

    try:
        return get_settings()
    except Exception:
        return None


def _load_private_key(section: Any, pem: str) -> rsa.RSAPrivateKey | None:
    password = doku_settings.PRIVATE_KEY_PASSWORD
    raw = password.encode() if isinstance(password, str) else password
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii", "replace"), password=raw)
    except TypeError as exc:
        if "not encrypted" in str(exc):
            section.fail("PRIVATE_KEY is not encrypted, but PRIVATE_KEY_PASSWORD is set.",
                         "Remove PRIVATE_KEY_PASSWORD, or give the encrypted key.",
                         code="private_key.password_unneeded")
        else:
            section.fail("PRIVATE_KEY is encrypted and PRIVATE_KEY_PASSWORD is not set.",
                         "Set DOKU_ALLO['PRIVATE_KEY_PASSWORD'] to its passphrase (from the "
                         "environment, not the code).", code="private_key.password_missing")
        return None
    except ValueError as exc:
        if raw is not None and "ENCRYPTED" in pem:
            section.fail("PRIVATE_KEY cannot be decrypted with PRIVATE_KEY_PASSWORD "
                         "(wrong password?).",
                         "Check PRIVATE_KEY_PASSWORD; `openssl pkey -in KEY -noout` asks for "
                         "the passphrase and tells whether it is right.",
                         code="private_key.password_wrong")
        else:
            section.fail(f"PRIVATE_KEY is not a readable PEM private key ({exc}).",
                         "Give the whole PEM, from -----BEGIN to -----END, with its line "
                         "breaks (PKCS#8 or PKCS#1), or the path of the file holding it.",
                         code="private_key.malformed")
        return None
    except Exception as exc:  # an unsupported algorithm, a truncated DER...
        section.fail(f"PRIVATE_KEY cannot be loaded ({exc.__class__.__name__}).",
                     "Give an RSA private key in PEM.", code="private_key.malformed")
        return None
    if not isinstance(key, rsa.RSAPrivateKey):
        section.fail(f"PRIVATE_KEY is a {key.__class__.__name__}, not an RSA key.",
                     f"SNAP signs with SHA256withRSA: make an RSA key, e.g. {GENERATE_RSA_KEY}.",
                     code="private_key.not_rsa")
        return None
    return key


def check_private_key(report: Report, keys: Keys, uploaded: str | None) -> None:
    section = report.section("Merchant private key (PRIVATE_KEY)")
    s = doku_settings
    if not s.PRIVATE_KEY:
        section.fail("PRIVATE_KEY is not set.",
                     f"Make a key pair ({GENERATE_RSA_KEY}), set PRIVATE_KEY to the file's path, "
                     "and upload the public half this command then prints to DOKU's back "
                     "office.", code="private_key.missing")
        return
    try:
        pem = load_pem(s.PRIVATE_KEY)
    except ConfigurationError as exc:
        section.fail(f"PRIVATE_KEY: {exc}.",
                     "Check the path, and that the user running Django may read the file "
                     "(and nobody else: chmod 600).", code="private_key.unreadable")
        return
    key = _load_private_key(section, pem)
    if key is None:
        return
    from ..conf import merchant_private_key
    from ..snap.signing import asymmetric_signature, verify_asymmetric_signature

    try:
        merchant_private_key()
    except ConfigurationError as exc:  # pragma: no cover - same loader, belt and braces
        section.fail(str(exc), code="private_key.app_loader")
        return
    public = key.public_key()
    stamp = "2000-01-01T00:00:00+07:00"
    if not verify_asymmetric_signature(public, "doctor", stamp,
                                       asymmetric_signature(key, "doctor", stamp)):
        section.fail("PRIVATE_KEY signs, but its signature does not verify with its own public "
                     "half.", "The key is damaged: make a new pair.", code="private_key.broken")
        return
    encrypted = " (decrypted with PRIVATE_KEY_PASSWORD)" if s.PRIVATE_KEY_PASSWORD else ""
    section.ok(f"PRIVATE_KEY loads: RSA {key.key_size} bits{encrypted}, and signs.")
    if key.key_size < 2048:
        section.warn(f"The key has only {key.key_size} bits.",
                     f"Make a 2048-bit key: {GENERATE_RSA_KEY}.", code="private_key.short")
    keys.private_key = key
    section.info(f"Its public half ({fingerprint(public)}); upload this to DOKU's back office "
                 "as the merchant public key:", detail=public_pem(public))
    _compare_uploaded(section, public, uploaded)


def _compare_uploaded(section: Any, public: rsa.RSAPublicKey, uploaded: str | None) -> None:
    from ..snap.signing import load_public_key

    sources: list[tuple[str, Any]] = []
    if uploaded:
        try:
            sources.append((f"the key in {uploaded}", load_public_key(load_pem(uploaded))))
        except (ConfigurationError, ValueError, TypeError) as exc:
            section.fail(f"--public-key {uploaded}: cannot be loaded ({exc}).",
                         code="private_key.uploaded_unreadable")
    simulator = simulator_settings()
    if simulator is not None and simulator.merchant_public_key is not None:
        sources.append(("the simulator's merchant key (DOKU_ALLO_SIMULATOR)",
                        simulator.merchant_public_key))
    for name, other in sources:
        if other.public_numbers() == public.public_numbers():
            section.ok(f"It matches {name}.")
        else:
            section.fail(f"It does not match {name} ({fingerprint(other)}): DOKU will refuse "
                         "every token request with 4017300 Invalid Signature.",
                         "Upload the public key printed above to DOKU, or set PRIVATE_KEY to "
                         "the private half of the key DOKU has.", code="private_key.mismatch")
    if not sources:
        section.info("The key uploaded to DOKU cannot be seen from here.",
                     "Compare it with the PEM above, pass it with --public-key FILE, or run "
                     "--live: a 4017300 Invalid Signature means they differ.")


def check_doku_public_key(report: Report, keys: Keys) -> None:
    from ..snap.signing import load_public_key

    section = report.section("DOKU's public key (DOKU_PUBLIC_KEY)")
    value = doku_settings.DOKU_PUBLIC_KEY
    if not value:
        section.fail("DOKU_PUBLIC_KEY is not set: DOKU's token requests before each "
                     "notification will be refused, so no notification gets through.",
                     "Download DOKU's public key from DOKU's back office and give it as PEM "
                     "text or a file path.", code="doku_public_key.missing")
        return
    try:
        pem = load_pem(value)
    except ConfigurationError as exc:
        section.fail(f"DOKU_PUBLIC_KEY: {exc}.", "Check the path and the file's permissions.",
                     code="doku_public_key.unreadable")
        return
    if "PRIVATE KEY-----" in pem:
        section.fail("DOKU_PUBLIC_KEY holds a private key.",
                     "It is DOKU's public key, downloaded from DOKU's back office. If this is "
                     "your own private key, keep it secret and out of this setting.",
                     code="doku_public_key.is_private")
        return
    try:
        key = load_public_key(pem)
    except (ValueError, TypeError) as exc:
        section.fail(f"DOKU_PUBLIC_KEY is not a readable RSA public key in PEM ({exc}).",
                     "Give the whole PEM, from -----BEGIN PUBLIC KEY----- to -----END PUBLIC "
                     "KEY-----, with its line breaks.", code="doku_public_key.malformed")
        return
    mine = keys.private_key.public_key() if keys.private_key is not None else None
    if mine is not None and mine.public_numbers() == key.public_numbers():
        section.fail("DOKU_PUBLIC_KEY is the public half of your own PRIVATE_KEY.",
                     "Put DOKU's public key here (from DOKU's back office), not yours.",
                     code="doku_public_key.own_key")
        return
    keys.doku_public_key = key
    section.ok(f"DOKU_PUBLIC_KEY loads: RSA {key.key_size} bits, {fingerprint(key)}.")
    simulator = simulator_settings()
    if simulator is not None and simulator.private_key is not None:
        if simulator.private_key.public_key().public_numbers() == key.public_numbers():
            section.ok("It is the simulator's key (DOKU_ALLO_SIMULATOR['PRIVATE_KEY']).")
        else:
            section.fail("It is not the public half of the simulator's private key: the "
                         "simulator's notifications will be refused.",
                         "Set DOKU_PUBLIC_KEY to the public half of "
                         "DOKU_ALLO_SIMULATOR['PRIVATE_KEY'].", code="doku_public_key.mismatch")
