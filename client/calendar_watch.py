"""Starting the daily holiday-year check (`workflows/calendar_watch.py`)."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.settings import Settings
from workflows.calendar_watch import CALENDAR_WATCH_ID, CalendarWatchInput, CalendarWatchWorkflow


async def start_calendar_watch(client: Client, settings: Settings) -> bool:
    """Start the check unless it runs already; True when this call started it. The worker
    calls it on every start, so a check that ended (terminated by hand) comes back."""
    try:
        await client.start_workflow(
            CalendarWatchWorkflow.run,
            CalendarWatchInput(effects=settings.effects),
            id=CALENDAR_WATCH_ID,
            task_queue=settings.task_queue,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True
