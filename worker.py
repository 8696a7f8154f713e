"""The worker: every workflow and activity of the system on one task queue."""

from __future__ import annotations

import asyncio
import logging

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


def build_worker(client: Client, settings: Settings) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities_for(settings),
    )


async def main(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    client = await connect(settings)
    logging.info(
        "worker polling task queue %s on %s", settings.task_queue, settings.temporal_address
    )
    await start_calendar_watch(client, settings)
    await build_worker(client, settings).run()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(main())
