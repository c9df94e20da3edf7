"""Fixtures of the SNAP protocol tests: keys, a scripted local HTTP "DOKU", a client.

The pieces live in :mod:`tests.support` (``keys``, ``fake_doku``, ``snap_client``,
``doku_sdk``); this module only provides them as fixtures. ``FakeDoku`` and
``KeyPair`` stay importable from here for the modules that still do.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from django_doku_allo.snap.client import AlloClient
from django_doku_allo.snap.tokens import MemoryTokenStore
from tests.support import doku_sdk
from tests.support.doku_sdk import SdkSigner
from tests.support.fake_doku import FakeDoku
from tests.support.keys import KeyPair
from tests.support.snap_client import ClientFactory, make_config

__all__ = ["FakeDoku", "KeyPair"]


@pytest.fixture(scope="session")
def merchant_keys() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture(scope="session")
def other_keys() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture(scope="session")
def sdk_symmetric_signature() -> SdkSigner:
    """``TokenService.generate_symmetric_signature`` from DOKU's installed Python SDK."""
    with pytest.MonkeyPatch.context() as patch:
        signer = doku_sdk.symmetric_signer(set_module=patch.setitem)
    if signer is None:
        pytest.skip("doku-python-library is not installed (dev dependency)")
    return signer


@pytest.fixture
def fake_doku() -> Iterator[FakeDoku]:
    server = FakeDoku()
    yield server
    server.close()


@pytest.fixture
def refusing_socket() -> Iterator[socket.socket]:
    """A socket bound to a port but not listening: connecting to it is refused until
    something calls ``listen`` on it (``FakeDoku(sock=...)`` does)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture
def refusing_port(refusing_socket: socket.socket) -> int:
    return int(refusing_socket.getsockname()[1])


@pytest.fixture
def make_client(fake_doku: FakeDoku, merchant_keys: KeyPair) -> ClientFactory:
    def factory(base_url: str | None = None, **overrides: Any) -> AlloClient:
        config = make_config(base_url or fake_doku.base_url, merchant_keys.private_pkcs8,
                             **overrides)
        return AlloClient(config, MemoryTokenStore())

    return factory


@pytest.fixture
def client(make_client: ClientFactory) -> AlloClient:
    return make_client()
