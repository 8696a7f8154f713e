"""How to reach the mail relay, from the settings: one place for the notices the worker
sends and the portal's own sign-in mail; and the worker's connections to it, kept open
between notices (`RelayConnections`)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from functools import cache
from typing import Any

import aiosmtplib

from domain.settings import Settings

IDLE_SECONDS = 10.0  # a kept connection unused this long is closed (QUIT)
CHECK_AFTER_SECONDS = 2.0  # a kept connection unused this long answers NOOP before it is used
KEEP_AT_MOST = 20  # unused connections kept open at once; more are closed when returned
QUIT_SECONDS = 5.0


@cache
def local_hostname() -> str:
    """The name this host gives in EHLO: the one aiosmtplib would look up (socket.getfqdn)
    for every connection, looked up once per process."""
    return socket.getfqdn()


def relay_options(settings: Settings, timeout: float | None = None) -> dict[str, Any]:
    """aiosmtplib's connection arguments (`aiosmtplib.SMTP(**…)`, `aiosmtplib.send(…, **…)`)."""
    return {
        "hostname": settings.smtp_host,
        "port": settings.smtp_port,
        "username": settings.smtp_username or None,
        "password": settings.smtp_password or None,
        "use_tls": settings.smtp_tls,
        "start_tls": settings.smtp_starttls,
        "timeout": settings.smtp_timeout_seconds if timeout is None else timeout,
        "local_hostname": local_hostname(),
    }


@dataclass(eq=False)
class _Connection:
    client: aiosmtplib.SMTP
    loop: asyncio.AbstractEventLoop
    messages: int = 0
    idle_since: float = 0.0
    expiry: asyncio.TimerHandle | None = None


class RelayConnections:
    """The worker's SMTP sessions with the relay. Each connection carries up to
    `smtp_messages_per_connection` messages, one at a time, so a deadline that mails every
    alliance at once connects (and greets, logs in, negotiates TLS) once per that many
    notices rather than once per notice; 1 gives every message its own connection.

    A connection is given back only after its message was accepted; any failure closes it,
    so a retry starts on a fresh one (a MAIL refused on a connection that has carried
    messages, as a relay's limit per session would refuse it, is tried once more at once:
    nothing was sent). A kept connection the relay has closed is not used again, one unused
    for CHECK_AFTER_SECONDS must answer NOOP first, and one unused for IDLE_SECONDS is
    closed with QUIT."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._limit = settings.smtp_messages_per_connection
        self._idle: list[_Connection] = []  # most recently used last
        self._quitting: set[asyncio.Task[None]] = set()

    async def send(
        self, message: bytes | EmailMessage, sender: str, recipients: list[str]
    ) -> dict[str, aiosmtplib.SMTPResponse]:
        """One message (bytes as they go on the wire, or an EmailMessage aiosmtplib
        flattens); returns the refusals of some recipients when the others were accepted.
        Raises what aiosmtplib raises."""
        for fresh in (False, True):
            connection = await (self._connect() if fresh else self._take())
            try:
                refused = await _transaction(connection.client, message, sender, recipients)
            except aiosmtplib.SMTPSenderRefused:
                self._drop(connection)
                if fresh or not connection.messages:
                    raise
                # MAIL refused on a connection that has carried messages (a relay's limit
                # per session): nothing was sent, so once more on a new connection.
                continue
            except BaseException:
                self._drop(connection)
                raise
            connection.messages += 1
            self._give_back(connection)
            return refused
        raise AssertionError("unreachable")

    async def _take(self) -> _Connection:
        loop = asyncio.get_running_loop()
        while self._idle:
            connection = self._idle.pop()
            if connection.expiry is not None:
                connection.expiry.cancel()
            if connection.loop is not loop or not connection.client.is_connected:
                self._drop(connection)
                continue
            if loop.time() - connection.idle_since > CHECK_AFTER_SECONDS:
                try:
                    await connection.client.noop(timeout=QUIT_SECONDS)
                except (aiosmtplib.SMTPException, OSError):
                    self._drop(connection)
                    continue
            return connection
        return await self._connect()

    async def _connect(self) -> _Connection:
        client = aiosmtplib.SMTP(**relay_options(self._settings))
        await client.connect()
        return _Connection(client, asyncio.get_running_loop())

    def _give_back(self, connection: _Connection) -> None:
        if not connection.client.is_connected:
            self._drop(connection)
            return
        if connection.messages >= self._limit or len(self._idle) >= KEEP_AT_MOST:
            self._close(connection)
            return
        connection.idle_since = connection.loop.time()
        connection.expiry = connection.loop.call_later(IDLE_SECONDS, self._expire, connection)
        self._idle.append(connection)

    def _expire(self, connection: _Connection) -> None:
        if connection in self._idle:
            self._idle.remove(connection)
            self._close(connection)

    def _close(self, connection: _Connection) -> None:
        """A good connection ends with QUIT, in the background (the message's activity
        does not wait for it)."""
        task = connection.loop.create_task(_quit(connection.client))
        self._quitting.add(task)
        task.add_done_callback(self._quitting.discard)

    @staticmethod
    def _drop(connection: _Connection) -> None:
        """A connection in an unknown state (a failure, the relay gone, another event
        loop's) is closed without a word."""
        with contextlib.suppress(RuntimeError):  # its event loop is closed
            connection.client.close()


async def _transaction(
    client: aiosmtplib.SMTP, message: bytes | EmailMessage, sender: str, recipients: list[str]
) -> dict[str, aiosmtplib.SMTPResponse]:
    if isinstance(message, bytes):
        refused, _ = await client.sendmail(sender, recipients, message)
    else:
        refused, _ = await client.send_message(message, sender=sender, recipients=recipients)
    return refused


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit(timeout=QUIT_SECONDS)
    except (aiosmtplib.SMTPException, OSError):
        pass
    finally:
        client.close()
