"""One HTTP exchange with DOKU: exact bytes out, bounded time and size in.

``requests`` bounds each socket wait (connect and read timeouts) but not the
whole exchange: a server trickling one byte per second never trips a read
timeout. A watchdog timer shuts the socket down when the overall deadline
passes; connections are tracked per thread so the watchdog reaches the socket
actually in use, fresh or pooled.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

__all__ = ["ConnectFailed", "DeadlineExceeded", "HttpReply", "Transport", "TransportFailed"]


class TransportFailed(Exception):
    """The exchange broke after the request may have reached DOKU."""


class ConnectFailed(TransportFailed):
    """No connection was made: the request never reached DOKU."""


class DeadlineExceeded(TransportFailed):
    """The overall deadline passed; the request may have reached DOKU."""


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: bytes
    headers: Mapping[str, str]


class _Watch:
    """Shuts the socket of the current exchange down when its deadline passes."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sock: socket.socket | None = None
        self._mutex = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()

    def attach(self, sock: socket.socket | None) -> None:
        with self._mutex:
            self._sock = sock
            if self.expired:
                self._shutdown()

    def _fire(self) -> None:
        with self._mutex:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)


_current = threading.local()


def _watch_expired() -> bool:
    watch: _Watch | None = getattr(_current, "watch", None)
    return watch is not None and watch.expired


def _attach_current(sock: socket.socket | None) -> None:
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.attach(sock)


class _Watched:
    """Mixin for urllib3 connections: the deadline watchdog sees every socket."""

    sock: Any

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _attach_current(self.sock)

    def getresponse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # A pooled connection skips connect(); attach before waiting for the reply.
        _attach_current(self.sock)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool,
                                                   "https": _WatchedHTTPSPool}


def _is_connect_failure(exc: requests.RequestException) -> bool:
    """True only when the request provably never left this machine."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # MaxRetryError wraps the real cause
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError, NameResolutionError))


class Transport:
    """POSTs bytes and returns the reply, or raises one of the ``TransportFailed`` kinds."""

    def __init__(
        self,
        *,
        connect_timeout: float,
        read_timeout: float,
        deadline: float,
        max_response_bytes: int,
        session: requests.Session | None = None,
        user_agent: str | None = None,
        pool_size: int = 10,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.session = session or requests.Session()
        self._own_session = session is None
        self.pool_size = pool_size
        if self._own_session:
            self._mount(pool_size)
        self.user_agent = user_agent

    def _mount(self, pool_size: int) -> None:
        # pool_maxsize bounds the kept-alive connections per host: a thread beyond it
        # opens a fresh connection each time and urllib3 discards it afterwards.
        adapter = _WatchedAdapter(max_retries=0, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def set_pool_size(self, pool_size: int) -> None:
        """Re-size the connection pool (only that of a session this transport made)."""
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        if self._own_session and pool_size != self.pool_size:
            self.session.close()
            self._mount(pool_size)
        self.pool_size = pool_size

    def post(self, url: str, body: bytes, headers: Mapping[str, str],
             *, deadline: float | None = None) -> HttpReply:
        budget = self.deadline if deadline is None else deadline
        watch = _Watch(budget)
        _current.watch = watch
        watch.start()
        started = time.monotonic()
        try:
            return self._exchange(url, body, headers, started, budget)
        except requests.RequestException as exc:
            if watch.expired:
                raise DeadlineExceeded(f"no complete answer within {budget:g}s") from exc
            if _is_connect_failure(exc):
                raise ConnectFailed(str(exc.__class__.__name__)) from exc
            raise TransportFailed(exc.__class__.__name__) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if watch.expired:
                raise DeadlineExceeded(f"no complete answer within {budget:g}s") from exc
            raise TransportFailed(exc.__class__.__name__) from exc
        finally:
            watch.cancel()
            _current.watch = None

    def _exchange(self, url: str, body: bytes, headers: Mapping[str, str],
                  started: float, budget: float) -> HttpReply:
        sent_headers = dict(headers)
        if self.user_agent and not any(k.lower() == "user-agent" for k in sent_headers):
            sent_headers["User-Agent"] = self.user_agent
        response = self.session.post(
            url, data=body, headers=sent_headers, stream=True, allow_redirects=False,
            timeout=(self.connect_timeout, self.read_timeout),
        )
        try:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(chunk_size=16384):
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise TransportFailed(f"answer larger than {self.max_response_bytes} bytes")
                if time.monotonic() - started > budget:
                    raise DeadlineExceeded(f"no complete answer within {budget:g}s")
                chunks.append(chunk)
            if _watch_expired():
                # The watchdog shut the socket down: a body read "until close" ends
                # early without an error, so what we hold may be cut short.
                raise DeadlineExceeded(f"no complete answer within {budget:g}s")
            return HttpReply(status=response.status_code, body=b"".join(chunks),
                             headers=dict(response.headers))
        finally:
            response.close()
