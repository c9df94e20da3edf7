"""The doctor without network: every setting and key, and advice for each problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from tests.doctor.conftest import run_doctor
from tests.settings import DOKU_ALLO
from tests.support.keys import DOKU_PRIVATE_KEY_PEM, MERCHANT_PRIVATE_KEY_PEM, KeyPair, public_pem

FERNET_COMMAND = ('python -c "from cryptography.fernet import Fernet; '
                  'print(Fernet.generate_key().decode())"')
OTHER = KeyPair.generate()
ENCRYPTED = serialization.load_pem_private_key(
    MERCHANT_PRIVATE_KEY_PEM.encode(), None).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    serialization.BestAvailableEncryption(b"s3cret")).decode()
PRODUCTION = {"ENVIRONMENT": "production", "BASE_URL": None,
              "PUBLIC_BASE_URL": "https://shop.example.com"}
SHARED_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                "tokens": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                           "LOCATION": "/tmp/doku-allo-doctor-tests-cache"}}


@pytest.fixture
def configure(settings: Any) -> Any:
    def configure(django: dict[str, Any] | None = None, **doku_allo: Any) -> None:
        for name, value in (django or {}).items():
            setattr(settings, name, value)
        settings.DOKU_ALLO = {**DOKU_ALLO, **doku_allo}

    return configure


def test_a_healthy_simulator_setup_passes(configure: Any) -> None:
    configure(PUBLIC_BASE_URL="http://127.0.0.1:8000")
    run = run_doctor()

    assert run.exit_code == 0, run.output
    assert run.failures == set()
    assert "No problems found." in run.text or "warning" in run.output
    assert "PRIVATE_KEY loads: RSA 2048 bits, and signs." in run.text
    assert public_pem(MERCHANT_PRIVATE_KEY_PEM) in run.output  # to upload to DOKU
    assert "It matches the simulator's merchant key" in run.text
    assert "Notification URL: http://127.0.0.1:8000/doku-allo/v1.0/debit/notify" in run.text
    assert "PRIVATE KEY" not in run.output


def test_a_healthy_production_setup_passes_without_warnings(configure: Any,
                                                            tmp_path: Path) -> None:
    configure({"CACHES": {**SHARED_CACHE, "tokens": {**SHARED_CACHE["tokens"],
                                                     "LOCATION": str(tmp_path)}}},
              CACHE_ALIAS="tokens", **PRODUCTION)
    run = run_doctor()

    assert run.failures == set()
    assert run.exit_code == 0
    assert "Notification URL: https://shop.example.com/doku-allo/v1.0/debit/notify" in run.text


def test_an_encrypted_key_loads_with_its_password(configure: Any) -> None:
    configure(PRIVATE_KEY=ENCRYPTED, PRIVATE_KEY_PASSWORD="s3cret")
    run = run_doctor()

    assert "(decrypted with PRIVATE_KEY_PASSWORD)" in run.text
    assert not {c for c in run.failures if c.startswith("private_key")}


def test_the_uploaded_public_key_is_compared(configure: Any, tmp_path: Path) -> None:
    uploaded = tmp_path / "uploaded.pem"
    uploaded.write_text(public_pem(MERCHANT_PRIVATE_KEY_PEM))
    configure(**PRODUCTION)
    assert "It matches the key in" in run_doctor("--public-key", str(uploaded)).output


def test_warnings_fail_only_when_asked(configure: Any) -> None:
    configure()  # LocMem and no PUBLIC_BASE_URL: warnings against the simulator
    run = run_doctor("--fail-on-warning")
    assert run.failures == set()
    assert run.exit_code == 2


# Each row: a broken setup, the problem the doctor must name, and words of its advice.
BROKEN = [
    ("missing-private-key", {"PRIVATE_KEY": ""}, {}, "private_key.missing",
     "openssl genpkey -algorithm RSA"),
    ("private-key-file-missing", {"PRIVATE_KEY": "/nonexistent/merchant.pem"}, {},
     "private_key.unreadable", "Check the path"),
    ("encrypted-key-without-password", {"PRIVATE_KEY": ENCRYPTED}, {},
     "private_key.password_missing", "Set DOKU_ALLO['PRIVATE_KEY_PASSWORD']"),
    ("wrong-password", {"PRIVATE_KEY": ENCRYPTED, "PRIVATE_KEY_PASSWORD": "guess"}, {},
     "private_key.password_wrong", "Check PRIVATE_KEY_PASSWORD"),
    ("password-for-a-plain-key", {"PRIVATE_KEY_PASSWORD": "s3cret"}, {},
     "private_key.password_unneeded", "Remove PRIVATE_KEY_PASSWORD"),
    ("private-key-malformed", {"PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnope\n"
                                              "-----END PRIVATE KEY-----"}, {},
     "private_key.malformed", "from -----BEGIN to -----END"),
    ("private-key-not-matching-doku", {}, {"DOKU_ALLO_SIMULATOR": {
        "PRIVATE_KEY": DOKU_PRIVATE_KEY_PEM, "MERCHANT_PUBLIC_KEY": OTHER.public_spki}},
     "private_key.mismatch", "Upload the public key printed above to DOKU"),
    ("doku-public-key-malformed", {"DOKU_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----\nnope\n"
                                                      "-----END PUBLIC KEY-----"}, {},
     "doku_public_key.malformed", "-----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY-----"),
    ("doku-public-key-missing", {"DOKU_PUBLIC_KEY": ""}, {}, "doku_public_key.missing",
     "Download DOKU's public key from DOKU's back office"),
    ("doku-public-key-is-our-own", {"DOKU_PUBLIC_KEY": public_pem(MERCHANT_PRIVATE_KEY_PEM)},
     {}, "doku_public_key.own_key", "Put DOKU's public key here"),
    ("doku-public-key-is-a-private-key", {"DOKU_PUBLIC_KEY": OTHER.private_pkcs8}, {},
     "doku_public_key.is_private", "keep it secret"),
    ("doku-public-key-not-the-simulators", {"DOKU_PUBLIC_KEY": OTHER.public_spki}, {},
     "doku_public_key.mismatch", "DOKU_ALLO_SIMULATOR['PRIVATE_KEY']"),
    ("empty-fernet-key", {"TOKEN_ENCRYPTION_KEYS": []}, {}, "fernet.empty", FERNET_COMMAND),
    ("invalid-fernet-key", {"TOKEN_ENCRYPTION_KEYS": ["not-a-fernet-key"]}, {},
     "fernet.invalid", FERNET_COMMAND),
    ("locmem-cache-in-production", PRODUCTION, {}, "cache.per_process",
     "django.core.cache.backends.redis.RedisCache"),
    ("dummy-cache", {}, {"CACHES": {"default": {
        "BACKEND": "django.core.cache.backends.dummy.DummyCache"}}}, "cache.dummy",
     "Use a cache every process shares"),
    ("unknown-cache-alias", {"CACHE_ALIAS": "tokens"}, {}, "cache.unknown",
     "Add it to CACHES or set CACHE_ALIAS"),
    ("http-public-url-in-production", {**PRODUCTION, "PUBLIC_BASE_URL": "http://shop.example.com"},
     {}, "notification_url.http", "set PUBLIC_BASE_URL to its https:// address"),
    ("relative-public-url", {"PUBLIC_BASE_URL": "/shop"}, {}, "notification_url.relative",
     "'https://shop.example.com'"),
    ("missing-public-url-in-production", {**PRODUCTION, "PUBLIC_BASE_URL": None}, {},
     "notification_url.missing", "Set DOKU_ALLO['PUBLIC_BASE_URL']"),
    ("http-doku-in-production", {**PRODUCTION, "BASE_URL": "http://api.doku.com"}, {},
     "base_url.http", "Leave BASE_URL unset"),
    ("simulator-without-base-url", {"BASE_URL": None}, {}, "base_url.missing",
     "Set DOKU_ALLO['BASE_URL']"),
    ("missing-client-id", {"CLIENT_ID": ""}, {}, "client_id.missing",
     "sandbox and production have different ones"),
    ("unknown-path-preset", {"PATH_PRESET": "v0"}, {}, "doku_allo.E008", "Use one of"),
    ("urls-not-included", {}, {"ROOT_URLCONF": "tests.doctor.no_urls"},
     "notification_url.no_urls", 'include("django_doku_allo.urls")'),
]


@pytest.mark.parametrize(("doku_allo", "django", "problem", "advice"),
                         [row[1:] for row in BROKEN], ids=[row[0] for row in BROKEN])
def test_each_broken_setup_is_named_with_advice(configure: Any, doku_allo: dict[str, Any],
                                                django: dict[str, Any], problem: str,
                                                advice: str) -> None:
    configure(django, **doku_allo)
    run = run_doctor()

    assert run.exit_code == 1, run.output
    assert problem in run.failures, run.output
    assert advice in run.text, run.output
    assert "PRIVATE KEY-----" not in run.output.replace(
        "-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
