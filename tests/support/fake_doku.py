"""A scripted DOKU on a real socket, for the SNAP client's tests.

``FakeDoku`` is a real threaded ``http.server`` on 127.0.0.1 with a random port.
It records every request exactly as it arrived (method, path, headers, raw body
bytes) and answers each path with handlers a test scripts; the token endpoints
answer by default. Nothing in here mocks ``requests``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django_doku_allo.snap.config import Paths

__all__ = ["PATHS", "Exchange", "FakeDoku", "Handler", "Recorded", "slow", "snap_reply"]

PATHS = Paths()


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    headers: Message
    body: bytes
    received_at: float

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class Exchange:
    """What a scripted handler may do with the connection."""

    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self._handler = handler

    def raw(self, status: int, body: bytes, *, content_type: str = "application/json",
            headers: Mapping[str, str] | None = None, declare_length: int | None = None,
            close: bool = False) -> None:
        """Send ``body``; ``declare_length`` lies about Content-Length (truncation)."""
        h = self._handler
        with contextlib.suppress(OSError):
            h.send_response(status)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length",
                          str(len(body) if declare_length is None else declare_length))
            for name, value in (headers or {}).items():
                h.send_header(name, value)
            if close or declare_length is not None:
                h.send_header("Connection", "close")
                h.close_connection = True
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()

    def json(self, status: int, payload: Any, **kwargs: Any) -> None:
        self.raw(status, json.dumps(payload).encode("utf-8"), **kwargs)

    def trickle(self, status: int, body: bytes, *, interval: float,
                declare_length: bool = True) -> None:
        """Send the body one byte at a time, ``interval`` seconds apart."""
        h = self._handler
        h.close_connection = True
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            if declare_length:
                h.send_header("Content-Length", str(len(body)))
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.flush()
            for i in range(len(body)):
                time.sleep(interval)
                h.wfile.write(body[i:i + 1])
                h.wfile.flush()
        except OSError:
            return

    def trickle_raw(self, data: bytes, *, interval: float) -> None:
        """Write a whole HTTP response, status line included, one byte at a time."""
        h = self._handler
        h.close_connection = True
        try:
            for i in range(len(data)):
                h.wfile.write(data[i:i + 1])
                h.wfile.flush()
                time.sleep(interval)
        except OSError:
            return

    def hang_up(self) -> None:
        """Close the connection without answering."""
        self._handler.close_connection = True


Handler = Callable[[Recorded, Exchange], None]


def snap_reply(code: str, message: str = "Successful", **fields: Any) -> Handler:
    """A SNAP JSON answer whose HTTP status is the code's first three digits."""
    payload = {"responseCode": code, "responseMessage": message, **fields}

    def handle(_: Recorded, exchange: Exchange) -> None:
        exchange.json(int(code[:3]), payload)

    return handle


def slow(seconds: float, then: Handler) -> Handler:
    def handle(request: Recorded, exchange: Exchange) -> None:
        time.sleep(seconds)
        then(request, exchange)

    return handle


class FakeDoku:
    """A scripted DOKU on a real socket. ``on(path, *handlers)`` queues answers for a
    path (the last one repeats); unscripted token paths issue tokens."""

    def __init__(self, prefix: str = "", sock: socket.socket | None = None) -> None:
        self.prefix = prefix
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._routes: dict[str, deque[Handler]] = {}
        self._b2b_counter = itertools.count(1)
        self._b2b2c_counter = itertools.count(1)
        self.b2b_expires_in: Any = 900
        self.server = self._make_server(sock)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def _make_server(self, sock: socket.socket | None) -> ThreadingHTTPServer:
        doku = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                recorded = Recorded(self.command, self.path, self.headers, body,
                                    time.monotonic())
                doku._record(recorded)
                doku._handler_for(self.path)(recorded, Exchange(self))

            do_GET = do_POST
            do_PUT = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                return

        class _Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                return  # a client that gave up mid-answer is part of several tests

        if sock is None:
            return _Server(("127.0.0.1", 0), _Handler)
        server = _Server(sock.getsockname(), _Handler, bind_and_activate=False)
        server.socket.close()
        server.socket = sock
        server.server_activate()
        return server

    # ----------------------------------------------------------------- scripting
    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def path(self, operation: str) -> str:
        """The full request path of ``operation`` (prefix included), as the server sees it."""
        return self.prefix + getattr(PATHS, operation)

    def on(self, operation: str, *handlers: Handler) -> None:
        with self._lock:
            self._routes[self.path(operation)] = deque(handlers)

    def _handler_for(self, path: str) -> Handler:
        with self._lock:
            queue = self._routes.get(path)
            if queue:
                return queue.popleft() if len(queue) > 1 else queue[0]
        if path == self.path("b2b_token"):
            return self._issue_b2b_token
        if path == self.path("b2b2c_token"):
            return self._issue_b2b2c_token
        return snap_reply("4040000", "Not scripted in this test")

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def _issue_b2b_token(self, _: Recorded, exchange: Exchange) -> None:
        exchange.json(200, {"responseCode": "2007300", "responseMessage": "Successful",
                            "accessToken": f"b2b-token-{next(self._b2b_counter)}",
                            "tokenType": "Bearer", "expiresIn": self.b2b_expires_in,
                            "additionalInfo": ""})

    def _issue_b2b2c_token(self, _: Recorded, exchange: Exchange) -> None:
        n = next(self._b2b2c_counter)
        exchange.json(200, {"responseCode": "2007400", "responseMessage": "Successful",
                            "accessToken": f"customer-token-{n}", "tokenType": "Bearer",
                            "accessTokenExpiryTime": "2030-01-01T00:00:00+07:00",
                            "refreshToken": f"refresh-token-{n}",
                            "refreshTokenExpiryTime": "2030-06-01T00:00:00+07:00",
                            "additionalInfo": {}})

    # ----------------------------------------------------------------- inspection
    def requests_to(self, operation: str) -> list[Recorded]:
        path = self.path(operation)
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
