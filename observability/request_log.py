"""One log line per web request, under a request id that the response echoes and every
log line written while answering it carries."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from observability.logs import REQUEST_ID

log = logging.getLogger("web.request")
HEADER = "X-Request-ID"
MAX_LENGTH = 64
# monitors ask every few seconds; their lines would bury the people's requests
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._:/+=-]")


def request_id_from(header: str | None) -> str:
    """The caller's id (a proxy's or load balancer's) kept to safe characters and 64 of
    them, so it cannot forge a log line or a header; a new one when there is none."""
    kept = _UNSAFE.sub("", header or "")[:MAX_LENGTH]
    return kept or uuid.uuid4().hex


class RequestLog:
    """ASGI middleware: method, path (never the query, which may hold a name), status and
    milliseconds at INFO; monitors' requests at DEBUG."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(HEADER.lower().encode())
        request_id = request_id_from(incoming.decode("latin-1") if incoming else None)
        token = REQUEST_ID.set(request_id)
        status = 500  # unless the app answers: an exception escaped it
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = scope["path"]
            log.log(
                logging.DEBUG if path in QUIET_PATHS else logging.INFO,
                "%s %s %d %.0f ms",
                scope["method"],
                path,
                status,
                (time.perf_counter() - started) * 1000,
            )
            REQUEST_ID.reset(token)
