"""The baseline of the deadline storm: one timer to a shared instant, then one no-op activity.

It carries none of the system's work (no state, no search attributes, no registry, no SMTP),
so the same N of these on the same server and worker settings show what Temporal itself
costs for "N timers fire at once, each schedules one activity".
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from temporalio import activity, workflow

# Wall-clock completion time (time.time()) of each no-op activity, by key, in this process.
COMPLETED: dict[str, float] = {}


@activity.defn
async def skeleton_noop(key: str) -> None:
    COMPLETED.setdefault(key, time.time())


@workflow.defn
class SkeletonWorkflow:
    @workflow.run
    async def run(self, instant_iso: str) -> None:
        remaining = datetime.fromisoformat(instant_iso) - workflow.now()
        if remaining > timedelta(0):  # started with a start delay: the instant has come
            await workflow.sleep(remaining)
        await workflow.execute_activity(
            skeleton_noop, workflow.info().workflow_id, start_to_close_timeout=timedelta(minutes=2)
        )
