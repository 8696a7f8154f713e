"""The worker: every workflow and activity of the system on one task queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.calendar import CalendarActivities
from activities.certificate import CertificateActivities
from activities.effects import EffectActivities
from activities.email import EmailActivities
from activities.registry import RegistryActivities
from client.calendar_watch import start_calendar_watch
from client.connection import connect
from domain.settings import Settings, get_settings
from observability import Telemetry, start_telemetry
from observability.health import reachable, ready_answer, registry_answers, temporal_answers
from observability.health_server import HealthServer
from observability.metrics import CONTENT_TYPE, SdkMetrics, exposition, system_metrics
from workflows.calendar_watch import CalendarWatchWorkflow
from workflows.recognition import RecognitionWorkflow
from workflows.term import TermWorkflow

log = logging.getLogger("worker")
WORKFLOWS = [RecognitionWorkflow, TermWorkflow, CalendarWatchWorkflow]

# The project's modules the workflow sandbox takes from the worker instead of importing
# them afresh for every workflow run it (re)creates. Without this each new run, and each
# run brought back after leaving the workflow cache, compiled and executed workflows/*.py
# again (40-100 ms of CPU, ~230 KiB per cached run). Both are deterministic and have no
# side effects on import: workflows/ defines classes, constants and search attribute keys
# (no module-level state a run changes), domain/ the pure rules. The stdlib restrictions
# stay the SDK's; the saved histories are replayed under the full sandbox
# (tests/test_replay.py), which still refuses a non-deterministic call in workflow code.
SHARED_WITH_SANDBOX = ("workflows", "domain")


def workflow_runner() -> SandboxedWorkflowRunner:
    """The workflow sandbox, with the project's deterministic modules passed through."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*SHARED_WITH_SANDBOX)
    )


def activities_for(settings: Settings) -> list:
    registry = RegistryActivities(settings)
    calendar = CalendarActivities(settings)
    certificate = CertificateActivities(settings)
    email = EmailActivities(settings)
    effects = EffectActivities(registry, email, certificate)
    return [
        effects.carry_out_effects,
        registry.record_event,
        registry.record_term_event,
        registry.record_deadline,
        calendar.plan_stage_clock,
        calendar.plan_public_notice,
        calendar.plan_approval,
        calendar.holiday_year_warnings,
        certificate.issue_certificate,
        email.send_notice,
    ]


def build_worker(client: Client, settings: Settings, grace: timedelta | None = None) -> Worker:
    """The worker; `grace`: how long a shutdown waits for running activities to finish."""
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities_for(settings),
        graceful_shutdown_timeout=grace or timedelta(0),
        **worker_options(settings),
    )
    log.info(
        "worker tuning: workflow tasks at once %s, activities at once %s, cached workflows "
        "%d, workflow task pollers %s, activity task pollers %s, sticky queue timeout %g s",
        _or_default(settings.worker_max_concurrent_workflow_tasks),
        _or_default(settings.worker_max_concurrent_activities),
        settings.worker_max_cached_workflows,
        _or_default(settings.worker_workflow_task_pollers),
        _or_default(settings.worker_activity_task_pollers),
        settings.worker_sticky_queue_timeout_seconds,
    )
    return worker


def worker_options(settings: Settings) -> dict[str, Any]:
    """The Worker options the system runs with besides its task queue, workflows and
    activities: the sandbox and the capacity the settings set (bench/ uses the same)."""
    return {"workflow_runner": workflow_runner(), **tuning(settings)}


def tuning(settings: Settings) -> dict[str, Any]:
    """The Worker's capacity options the settings set; a 0 leaves the SDK's default. The
    workflow cache is passed as set: 0 is a real choice (no cache: each workflow task
    replays its history, less memory, more load on Temporal); so is the sticky queue's
    time-out (the SDK's 10 s by default)."""
    chosen: dict[str, Any] = {
        "max_cached_workflows": settings.worker_max_cached_workflows,
        "sticky_queue_schedule_to_start_timeout": timedelta(
            seconds=settings.worker_sticky_queue_timeout_seconds
        ),
    }
    if settings.worker_max_concurrent_workflow_tasks:
        chosen["max_concurrent_workflow_tasks"] = settings.worker_max_concurrent_workflow_tasks
    if settings.worker_max_concurrent_activities:
        chosen["max_concurrent_activities"] = settings.worker_max_concurrent_activities
    if settings.worker_workflow_task_pollers:
        chosen["workflow_task_poller_behavior"] = PollerBehaviorSimpleMaximum(
            settings.worker_workflow_task_pollers
        )
    if settings.worker_activity_task_pollers:
        chosen["activity_task_poller_behavior"] = PollerBehaviorSimpleMaximum(
            settings.worker_activity_task_pollers
        )
    return chosen


def _or_default(value: int) -> str:
    return str(value) if value else "SDK default"


async def connect_with_retry(
    settings: Settings, stop: asyncio.Event, telemetry: Telemetry | None = None
) -> Client | None:
    """Reach Temporal, pausing longer after each failure (up to the setting); None when
    asked to stop first. The worker may start before the server does. `telemetry`: the
    process's runtime and tracing interceptors."""
    runtime, interceptors = (telemetry.runtime, telemetry.interceptors) if telemetry else (None, [])
    pause = 1.0
    while not stop.is_set():
        try:
            return await connect(settings, runtime=runtime, interceptors=interceptors)
        except RuntimeError as error:  # "Failed client connect: ..."
            log.warning(
                "cannot reach Temporal at %s (%s); trying again in %.0f s",
                settings.temporal_address,
                str(error).splitlines()[0],
                pause,
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
        pause = min(pause * 2, settings.worker_connect_retry_max_seconds)
    return None


@dataclass
class _Running:
    """What /readyz and /metrics look at, filled in as the worker gets going."""

    client: Client | None = None
    worker: Worker | None = None

    def polling(self) -> bool:
        return self.worker is not None and self.worker.is_running


@contextlib.asynccontextmanager
async def _health_port(
    settings: Settings, running: _Running, sdk_metrics: SdkMetrics | None
) -> AsyncIterator[None]:
    """/healthz, /readyz and /metrics on ALLIANCE_WORKER_HEALTH_HOST:PORT while the
    worker runs (not at all when the port is 0)."""
    if not settings.worker_health_port:
        yield
        return
    url = settings.registry_url()

    async def ready() -> tuple[int, dict[str, str]]:
        registry, temporal = await asyncio.gather(
            asyncio.to_thread(registry_answers, url), temporal_answers(running.client)
        )
        return ready_answer(
            {
                "worker": "ok" if running.polling() else "not polling",
                "temporal": reachable(temporal),
                "registry": reachable(registry),
            }
        )

    async def metrics() -> bytes:
        return exposition(await system_metrics(url, running.client), sdk_metrics)

    server = HealthServer(
        settings.worker_health_host, settings.worker_health_port, ready, metrics, CONTENT_TYPE
    )
    draining = asyncio.create_task(sdk_metrics.keep_drained()) if sdk_metrics else None
    try:
        async with server:
            yield
    finally:
        if draining is not None:
            draining.cancel()


async def main(settings: Settings | None = None) -> None:
    """Run until SIGTERM or SIGINT; then stop polling, let running activities finish within
    the grace period, and say so."""
    settings = settings or get_settings()
    telemetry = start_telemetry(settings, "worker", sdk_metrics=settings.worker_health_port > 0)
    settings.refuse_unsafe_production()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    running = _Running()
    try:
        async with _health_port(settings, running, telemetry.sdk_metrics):
            await _run(settings, stop, telemetry, running)
    finally:
        telemetry.close()


async def _run(
    settings: Settings, stop: asyncio.Event, telemetry: Telemetry, running: _Running
) -> None:
    client = await connect_with_retry(settings, stop, telemetry)
    if client is None:
        log.info("stopped before Temporal could be reached")
        return
    running.client = client
    await start_calendar_watch(client, settings)
    grace = timedelta(seconds=settings.worker_grace_seconds)
    running.worker = build_worker(client, settings, grace)
    async with running.worker:
        log.info(
            "worker polling task queue %s on %s", settings.task_queue, settings.temporal_address
        )
        await stop.wait()
        log.info("stopping: no new tasks; running activities have %s to finish", grace)
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
    # Leave without interpreter teardown, which the SDK's Rust threads can abort (the
    # worker's work is done; see admin.terminal.run_and_exit).
    logging.shutdown()
    os._exit(0)
