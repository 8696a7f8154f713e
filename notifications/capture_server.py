"""The local SMTP capture server of the one-machine setup: every message becomes a file.

Each message is saved as `<folder>/<UTC timestamp>-<Message-ID>.eml` (open it in any mail
client) and listed in `<folder>/index.txt` as one tab-separated line: time, recipients,
subject. Run it alone with `python -m notifications.capture_server --port 8025 --folder data/mail`.
"""

from __future__ import annotations

import argparse
import re
import signal
import threading
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import TYPE_CHECKING

from admin.local_extra import LocalExtraMissing

if TYPE_CHECKING:  # aiosmtpd comes with the `local` extra, imported when a server starts
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, Envelope, Session


def _file_stem(received: datetime, message_id: str) -> str:
    # Message-IDs hold characters no file system likes; keep a readable, safe part.
    readable = re.sub(r"[^A-Za-z0-9._@-]+", "_", message_id.strip().strip("<>"))[:80]
    return f"{received:%Y%m%dT%H%M%S%fZ}-{readable or 'no-message-id'}"


class _SaveToFolder:
    """aiosmtpd handler writing each message and its index line."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        headers = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
        received = datetime.now(UTC)
        subject = " ".join(str(headers.get("Subject", "")).split())
        # No await below: the server's one event loop writes one message at a time.
        path = self._folder / f"{_file_stem(received, str(headers.get('Message-ID', '')))}.eml"
        path.write_bytes(raw)
        with (self._folder / "index.txt").open("a", encoding="utf-8") as index:
            index.write(
                f"{received.isoformat(timespec='seconds')}\t"
                f"{', '.join(envelope.rcpt_tos)}\t{subject}\n"
            )
        return "250 Message captured"


class MailCapture:
    """An SMTP server on host:port that keeps every message it receives under `folder`."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.folder = folder
        self.host = host
        self.port = port
        self._controller: Controller | None = None

    def start(self) -> None:
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            raise LocalExtraMissing("aiosmtpd (the SMTP capture server)") from None
        self.folder.mkdir(parents=True, exist_ok=True)
        # Made here, not in __init__: a controller owns an event loop that only stop() closes.
        self._controller = Controller(
            _SaveToFolder(self.folder), hostname=self.host, port=self.port
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Capture outgoing mail into .eml files.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--folder", type=Path, default=Path("data/mail"))
    args = parser.parse_args(argv)

    capture = MailCapture(args.folder, args.host, args.port)
    capture.start()
    print(f"Capturing mail on {args.host}:{args.port} into {args.folder.resolve()}", flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    capture.stop()


if __name__ == "__main__":
    main()
