"""SnapConfig: explicit configuration, checked when built (no Django)."""

from __future__ import annotations

from typing import Any

import pytest

from django_doku_allo.snap.config import PATH_PRESETS, Paths, SnapConfig
from django_doku_allo.snap.errors import ConfigurationError

from .conftest import KeyPair


def config(keys: KeyPair, **overrides: Any) -> SnapConfig:
    options: dict[str, Any] = {"base_url": "https://api-sandbox.doku.com/", "client_id": "C",
                               "client_secret": "S"}
    options.update(overrides)
    return SnapConfig.build(private_key=keys.private_pkcs1, **options)


def test_build_loads_a_pem_key_and_trims_the_base_url(merchant_keys: KeyPair) -> None:
    built = config(merchant_keys)
    assert built.base_url == "https://api-sandbox.doku.com"
    assert built.base_path == ""
    assert built.url("refund") == "https://api-sandbox.doku.com/direct-debit/core/v1/debit/refund"
    assert built.signed_path("refund") == "/direct-debit/core/v1/debit/refund"


def test_a_base_url_with_a_path_prefixes_every_signed_path(merchant_keys: KeyPair) -> None:
    built = config(merchant_keys, base_url="http://127.0.0.1:8000/doku-simulator/")
    assert built.base_path == "/doku-simulator"
    assert built.signed_path("b2b_token") == "/doku-simulator/authorization/v1/access-token/b2b"


def test_secrets_never_appear_in_the_config_repr(merchant_keys: KeyPair) -> None:
    text = repr(config(merchant_keys, client_secret="TOP-SECRET-VALUE"))
    assert "TOP-SECRET-VALUE" not in text
    assert "PRIVATE" not in text


@pytest.mark.parametrize("overrides", [
    {"base_url": "api.doku.com"}, {"read_timeout": 0}, {"deadline": -1},
    {"connect_retries": -1}, {"max_response_bytes": 0}, {"token_lock_timeout": 0},
    {"token_refresh_margin": -5},
])
def test_unusable_values_are_configuration_errors(
    merchant_keys: KeyPair, overrides: dict[str, Any],
) -> None:
    with pytest.raises(ConfigurationError):
        config(merchant_keys, **overrides)


def test_an_unloadable_key_is_a_configuration_error_without_the_key_in_the_message() -> None:
    with pytest.raises(ConfigurationError) as caught:
        SnapConfig.build(private_key="not a key at all", base_url="https://x", client_id="C",
                         client_secret="S")
    assert "not a key at all" not in str(caught.value)


def test_path_overrides_must_name_known_operations_and_be_absolute_paths() -> None:
    assert Paths().with_overrides({"payment": "/p"}).payment == "/p"
    with pytest.raises(ConfigurationError, match="pay"):
        Paths().with_overrides({"pay": "/p"})
    with pytest.raises(ConfigurationError, match="payment"):
        Paths().with_overrides({"payment": "direct-debit/pay"})


def test_the_archive_preset_only_changes_the_allo_operation_paths() -> None:
    current, archive = PATH_PRESETS["current"], PATH_PRESETS["archive"]
    changed = {name for name in Paths.names()
               if getattr(current, name) != getattr(archive, name)}
    assert changed == {"account_binding", "balance_inquiry", "payment", "refund",
                       "account_unbinding"}
