"""A notice the relay took is not sent again when the registry cannot record it and the
attempt runs out: the attempt's heartbeat tells its retries, on a real Temporal dev server
(real time, real heartbeats and timeouts), real SMTP and PostgreSQL.

The notice's activity heartbeats only when it must (`activities.email`); this shows that
the one heartbeat it then sends reaches Temporal, that it outlives the worker that sent it,
and that a retry which fails before heartbeating leaves it in place for the next; and that
an attempt slowed down after the relay took its message, which runs out of time while the
registry keeps it waiting, tells its retry too."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from pydantic import BaseModel
from sqlmodel import select
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.effects import EffectActivities
from domain.effects import EffectBatch, EffectOutcome
from local_stack import temporal_cli
from registry.database import session_scope
from registry.tables import EmailMessage
from tests.support.databases import postgres_registry
from tests.support.notices import LEAD, progress_notice
from tests.support.smtp_fixture import settings_for
from tests.support.smtp_server import RecordingSmtpServer
from worker import activities_for


class TimedBatch(BaseModel):
    batch: EffectBatch
    start_to_close_seconds: float = 3
    heartbeat_seconds: float = 2


@workflow.defn(sandboxed=False)
class OneBatch:
    """The effect queue's call, with timeouts short enough for a test."""

    @workflow.run
    async def run(self, job: TimedBatch) -> list[EffectOutcome]:
        return await workflow.execute_activity_method(
            EffectActivities.carry_out_effects,
            job.batch,
            start_to_close_timeout=timedelta(seconds=job.start_to_close_seconds),
            heartbeat_timeout=timedelta(seconds=job.heartbeat_seconds),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=1), backoff_coefficient=1.0
            ),
        )


class RegistryGoneOnArrival(RecordingSmtpServer):
    """Takes the first message, and the registry's email table away with it, at once."""

    def __init__(self, dsn: str) -> None:
        super().__init__()
        self.dsn = dsn

    def _arrived(self, envelope) -> str:  # noqa: ANN001
        answer = super()._arrived(envelope)
        if len(self.messages) == 1:
            with psycopg.connect(self.dsn, autocommit=True) as db:
                db.execute("ALTER TABLE email RENAME TO email_away")
        return answer


class SlowAnswerThenRowLocked(RecordingSmtpServer):
    """Takes the first message, locks its registry row (as a long transaction would) for
    `hold` seconds, and answers after `delay` seconds: an attempt slow past the relay."""

    def __init__(self, dsn: str, delay: float, hold: float) -> None:
        super().__init__()
        self.dsn, self.delay, self.hold = dsn, delay, hold

    def _arrived(self, envelope) -> str:  # noqa: ANN001
        answer = super()._arrived(envelope)
        if len(self.messages) == 1:
            locked = threading.Event()
            threading.Thread(target=self._lock_row, args=(locked,), daemon=True).start()
            locked.wait(5)
            time.sleep(self.delay)
        return answer

    def _lock_row(self, locked: threading.Event) -> None:
        with psycopg.connect(self.dsn) as db:  # one transaction, committed at the end
            db.execute("SELECT 1 FROM email FOR UPDATE")
            locked.set()
            time.sleep(self.hold)


def _notice_batch() -> EffectBatch:
    key = "2026-0001:progress:district_review"
    return EffectBatch(effects=[progress_notice(key, datetime.now(UTC))])


async def _wait_for(handle, what: str, found) -> None:  # noqa: ANN001
    for _ in range(300):
        pending = (await handle.describe()).raw_description.pending_activities
        if pending and found(pending[0]):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the activity never showed {what}")


async def test_a_notice_the_relay_took_is_recorded_by_a_retry_and_never_sent_again(tmp_path):
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=temporal_cli(),
        dev_server_extra_args=["--headless"],
    )

    def worker(settings) -> Worker:  # noqa: ANN001
        return Worker(
            env.client,
            task_queue="notice-once",
            workflows=[OneBatch],
            activities=activities_for(settings),
            workflow_runner=UnsandboxedWorkflowRunner(),
        )

    try:
        with postgres_registry() as url:
            dsn = url.replace("postgresql+psycopg://", "postgresql://")
            with RegistryGoneOnArrival(dsn) as relay:
                settings = settings_for(relay, url, tmp_path)
                async with worker(settings):
                    handle = await env.client.start_workflow(
                        OneBatch.run,
                        TimedBatch(batch=_notice_batch()),
                        id=f"notice-once-{uuid.uuid4().hex[:8]}",
                        task_queue="notice-once",
                    )
                    # The relay took it; the registry cannot record it: the attempt says so
                    # in its heartbeat, and then its worker stops.
                    await _wait_for(handle, "a heartbeat", lambda a: a.heartbeat_details.payloads)
                assert len(relay.to(LEAD)) == 1
                async with worker(settings):
                    # The next attempt fails before it heartbeats; then the registry is back.
                    await _wait_for(handle, "a third attempt", lambda a: a.attempt >= 3)
                    with psycopg.connect(dsn, autocommit=True) as db:
                        db.execute("ALTER TABLE email_away RENAME TO email")

                    [outcome] = await asyncio.wait_for(handle.result(), timeout=60)

                assert outcome.error == ""
                assert len(relay.to(LEAD)) == 1  # the relay's copy is the only one
                with session_scope(url) as session:
                    row = session.exec(select(EmailMessage)).one()
                assert (row.status, row.attempts) == ("sent", 1)
    finally:
        await env.shutdown()


async def test_a_slow_attempt_that_runs_out_after_the_relay_took_its_message_is_not_sent_again(
    tmp_path,
):
    """The relay answers after 1.2 s, then the registry keeps the attempt waiting past its
    6 s: the attempt heartbeated `accepted` on the relay's answer, so its retry records the
    message instead of sending it again (without that heartbeat it would send a second)."""
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=temporal_cli(),
        dev_server_extra_args=["--headless"],
    )
    try:
        with postgres_registry() as url:
            dsn = url.replace("postgresql+psycopg://", "postgresql://")
            with SlowAnswerThenRowLocked(dsn, delay=1.2, hold=9) as relay:
                settings = settings_for(relay, url, tmp_path)
                async with Worker(
                    env.client,
                    task_queue="notice-slow",
                    workflows=[OneBatch],
                    activities=activities_for(settings),
                    workflow_runner=UnsandboxedWorkflowRunner(),
                ):
                    # room for a relay that answers late on a loaded machine
                    handle = await env.client.start_workflow(
                        OneBatch.run,
                        TimedBatch(
                            batch=_notice_batch(), start_to_close_seconds=6, heartbeat_seconds=5
                        ),
                        id=f"notice-slow-{uuid.uuid4().hex[:8]}",
                        task_queue="notice-slow",
                    )
                    await _wait_for(handle, "a second attempt", lambda a: a.attempt >= 2)
                    [outcome] = await asyncio.wait_for(handle.result(), timeout=60)
                assert outcome.error == ""
                assert len(relay.to(LEAD)) == 1
                with session_scope(url) as session:
                    row = session.exec(select(EmailMessage)).one()
                assert (row.status, row.attempts) == ("sent", 1)
    finally:
        await env.shutdown()
