"""The system under test on Temporal's time-skipping server, with real SMTP and registry."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from email.message import EmailMessage

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from admin.simulation import (
    approval_document,
    expert_review,
    latest_run_id,
    meeting_decision,
    recommendation,
    register_search_attributes,
    test_server_path,
    until_continued,
)
from admin.simulation import request_id as new_id  # noqa: F401  (tests import it from here)
from client.alliances import (
    act,
    alliance_code_of,
    assign_code,
    submit_application,
    workflow_id_for,
)
from domain.application import Application
from domain.application_file import load_application_file
from domain.effects import Outbox
from domain.procedure import (
    FINAL_STAGES,
    Actor,
    ProcedureState,
    Role,
    Stage,
)
from domain.settings import PROJECT_ROOT, Settings
from domain.shanghai_time import at_local
from domain.term import TermState
from local_stack import SEARCH_ATTRIBUTES
from tests.support.databases import limit_in_registry
from workflows.recognition import RecognitionResult, RecognitionWorkflow
from workflows.term import TermWorkflow

SAMPLE = PROJECT_ROOT / "samples" / "application-sample.yaml"
HISTORIES = PROJECT_ROOT / "tests" / "histories"  # at the top: release 1.0.0's, kept as they are
RECORDED_NOW = HISTORIES / "1.2"  # the current code's, recorded by `keep_history`


async def start_time_skipping() -> WorkflowEnvironment:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=test_server_path(),
    )
    await register_search_attributes(env.client, SEARCH_ATTRIBUTES)
    return env


def sample_application() -> Application:
    return load_application_file(SAMPLE)


def subject_of(message: EmailMessage) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


@dataclass
class Bureau:
    """The bureau's system as the tests drive it: submit, act as staff, read the mail."""

    env: WorkflowEnvironment
    settings: Settings
    smtp: object  # tests.support.smtp_server.RecordingSmtpServer
    procedure_runs: dict[str, str] = field(default_factory=dict)

    @property
    def client(self) -> Client:
        return self.env.client

    async def submit(self, application: Application | None = None) -> str:
        application = application or sample_application()
        handle = await submit_application(
            self.client,
            self.settings,
            application,
            Actor(name=application.lead_unit, role=Role.APPLICANT),
        )
        code = alliance_code_of(handle.id)
        self.procedure_runs[code] = handle.result_run_id
        return code

    def code_of(self, application: Application) -> str:
        """The 联盟编号 the registry assigned to this application's alliance."""
        return assign_code(self.settings, application)

    async def track(self, code: str) -> None:
        """Remember the procedure run of an alliance submitted some other way (the CLI)."""
        described = await self.client.get_workflow_handle(workflow_id_for(code)).describe()
        self.procedure_runs[code] = described.run_id

    def handle(self, code: str) -> WorkflowHandle:
        """The recognition procedure's own run (the id moves on to the term afterwards)."""
        return self.client.get_workflow_handle_for(
            RecognitionWorkflow.run, workflow_id_for(code), run_id=self.procedure_runs.get(code)
        )

    def term_handle(self, code: str) -> WorkflowHandle:
        """The workflow id's latest run: the term, once the alliance is recognised."""
        return self.client.get_workflow_handle_for(TermWorkflow.run, workflow_id_for(code))

    async def term_state(self, code: str) -> TermState:
        return await self.term_handle(code).query(TermWorkflow.state)

    async def result(self, code: str, step: timedelta = timedelta(hours=6)):
        """The workflow's result, moving simulated time on until it has ended; staff record
        the approval document on the first working day after the notice (9.5).

        Time is skipped explicitly: after an update the time-skipping server does not
        always skip on its own while a client waits for a result.
        """
        for _ in range(4 * 365):
            state = await self.state(code)
            staff_record = not state.rules.approval_numbered_by_system
            if state.stage == Stage.APPROVAL and state.approval_plan and staff_record:
                await self.record_approval(code)
                await self.settled(code)  # the term's first records and notice
                continue
            if state.stage in FINAL_STAGES:
                # A recognised procedure continues as new into the term, so its outcome
                # is read from its final state rather than from a result.
                return RecognitionResult(
                    alliance_code=code, stage=state.stage, recognition=state.recognition
                )
            await self.env.sleep(step)
        raise AssertionError(f"workflow of {code} still running after a simulated year")

    async def keep_history(self, code: str, name: str, workflow_id: str = "") -> None:
        """Save this run's history for the replay tests when ALLIANCE_RECORD_HISTORIES=1.

        Saved histories are committed; replaying them proves a change to the workflow
        code still reproduces the commands of workflows already running. They go to
        `tests/histories/1.2/`; release 1.0.0's stay at the top of `tests/histories/`, and
        those of the code between (the `fewer-actions` patch alone) in `1.1/`.
        """
        if os.environ.get("ALLIANCE_RECORD_HISTORIES") != "1":
            return
        handle = self.client.get_workflow_handle(workflow_id) if workflow_id else self.handle(code)
        history = await handle.fetch_history()
        RECORDED_NOW.mkdir(parents=True, exist_ok=True)
        (RECORDED_NOW / f"{name}.json").write_text(history.to_json(), encoding="utf-8")

    async def settled(self, code: str, seconds: float = 15) -> Outbox:
        """Wait (real time) until the alliance's queued effects are done: registry rows
        and emails are written after the action has answered."""
        handle = self.client.get_workflow_handle(workflow_id_for(code))
        deadline = time.monotonic() + seconds
        while True:
            outbox = await handle.query("outbox", result_type=Outbox)
            if not outbox.pending or time.monotonic() > deadline:
                return outbox
            await asyncio.sleep(0.05)

    async def state(self, code: str) -> ProcedureState:
        return await self.handle(code).query(RecognitionWorkflow.state)

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def act(self, code: str, update: str, action):
        return await act(self.client, code, update, action)

    async def wait_for_state(self, code: str, check, seconds: float = 15) -> ProcedureState:
        """Poll the workflow's state (real time) until `check(state)` holds."""
        deadline = time.monotonic() + seconds
        while True:
            state = await self.state(code)
            if check(state) or time.monotonic() > deadline:
                return state
            await asyncio.sleep(0.05)

    async def wait_for_mail(
        self, purpose: str, count: int = 1, seconds: float = 15
    ) -> list[EmailMessage]:
        deadline = time.monotonic() + seconds
        while True:
            found = self.mails(purpose)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.05)

    async def wait_for_notices(self, purpose: str, count: int, seconds: float = 15) -> set[str]:
        """The keys of the notices of `purpose` that arrived, once `count` different ones
        have (a notice may arrive twice: delivery is at least once)."""
        deadline = time.monotonic() + seconds
        while True:
            keys = {m["X-Alliance-Notice-Key"] for m in self.mails(purpose)}
            if len(keys) >= count or time.monotonic() > deadline:
                return keys
            await asyncio.sleep(0.05)

    def mails(self, purpose: str | None = None) -> list[EmailMessage]:
        """Messages that arrived at the SMTP server, optionally of one purpose."""
        return [
            m
            for m in self.smtp.messages
            if purpose is None or m["X-Alliance-Notice-Key"].split(":")[2] == purpose
        ]

    def limit_in_registry(self, code: str) -> tuple[datetime | None, datetime | None]:
        return limit_in_registry(self.settings.registry_url(), code)

    async def sleep(self, duration: timedelta) -> None:
        await self.env.sleep(duration)

    # ---- the staff of each step, acting as a test scenario needs

    async def at_director_meeting(self) -> str:
        """Submit the sample and take it through district and expert review."""
        application = sample_application()
        code = await self.submit(application)
        await self.recommend(code, application.district)
        await self.pass_expert_review(code)
        return code

    async def recognise(self) -> str:
        """The sample taken to recognition; returns once its five-year term has started."""
        code = await self.at_director_meeting()
        await self.approve_at_meeting(code)
        await self.result(code)
        await self.wait_for_mail("term_started")
        await self.wait_for_term(code, lambda s: True)
        return code

    async def wait_for_term(self, code: str, check, seconds: float = 15) -> TermState:
        """Poll the term's state (real time) until `check(state)` holds."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                state = await self.term_state(code)
            except Exception:  # the procedure's run is still closing
                state = None
            if (state is not None and check(state)) or time.monotonic() > deadline:
                return state
            await asyncio.sleep(0.05)

    async def wait_for_new_run(self, code: str, old_run_id: str, seconds: float = 15) -> None:
        """Poll (real time) until the workflow id has continued as new past `old_run_id`."""
        deadline = time.monotonic() + seconds
        while (await self.term_handle(code).describe()).run_id == old_run_id:
            assert time.monotonic() < deadline, f"{code} did not continue as new"
            await asyncio.sleep(0.05)

    async def sleep_until(self, instant: datetime) -> None:
        remaining = instant - await self.now()
        if remaining > timedelta(0):
            await self.sleep(remaining)

    async def recommend(self, code: str, district) -> None:
        application = sample_application()
        application.district = district
        await self.act(code, "district_review", recommendation(application))

    async def pass_expert_review(self, code: str, passed: bool = True) -> None:
        await self.act(code, "expert_review", expert_review(passed))

    async def approve_at_meeting(self, code: str, approved: bool = True) -> None:
        await self.act(code, "meeting_decision", meeting_decision(await self.now(), approved))

    async def record_approval(self, code: str, number: str = "") -> ProcedureState:
        """Staff record the approval document at 10:00 on the first working day after the
        notice, dated that day (9.5); returns the state in which they did, once the
        certificate is back and the id has continued as new into the term."""
        for _ in range(4 * 60):  # six-hour steps to the end of the notice and its objections
            state = await self.state(code)
            if state.approval_plan is not None:
                break
            await self.sleep(timedelta(hours=6))
        else:
            raise AssertionError(f"{code} did not reach the approval document: {state.stage}")
        day = state.approval_plan.first_day
        await self.sleep_until(at_local(day, 10))
        procedure_run = await latest_run_id(self.client, workflow_id_for(code))
        await self.act(code, "record_approval", approval_document(day, number))
        await until_continued(self.client, workflow_id_for(code), procedure_run)
        return state
