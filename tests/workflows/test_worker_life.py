"""The worker process as an operator runs it: it waits for Temporal when started first,
and on SIGTERM stops polling, lets running work finish and says so before it exits."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

from domain.settings import PROJECT_ROOT


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _worker(environment: dict[str, str]) -> asyncio.subprocess.Process:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_")}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "worker.py",
        cwd=PROJECT_ROOT,
        env=clean | environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _until(process: asyncio.subprocess.Process, text: str, seconds: float = 30) -> str:
    """The worker's log up to the first line containing `text`."""
    assert process.stderr is not None
    seen = []
    async with asyncio.timeout(seconds):
        while True:
            line = (await process.stderr.readline()).decode()
            assert line, f"the worker exited before logging {text!r}: {''.join(seen)}"
            seen.append(line)
            if text in line:
                return "".join(seen)


async def test_a_worker_started_before_temporal_keeps_trying_then_stops_on_sigterm(tmp_path):
    process = await _worker(
        {
            "ALLIANCE_TEMPORAL_ADDRESS": f"127.0.0.1:{_closed_port()}",
            "ALLIANCE_DATA_DIR": str(tmp_path),
        }
    )
    log = await _until(process, "trying again in 1 s")
    log += await _until(process, "trying again in 2 s")
    assert process.returncode is None  # still waiting, not exited
    process.send_signal(signal.SIGTERM)
    log += await _until(process, "stopped before Temporal could be reached", seconds=10)
    assert await process.wait() == 0
    assert "WARNING worker cannot reach Temporal at 127.0.0.1:" in log
    assert log.startswith("20")  # each line starts with its timestamp


async def test_sigterm_stops_polling_and_the_worker_exits_cleanly(bureau, tmp_path):
    process = await _worker(
        {
            "ALLIANCE_TEMPORAL_ADDRESS": bureau.client.service_client.config.target_host,
            "ALLIANCE_DATABASE_URL": bureau.settings.registry_url(),
            "ALLIANCE_TASK_QUEUE": "worker-life",
            "ALLIANCE_DATA_DIR": str(tmp_path),
            "ALLIANCE_WORKER_GRACE_SECONDS": "5",
        }
    )
    await _until(process, "worker polling task queue worker-life")
    process.send_signal(signal.SIGTERM)
    log = await _until(process, "worker stopped", seconds=15)
    assert "stopping: no new tasks; running activities have 0:00:05 to finish" in log
    assert await process.wait() == 0
