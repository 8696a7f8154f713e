"""A light SMTP server for benchmarks: accepts every message, keeps nothing but a log line.

Each accepted message appends `<unix time>\t<recipients>\t<X-Alliance-Notice-Key>` to the
output file (flushed per message), so another process can follow arrivals. It runs in its
own process so that receiving mail does not share the worker's interpreter lock.

    python -m bench.smtp_sink --port 8025 --out arrivals.tsv
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller

_PARSER = BytesParser(policy=policy.default)


class _Log:
    def __init__(self, out) -> None:  # noqa: ANN001
        self._out = out

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001
        received = time.time()
        headers = _PARSER.parsebytes(envelope.original_content or b"", headersonly=True)
        key = " ".join(str(headers.get("X-Alliance-Notice-Key", "")).split())
        self._out.write(f"{received:.6f}\t{len(envelope.rcpt_tos)}\t{key}\n")
        self._out.flush()
        return "250 OK"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    with args.out.open("a", encoding="utf-8") as out:
        controller = Controller(_Log(out), hostname=args.host, port=args.port)
        controller.start()
        out.write("#ready\n")
        out.flush()
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        stopped.wait()
        controller.stop()


if __name__ == "__main__":
    main()
