"""The worker's health port as a monitor and an orchestrator use it: /healthz while the
process runs, /readyz naming what is down, /metrics with the SDK's and the system's
metrics; and its log as JSON lines when asked."""

from __future__ import annotations

import asyncio
import json
import signal

import httpx
import pytest

from tests.workflows.test_worker_life import _closed_port, _until, _worker


async def _get(port: int, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as monitor:
        return await monitor.get(path)


async def _stop(process: asyncio.subprocess.Process) -> str:
    """SIGTERM, then the rest of the worker's log once it has exited."""
    process.send_signal(signal.SIGTERM)
    assert process.stderr is not None
    rest = await asyncio.wait_for(process.stderr.read(), 15)
    assert await process.wait() == 0
    return rest.decode()


def _worker_environment(bureau, tmp_path, port: int, **more: str) -> dict[str, str]:
    return {
        "ALLIANCE_TEMPORAL_ADDRESS": bureau.client.service_client.config.target_host,
        "ALLIANCE_DATABASE_URL": bureau.settings.registry_url(),
        "ALLIANCE_TASK_QUEUE": "worker-health",
        "ALLIANCE_DATA_DIR": str(tmp_path),
        "ALLIANCE_WORKER_HEALTH_PORT": str(port),
        "ALLIANCE_WORKER_GRACE_SECONDS": "2",
    } | more


async def test_before_temporal_answers_the_worker_is_alive_but_not_ready_and_says_why(tmp_path):
    port = _closed_port()
    process = await _worker(
        {
            "ALLIANCE_TEMPORAL_ADDRESS": f"127.0.0.1:{_closed_port()}",
            "ALLIANCE_DATA_DIR": str(tmp_path),
            "ALLIANCE_WORKER_HEALTH_PORT": str(port),
        }
    )
    await _until(process, f"health and metrics on http://127.0.0.1:{port}")

    alive = await _get(port, "/healthz")
    ready = await _get(port, "/readyz")
    assert alive.status_code == 200
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "worker": "not polling",
        "temporal": "unreachable",
        "registry": "ok",
    }
    assert (await _get(port, "/nothing")).status_code == 404

    await _stop(process)
    with pytest.raises(httpx.ConnectError):  # the port closes with the worker
        await _get(port, "/healthz")


async def test_a_polling_worker_is_ready_shows_sdk_metrics_and_logs_json_lines(bureau, tmp_path):
    port = _closed_port()
    process = await _worker(_worker_environment(bureau, tmp_path, port, ALLIANCE_LOG_FORMAT="json"))
    log = await _until(process, "worker polling task queue worker-health")

    ready = await _get(port, "/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "worker": "ok", "temporal": "ok", "registry": "ok"}
    # the calendar watch the worker starts runs a workflow task and an activity on it
    for _ in range(100):
        metrics = (await _get(port, "/metrics")).text
        if "temporal_activity_execution_latency_count" in metrics:
            break
        await asyncio.sleep(0.1)
    assert "temporal_workflow_task_execution_latency_bucket{" in metrics
    assert "temporal_activity_execution_latency_count{" in metrics
    assert 'alliance_metrics_source_up{source="registry"} 1.0' in metrics
    assert "process_resident_memory_bytes" in metrics

    log += await _stop(process)
    lines = [json.loads(line) for line in log.splitlines()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert lines[0]["time"][:2] == "20" and lines[0]["time"][-6] in "+-"  # ISO, with its zone
    assert any(line["message"] == "worker stopped" for line in lines)


async def test_when_the_registry_database_is_down_readyz_names_it(bureau, tmp_path):
    port = _closed_port()
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/registry"
    process = await _worker(_worker_environment(bureau, tmp_path, port, ALLIANCE_DATABASE_URL=dead))
    await _until(process, "worker polling task queue worker-health")

    ready = await _get(port, "/readyz")
    metrics = (await _get(port, "/metrics")).text
    await _stop(process)
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "worker": "ok",
        "temporal": "ok",
        "registry": "unreachable",
    }
    assert 'alliance_metrics_source_up{source="registry"} 0.0' in metrics
