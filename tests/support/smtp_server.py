"""A real SMTP server in the test process (aiosmtpd) that records what arrived.

It can also misbehave on purpose: refuse chosen recipients permanently (550) or defer the
next messages (451), so tests see how the email activity reacts to real SMTP replies.
"""

from __future__ import annotations

import socket
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class ReceivedMail(EmailMessage):
    """A message as it arrived, with the envelope the client gave."""

    mail_from: str = ""
    rcpt_tos: list[str]

    @property
    def text(self) -> str:
        return self.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.get_body(("html",)).get_content()


class _Recorder:
    """aiosmtpd handler: applies the configured refusals and keeps accepted messages."""

    def __init__(self, server: RecordingSmtpServer) -> None:
        self._server = server

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address.lower() in self._server.refused:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self._server._arrived(envelope)


class _CountingSMTP(SMTP):
    def __init__(self, handler: Any, server: RecordingSmtpServer, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._server = server

    def connection_made(self, transport: Any) -> None:
        self._server._connected()
        super().connection_made(transport)


class _Controller(Controller):
    def __init__(self, server: RecordingSmtpServer, **kwargs: Any) -> None:
        super().__init__(_Recorder(server), **kwargs)
        self._server = server

    def factory(self) -> SMTP:
        return _CountingSMTP(self.handler, self._server, **self.SMTP_kwargs)


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class RecordingSmtpServer:
    """Start with `with RecordingSmtpServer() as server:` or start()/stop()."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = _free_port(host)
        self.messages: list[ReceivedMail] = []
        self.refused: set[str] = set()
        self.connections = 0
        self._deferrals = 0
        self._accept_first = 0
        self._lock = threading.Lock()
        self._controller: _Controller | None = None

    # ---- control ----

    def start(self) -> RecordingSmtpServer:
        # Made here, not in __init__: a controller owns an event loop that only stop() closes.
        self._controller = _Controller(self, hostname=self.host, port=self.port)
        self._controller.start()
        # Controller.start() opens one connection of its own to see that the server is up.
        with self._lock:
            self.connections = 0
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> RecordingSmtpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def refuse(self, *addresses: str) -> None:
        """Answer RCPT TO for these addresses with 550 (a permanent refusal)."""
        self.refused.update(a.lower() for a in addresses)

    def defer_next(self, count: int = 1, *, after: int = 0) -> None:
        """Answer the next `count` messages with 451 (try again later), once `after` more
        messages have been accepted."""
        with self._lock:
            self._deferrals = count
            self._accept_first = after

    # ---- what arrived ----

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]

    def to(self, address: str) -> list[ReceivedMail]:
        """The messages whose envelope named this recipient."""
        wanted = address.lower()
        return [m for m in self.messages if wanted in (r.lower() for r in m.rcpt_tos)]

    # ---- called from the server's thread ----

    def _connected(self) -> None:
        with self._lock:
            self.connections += 1

    def _arrived(self, envelope: Envelope) -> str:
        with self._lock:
            if self._accept_first > 0:
                self._accept_first -= 1
            elif self._deferrals > 0:
                self._deferrals -= 1
                return "451 4.3.0 Temporary failure, try again later"
        parser = BytesParser(ReceivedMail, policy=policy.default)
        message = parser.parsebytes(envelope.original_content or envelope.content)
        message.mail_from = envelope.mail_from or ""
        message.rcpt_tos = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"
