"""``DOKU_ALLO["CLIENT_FACTORY"]``: the one seam where a test (or a site) swaps the client."""

from __future__ import annotations

from typing import Any

import pytest

from django_doku_allo import conf
from django_doku_allo.snap.client import AlloClient
from django_doku_allo.snap.errors import ConfigurationError
from tests.support.fake_client import FakeAlloClient

DOTTED_FAKE = FakeAlloClient()


def build_dotted_fake() -> FakeAlloClient:
    return DOTTED_FAKE


def use_factory(settings: Any, factory: Any) -> None:
    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "CLIENT_FACTORY": factory}


def test_by_default_the_client_is_the_real_alloclient_built_from_settings() -> None:
    client = conf.get_client()

    assert type(client) is AlloClient
    assert client.config.client_id == conf.doku_settings.CLIENT_ID


def test_a_callable_factory_is_honoured_once_and_its_client_cached(settings: Any) -> None:
    built: list[FakeAlloClient] = []

    def factory() -> FakeAlloClient:
        built.append(FakeAlloClient())
        return built[-1]

    use_factory(settings, factory)

    assert conf.get_client() is conf.get_client() is built[0]
    assert len(built) == 1


def test_a_dotted_path_is_imported(settings: Any) -> None:
    use_factory(settings, f"{__name__}.build_dotted_fake")

    assert conf.get_client() is DOTTED_FAKE


def test_changing_settings_forgets_the_cached_client(settings: Any) -> None:
    use_factory(settings, FakeAlloClient)
    first = conf.get_client()

    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "READ_TIMEOUT": 3.0}

    assert conf.get_client() is not first


def test_the_fake_client_fixture_is_what_the_services_get(fake_client: FakeAlloClient) -> None:
    assert conf.get_client() is fake_client


@pytest.mark.parametrize("factory", ["tests.no_such_module.factory", 42])
def test_a_factory_that_is_neither_callable_nor_importable_is_a_configuration_error(
        settings: Any, factory: Any) -> None:
    use_factory(settings, factory)

    with pytest.raises(ConfigurationError, match="CLIENT_FACTORY"):
        conf.get_client()
