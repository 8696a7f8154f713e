"""An SMTP server in a process of its own, for the drills: stopped and started again on the
same port, told to refuse chosen recipients with 550, and logging what it accepted.

Every accepted message appends one JSON line to `--out` (flushed at once, so another
process can follow it): arrival time, Message-ID, the `X-Alliance-Notice-Key` header, the
envelope recipients and the subject. What to refuse, and how long to wait before the reply
to DATA, come from `--control`, a JSON file re-read whenever it changes:

    {"refuse": ["someone@example.org"], "data_delay": 0.3}

A message is logged before the delay: a client that dies while waiting for the reply has
had its message delivered without knowing it, which is how duplicates arise in real life.

    python -m bench.controllable_smtp --port 8025 --out mail.jsonl --control ctl.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import threading
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any, TextIO

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

_HEADERS = BytesParser(policy=policy.default)


class _Control:
    """The control file's settings, read again only when the file changed."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._seen: int | None = None
        self.refused: set[str] = set()
        self.data_delay = 0.0

    def current(self) -> _Control:
        if self._path is None:
            return self
        try:
            changed = os.stat(self._path).st_mtime_ns
        except FileNotFoundError:
            changed = None
        if changed != self._seen:
            self._seen = changed
            settings = json.loads(self._path.read_text()) if changed is not None else {}
            self.refused = {a.lower() for a in settings.get("refuse", [])}
            self.data_delay = float(settings.get("data_delay", 0))
        return self


class _Handler:
    def __init__(self, control: _Control, out: TextIO) -> None:
        self._control = control
        self._out = out

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address.lower() in self._control.current().refused:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        headers = _HEADERS.parsebytes(envelope.original_content or b"", headersonly=True)
        record: dict[str, Any] = {
            "at": time.time(),
            "message_id": str(headers.get("Message-ID", "")).strip(),
            "key": " ".join(str(headers.get("X-Alliance-Notice-Key", "")).split()),
            "recipients": list(envelope.rcpt_tos),
            "subject": str(headers.get("Subject", "")),
        }
        self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._out.flush()
        delay = self._control.current().data_delay
        if delay > 0:
            await asyncio.sleep(delay)
        return "250 Message accepted"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--control", type=Path, default=None)
    args = parser.parse_args(argv)
    with args.out.open("a", encoding="utf-8") as out:
        controller = Controller(
            _Handler(_Control(args.control), out), hostname=args.host, port=args.port
        )
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        controller.start()
        stopped.wait()
        controller.stop()


if __name__ == "__main__":
    main()
