"""DOKU_ALLO_SIMULATOR settings: defaults, validation, key files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_doku_allo.simulator.conf import get_settings
from tests.support.keys import DOKU_PRIVATE_KEY_PEM, MERCHANT_PRIVATE_KEY_PEM, public_pem

from .conftest import configure


def test_defaults_come_from_the_merchants_doku_allo_settings(settings: Any) -> None:
    settings.DOKU_ALLO_SIMULATOR = {}

    conf = get_settings()

    assert conf.client_id == settings.DOKU_ALLO["CLIENT_ID"]
    assert conf.client_secret == settings.DOKU_ALLO["CLIENT_SECRET"]
    assert conf.merchant_public_key is not None
    assert conf.private_key is None
    assert conf.strict is False
    assert conf.timestamp_tolerance == 300
    assert conf.b2b_token_lifetime == 900
    assert conf.notification_retry_delays == (0, 1.8, 21.6, 43.2)
    assert conf.delivery_mode == "thread"
    assert conf.enable_control_api is False
    assert conf.notification_url_for("http://shop:8000") == (
        "http://shop:8000/doku-allo/v1.0/debit/notify")
    assert conf.merchant_token_url_for("http://shop:8000/") == (
        "http://shop:8000/doku-allo/authorization/v1/access-token/b2b")


def test_keys_may_be_file_paths(simulator_settings: Any, tmp_path: Path) -> None:
    doku = tmp_path / "doku.pem"
    doku.write_text(DOKU_PRIVATE_KEY_PEM)
    merchant = tmp_path / "merchant.pub"
    merchant.write_text(public_pem(MERCHANT_PRIVATE_KEY_PEM))
    configure(simulator_settings, PRIVATE_KEY=str(doku), MERCHANT_PUBLIC_KEY=str(merchant))

    conf = get_settings()

    assert conf.private_key is not None
    assert conf.merchant_public_key is not None


@pytest.mark.parametrize("keys", [
    {"STRIKT": True},
    {"DELIVERY_MODE": "carrier-pigeon"},
    {"NOTIFICATION_RETRY_DELAYS": [5, 1]},
    {"NOTIFICATION_RETRY_DELAYS": []},
    {"TIMESTAMP_TOLERANCE": "soon"},
    {"PRIVATE_KEY": "/nonexistent/key.pem"},
    {"MERCHANT_PUBLIC_KEY": DOKU_PRIVATE_KEY_PEM.replace("PRIVATE", "PUBLIC")},
])
def test_bad_settings_are_improperly_configured(simulator_settings: Any,
                                                keys: dict[str, Any]) -> None:
    configure(simulator_settings, **keys)

    with pytest.raises(ImproperlyConfigured):
        get_settings()


def test_a_client_is_required(settings: Any) -> None:
    settings.DOKU_ALLO = {}
    settings.DOKU_ALLO_SIMULATOR = {}

    with pytest.raises(ImproperlyConfigured):
        get_settings()


def test_settings_changes_are_picked_up(simulator_settings: Any) -> None:
    before = get_settings().timestamp_tolerance
    configure(simulator_settings, TIMESTAMP_TOLERANCE=5)

    assert (before, get_settings().timestamp_tolerance) == (300, 5)
