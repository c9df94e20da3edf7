"""System checks name the setting to fix, with stable ids."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from django.test import override_settings

from django_doku_allo.checks import FERNET_KEY_COMMAND, check_deployment, check_settings
from tests.settings import DOKU_ALLO, INSTALLED_APPS


def ids(**overrides: Any) -> set[str]:
    with override_settings(DOKU_ALLO={**DOKU_ALLO, **overrides}):
        return {message.id for message in check_settings()}


def deploy_ids(django_settings: dict[str, Any] | None = None, **overrides: Any) -> set[str]:
    with warnings.catch_warnings():
        # The checks only read DATABASES; no connection is opened with the override.
        warnings.filterwarnings("ignore", "Overriding setting DATABASES")
        with override_settings(DOKU_ALLO={**DOKU_ALLO, **overrides}, **(django_settings or {})):
            return {message.id for message in check_deployment()}


def test_the_test_settings_pass_every_check() -> None:
    assert ids() == set()


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"ENVIRONMENT": "staging"}, "doku_allo.E001"),
    ({"CLIENT_ID": ""}, "doku_allo.E002"),
    ({"CLIENT_SECRET": ""}, "doku_allo.E003"),
    ({"PRIVATE_KEY": ""}, "doku_allo.E004"),
    ({"PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"},
     "doku_allo.E005"),
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
    ({"CACHE_ALIAS": "tokens"}, "doku_allo.E014"),
    ({"PUBLIC_BASE_URL": "/shop"}, "doku_allo.E015"),
    ({"PUBLIC_BASE_URL": "shop.example.com"}, "doku_allo.E015"),
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


def test_an_empty_fernet_key_list_says_how_to_make_a_key() -> None:
    with override_settings(DOKU_ALLO={**DOKU_ALLO, "TOKEN_ENCRYPTION_KEYS": []}):
        (message,) = [m for m in check_settings() if m.id == "doku_allo.E010"]
    assert FERNET_KEY_COMMAND in message.hint
    assert FERNET_KEY_COMMAND == (
        'python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())"')


# ----------------------------------------------------------------------------- key files
@pytest.mark.parametrize("setting", ["PRIVATE_KEY", "DOKU_PUBLIC_KEY"])
def test_a_missing_key_file_passes_the_ordinary_checks(setting: str) -> None:
    assert ids(**{setting: "/nonexistent/key.pem"}) == set()


@pytest.mark.parametrize(("setting", "expected"), [
    ("PRIVATE_KEY", "doku_allo.E005"), ("DOKU_PUBLIC_KEY", "doku_allo.E006")])
def test_a_missing_key_file_fails_the_deploy_checks(setting: str, expected: str) -> None:
    assert expected in deploy_ids(**{setting: "/nonexistent/key.pem"})


def test_a_key_file_holding_garbage_fails_the_deploy_checks(tmp_path: Any) -> None:
    garbage = tmp_path / "key.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    assert "doku_allo.E005" in deploy_ids(PRIVATE_KEY=str(garbage))
    assert "doku_allo.E006" in deploy_ids(DOKU_PUBLIC_KEY=str(garbage))


def _system_check_error(call: Any) -> str | None:
    from django.core.management.base import SystemCheckError

    try:
        call()
    except SystemCheckError as exc:
        return str(exc)
    return None


@pytest.mark.django_db
def test_missing_key_files_do_not_block_migrate_or_collectstatic(tmp_path: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    missing = {"PRIVATE_KEY": "/nonexistent/merchant.pem",
               "DOKU_PUBLIC_KEY": "/nonexistent/doku.pem"}
    with override_settings(DOKU_ALLO={**DOKU_ALLO, **missing}, STATIC_ROOT=str(tmp_path)):
        out = StringIO()
        # --plan: the system checks run as for a real migrate; nothing is applied inside
        # this test's transaction (whatever an earlier test left unapplied).
        assert _system_check_error(lambda: call_command("migrate", plan=True, verbosity=0,
                                                        stdout=out)) is None
        assert _system_check_error(lambda: call_command("collectstatic", interactive=False,
                                                        verbosity=0, stdout=out)) is None
        # ... but the deploy checks still fail on them.
        error = _system_check_error(lambda: call_command("check", deploy=True, stdout=out))
    assert error is not None
    assert "doku_allo.E005" in error
    assert "doku_allo.E006" in error


# ----------------------------------------------------------------------------- deploy checks
_PRODUCTION = {"DEBUG": False,
               "INSTALLED_APPS": [a for a in INSTALLED_APPS
                                  if a != "django_doku_allo.simulator"],
               "CACHES": {"default": {
                   "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                   "LOCATION": "doku_allo_cache"}},
               "DATABASES": {"default": {"ENGINE": "django.db.backends.postgresql",
                                         "NAME": "shop"}}}
_PRODUCTION_DOKU = {"ENVIRONMENT": "production", "BASE_URL": None,
                    "PUBLIC_BASE_URL": "https://shop.example.com"}


def test_a_production_setup_passes_the_deploy_checks() -> None:
    assert deploy_ids(_PRODUCTION, **_PRODUCTION_DOKU) == set()


@pytest.mark.parametrize(("django_settings", "overrides", "expected"), [
    ({"CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}},
     {}, "doku_allo.W004"),
    ({"CACHES": {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}},
     {}, "doku_allo.W004"),
    ({}, {"ENVIRONMENT": "simulator", "BASE_URL": "http://127.0.0.1:8000/doku-simulator"},
     "doku_allo.W005"),
    ({"INSTALLED_APPS": [*_PRODUCTION["INSTALLED_APPS"], "django_doku_allo.simulator"]},
     {}, "doku_allo.W006"),
    ({"DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}},
     {}, "doku_allo.W007"),
    ({}, {"PUBLIC_BASE_URL": "http://shop.example.com"}, "doku_allo.W008"),
    ({}, {"PUBLIC_BASE_URL": None}, "doku_allo.W009"),
    ({}, {"NOTIFICATION_VERIFY_TOKEN": False}, "doku_allo.W010"),
    ({}, {"NOTIFICATION_VERIFY_SIGNATURE": False}, "doku_allo.W011"),
], ids=["locmem", "dummy", "simulator-env", "simulator-app", "sqlite", "http-url",
        "no-url", "no-token-check", "no-signature-check"])
def test_each_deploy_problem_has_its_own_check_id(django_settings: dict[str, Any],
                                                  overrides: dict[str, Any],
                                                  expected: str) -> None:
    found = deploy_ids({**_PRODUCTION, **django_settings}, **{**_PRODUCTION_DOKU, **overrides})
    assert found == {expected}


def test_the_simulator_is_fine_with_debug_on() -> None:
    assert not {"doku_allo.W005", "doku_allo.W006"} & deploy_ids(
        {**_PRODUCTION, "DEBUG": True,
         "INSTALLED_APPS": [*_PRODUCTION["INSTALLED_APPS"], "django_doku_allo.simulator"]},
        ENVIRONMENT="simulator", BASE_URL="http://127.0.0.1:8000/doku-simulator")


def test_deploy_checks_run_only_with_deploy() -> None:
    from django.core.checks import registry

    assert check_deployment in registry.registry.get_checks(include_deployment_checks=True)
    assert check_deployment not in registry.registry.get_checks()
