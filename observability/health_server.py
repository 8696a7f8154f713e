"""The worker's small HTTP port: GET /healthz, /readyz and /metrics, nothing else.

A minimal HTTP/1.0 responder on asyncio streams: the worker has no web framework and needs
none for three read-only answers. Each connection gets one response and is closed."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from types import TracebackType

log = logging.getLogger("worker.health")
READ_TIMEOUT = 5.0
MAX_HEADER_LINES = 100

Ready = Callable[[], Awaitable[tuple[int, dict[str, str]]]]
Metrics = Callable[[], Awaitable[bytes]]
REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}


class HealthServer:
    """`async with HealthServer(host, port, ready, metrics):` serves while the block runs.
    `/healthz` answers 200 as long as the worker's event loop runs; `ready()` gives the
    status and body of `/readyz`; `metrics()` the Prometheus text of `/metrics`."""

    def __init__(
        self, host: str, port: int, ready: Ready, metrics: Metrics, content_type: str
    ) -> None:
        self.host, self.port = host, port
        self._ready, self._metrics, self._content_type = ready, metrics, content_type
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> HealthServer:
        self._server = await asyncio.start_server(self._answer, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]  # the one chosen, if 0 was asked
        log.info(
            "health and metrics on http://%s:%d (/healthz /readyz /metrics)", self.host, self.port
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        method = "GET"
        try:
            method, path = await asyncio.wait_for(_request_line(reader), READ_TIMEOUT)
            status, content_type, body = await self._respond(method, path)
        except (TimeoutError, ValueError, ConnectionError, asyncio.IncompleteReadError):
            status, content_type, body = 400, "text/plain; charset=utf-8", b"bad request\n"
        head = (
            f"HTTP/1.0 {status} {REASONS[status]}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        with suppress(ConnectionError):
            writer.write(head if method == "HEAD" else head + body)
            await writer.drain()
        writer.close()
        with suppress(ConnectionError):
            await writer.wait_closed()

    async def _respond(self, method: str, path: str) -> tuple[int, str, bytes]:
        if method not in ("GET", "HEAD"):
            return 405, "text/plain; charset=utf-8", b"only GET\n"
        path = path.split("?", 1)[0]
        if path == "/healthz":
            return 200, "application/json", b'{"status": "ok"}'
        if path == "/readyz":
            status, body = await self._ready()
            return status, "application/json", json.dumps(body).encode()
        if path == "/metrics":
            return 200, self._content_type, await self._metrics()
        return 404, "text/plain; charset=utf-8", b"not found: /healthz /readyz /metrics\n"


async def _request_line(reader: asyncio.StreamReader) -> tuple[str, str]:
    """The method and path; the headers are read and ignored."""
    first = (await reader.readline()).decode("latin-1").split()
    if len(first) < 2:
        raise ValueError("no request line")
    for _ in range(MAX_HEADER_LINES):
        if (await reader.readline()).strip() == b"":
            break
    return first[0].upper(), first[1]
