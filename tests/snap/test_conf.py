"""``settings.DOKU_ALLO`` wired into the SNAP client (django_doku_allo/conf.py).

No database: building the client reads settings and the cache only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

django_settings = pytest.importorskip("django.conf").settings
if not django_settings.configured:  # pragma: no cover - only under -p no:django
    pytest.skip("conf.py tests need Django settings (pytest-django)", allow_module_level=True)

from django.core.cache import caches  # noqa: E402
from django.test import override_settings  # noqa: E402

from django_doku_allo import conf  # noqa: E402
from django_doku_allo.snap.config import (  # noqa: E402
    PRODUCTION_BASE_URL,
    SANDBOX_BASE_URL,
    Paths,
)
from django_doku_allo.snap.errors import ConfigurationError  # noqa: E402
from django_doku_allo.snap.signing import load_private_key  # noqa: E402

from .conftest import FakeDoku  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_client() -> Iterator[None]:
    conf.reset()
    yield
    conf.reset()


def doku_allo(**changes: Any) -> dict[str, Any]:
    """The test settings' DOKU_ALLO with ``changes`` applied (``None`` removes a key)."""
    merged = {**django_settings.DOKU_ALLO, **changes}
    return {k: v for k, v in merged.items() if v is not None}


def public_numbers(pem: str) -> Any:
    return load_private_key(pem).public_key().public_numbers()


def test_get_client_builds_the_client_from_settings() -> None:
    client = conf.get_client()
    config = client.config
    assert config.client_id == django_settings.DOKU_ALLO["CLIENT_ID"]
    assert config.client_secret == django_settings.DOKU_ALLO["CLIENT_SECRET"]
    assert config.base_url == "http://testserver/doku-simulator"
    assert config.signed_path("payment") == (
        "/doku-simulator/direct-debit/core/v1/debit/payment-host-to-host")
    assert config.paths == Paths()
    assert config.private_key.public_key().public_numbers() == public_numbers(
        django_settings.DOKU_ALLO["PRIVATE_KEY"])
    assert (config.connect_timeout, config.read_timeout, config.deadline,
            config.connect_retries, config.channel_id, config.status_service_code) == (
        5.0, 30.0, 45.0, 2, "H2H", "55")
    assert config.token_lock_timeout > config.deadline
    assert conf.get_client() is client


def test_timeouts_channel_and_status_service_code_come_from_settings() -> None:
    with override_settings(DOKU_ALLO=doku_allo(
            CONNECT_TIMEOUT=1, READ_TIMEOUT=2, DEADLINE=3, CONNECT_RETRIES=0,
            CHANNEL_ID="WEB", STATUS_SERVICE_CODE=54, TOKEN_REFRESH_MARGIN=30)):
        config = conf.get_client().config
    assert (config.connect_timeout, config.read_timeout, config.deadline,
            config.connect_retries, config.channel_id, config.status_service_code,
            config.token_refresh_margin) == (1.0, 2.0, 3.0, 0, "WEB", "54", 30.0)


def test_archive_preset_gives_the_seeds_allo_paths() -> None:
    with override_settings(DOKU_ALLO=doku_allo(PATH_PRESET="archive")):
        paths = conf.get_client().config.paths
    assert paths.account_binding == (
        "/direct-debit/merchant/allo/v1.0/registration-account-binding")
    assert paths.balance_inquiry == "/direct-debit/merchant/allo/v1.0/balance-inquiry"
    assert paths.payment == "/direct-debit/merchant/allo/v1.0/payment-host-to-host"
    assert paths.refund == "/direct-debit/merchant/allo/v1.0/debit/refund"
    assert paths.account_unbinding == (
        "/direct-debit/allo/v1.0/registration-account-unbinding")
    assert paths.b2b_token == "/authorization/v1/access-token/b2b"
    assert paths.check_status == "/orders/v1.0/debit/status"


def test_paths_override_single_operations_on_top_of_the_preset() -> None:
    with override_settings(DOKU_ALLO=doku_allo(
            PATH_PRESET="archive",
            PATHS={"payment": "/direct-debit/merchant/allo/v1.0/payment/host-to-host"})):
        config = conf.get_client().config
    assert config.paths.payment == "/direct-debit/merchant/allo/v1.0/payment/host-to-host"
    assert config.paths.refund == "/direct-debit/merchant/allo/v1.0/debit/refund"
    assert config.url("payment") == (
        "http://testserver/doku-simulator/direct-debit/merchant/allo/v1.0/payment/host-to-host")


def test_an_unknown_operation_in_paths_is_a_configuration_error_naming_it() -> None:
    with override_settings(DOKU_ALLO=doku_allo(PATHS={"pay_now": "/x"})), \
            pytest.raises(ConfigurationError, match="pay_now"):
        conf.get_client()


def test_an_unknown_path_preset_is_a_configuration_error() -> None:
    with override_settings(DOKU_ALLO=doku_allo(PATH_PRESET="legacy")), \
            pytest.raises(ConfigurationError, match="PATH_PRESET"):
        conf.get_client()


def test_private_key_may_be_a_file_path(tmp_path: Path) -> None:
    pem = django_settings.DOKU_ALLO["PRIVATE_KEY"]
    key_file = tmp_path / "merchant.pem"
    key_file.write_text(pem, encoding="ascii")
    with override_settings(DOKU_ALLO=doku_allo(PRIVATE_KEY=str(key_file))):
        key = conf.get_client().config.private_key
    assert key.public_key().public_numbers() == public_numbers(pem)


def test_a_missing_key_file_is_a_configuration_error_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    with override_settings(DOKU_ALLO=doku_allo(PRIVATE_KEY=str(missing))), \
            pytest.raises(ConfigurationError, match=r"nowhere\.pem"):
        conf.get_client()


def test_an_unloadable_private_key_is_a_configuration_error() -> None:
    broken = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    with override_settings(DOKU_ALLO=doku_allo(PRIVATE_KEY=broken)), \
            pytest.raises(ConfigurationError, match="PRIVATE_KEY"):
        conf.get_client()


@pytest.mark.parametrize("missing", ["CLIENT_ID", "CLIENT_SECRET", "PRIVATE_KEY"])
def test_missing_credentials_are_configuration_errors(missing: str) -> None:
    with override_settings(DOKU_ALLO=doku_allo(**{missing: ""})), \
            pytest.raises(ConfigurationError, match=missing):
        conf.get_client()


@pytest.mark.parametrize(("environment", "base_url"), [
    ("sandbox", SANDBOX_BASE_URL), ("production", PRODUCTION_BASE_URL)])
def test_environment_picks_dokus_host_when_no_base_url_is_set(
    environment: str, base_url: str,
) -> None:
    with override_settings(DOKU_ALLO=doku_allo(ENVIRONMENT=environment, BASE_URL=None)):
        assert conf.get_client().config.base_url == base_url


def test_the_simulator_environment_needs_a_base_url() -> None:
    with override_settings(DOKU_ALLO=doku_allo(ENVIRONMENT="simulator", BASE_URL=None)), \
            pytest.raises(ConfigurationError, match="BASE_URL"):
        conf.get_client()


def test_override_settings_resets_the_cached_client() -> None:
    original = conf.get_client()
    with override_settings(DOKU_ALLO=doku_allo(CLIENT_ID="BRN-OTHER", PATH_PRESET="archive")):
        overridden = conf.get_client()
        assert overridden is not original
        assert overridden.config.client_id == "BRN-OTHER"
        assert overridden.config.paths.payment.startswith("/direct-debit/merchant/allo/")
    restored = conf.get_client()
    assert restored is not overridden
    assert restored.config.client_id == django_settings.DOKU_ALLO["CLIENT_ID"]
    assert restored.config.paths == Paths()


def test_the_b2b_token_is_shared_through_djangos_cache() -> None:
    fake = FakeDoku()
    try:
        caches["default"].clear()
        with override_settings(DOKU_ALLO=doku_allo(BASE_URL=fake.base_url)):
            first = conf.get_client().get_b2b_token()
            conf.reset()  # as if another process built its own client
            second = conf.get_client().get_b2b_token()
        assert first == second == "b2b-token-1"
        assert len(fake.requests_to("b2b_token")) == 1
    finally:
        caches["default"].clear()
        fake.close()
