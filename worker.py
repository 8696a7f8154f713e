"""The worker: every workflow and activity of the system on one task queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.calendar import CalendarActivities
from activities.certificate import CertificateActivities
from activities.email import EmailActivities
from activities.registry import RegistryActivities
from client.calendar_watch import start_calendar_watch
from client.connection import connect
from domain.settings import Settings, get_settings
from workflows.calendar_watch import CalendarWatchWorkflow
from workflows.recognition import RecognitionWorkflow
from workflows.term import TermWorkflow

log = logging.getLogger("worker")
WORKFLOWS = [RecognitionWorkflow, TermWorkflow, CalendarWatchWorkflow]


def activities_for(settings: Settings) -> list:
    registry = RegistryActivities(settings)
    calendar = CalendarActivities(settings)
    certificate = CertificateActivities(settings)
    email = EmailActivities(settings)
    return [
        registry.record_event,
        registry.record_term_event,
        calendar.plan_stage_clock,
        calendar.plan_public_notice,
        calendar.plan_approval,
        calendar.holiday_year_warnings,
        certificate.issue_certificate,
        email.send_notice,
    ]


def build_worker(client: Client, settings: Settings, grace: timedelta | None = None) -> Worker:
    """The worker; `grace`: how long a shutdown waits for running activities to finish."""
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities_for(settings),
        graceful_shutdown_timeout=grace or timedelta(0),
    )


async def connect_with_retry(settings: Settings, stop: asyncio.Event) -> Client | None:
    """Reach Temporal, pausing longer after each failure (up to the setting); None when
    asked to stop first. The worker may start before the server does."""
    pause = 1.0
    while not stop.is_set():
        try:
            return await connect(settings)
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


async def main(settings: Settings | None = None) -> None:
    """Run until SIGTERM or SIGINT; then stop polling, let running activities finish within
    the grace period, and say so."""
    settings = settings or get_settings()
    settings.refuse_unsafe_production()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    client = await connect_with_retry(settings, stop)
    if client is None:
        log.info("stopped before Temporal could be reached")
        return
    await start_calendar_watch(client, settings)
    grace = timedelta(seconds=settings.worker_grace_seconds)
    async with build_worker(client, settings, grace):
        log.info(
            "worker polling task queue %s on %s", settings.task_queue, settings.temporal_address
        )
        await stop.wait()
        log.info("stopping: no new tasks; running activities have %s to finish", grace)
    log.info("worker stopped")


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    asyncio.run(main())
