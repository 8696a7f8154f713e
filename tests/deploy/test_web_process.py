"""`alliance web`, as the image runs it: it serves before Temporal answers, and SIGTERM (a
container stop) ends it cleanly with status 0 instead of the signal's 143."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_web_process_serves_without_temporal_and_stops_cleanly_on_sigterm(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_")} | {
        "ALLIANCE_DATA_DIR": str(tmp_path),
        "ALLIANCE_TEMPORAL_ADDRESS": f"127.0.0.1:{_free_port()}",  # nobody listens
        "ALLIANCE_WEB_PORT": str(port),
    }
    subprocess.run([str(BIN / "alliance"), "migrate"], env=env, check=True, capture_output=True)
    web = subprocess.Popen(
        [str(BIN / "alliance"), "web"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                alive = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the web process never served"
                time.sleep(0.2)
        assert alive.status_code == 200
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.status_code == 503 and "temporal" in ready.text
        web.send_signal(signal.SIGTERM)
        assert web.wait(timeout=30) == 0
    finally:
        if web.poll() is None:
            web.kill()
    said = web.stdout.read().decode() if web.stdout else ""
    assert "Finished server process" in said
