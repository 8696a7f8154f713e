"""A worker process that runs only the storm's skeleton workflow (`bench.skeleton`), with the
system's worker options, so `bench.worker_memory --workflow skeleton` can measure what a
cached workflow costs the SDK and Temporal Core before any of the system's own state.

Settings come from the environment as for `worker.py` (ALLIANCE_TEMPORAL_ADDRESS,
ALLIANCE_TASK_QUEUE, ALLIANCE_WORKER_MAX_CACHED_WORKFLOWS ...); the SDK's metrics are
served by Core's Prometheus exporter on ALLIANCE_WORKER_HEALTH_PORT, where the bench reads
the sticky cache size.

    .venv/bin/python -m bench.skeleton_worker
"""

from __future__ import annotations

import asyncio
import os
import signal

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from bench.skeleton import SkeletonWorkflow, skeleton_noop
from client.connection import connect
from domain.settings import get_settings
from worker import worker_options


async def main() -> None:
    settings = get_settings()
    metrics = PrometheusConfig(bind_address=f"127.0.0.1:{settings.worker_health_port}")
    runtime = Runtime(telemetry=TelemetryConfig(metrics=metrics))
    client = await connect(settings, runtime=runtime)
    stop = asyncio.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signal_number, stop.set)
    options = worker_options(settings)
    if os.environ.get("BENCH_UNSANDBOXED"):  # what the sandbox itself keeps per workflow
        options["workflow_runner"] = UnsandboxedWorkflowRunner()
    async with Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[SkeletonWorkflow],
        activities=[skeleton_noop],
        **options,
    ):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
