"""History events and billable actions of one five-year term, on simulated time.

One alliance (the sample application's) is recognised today: its `TermWorkflow` starts
directly from a `TermState` beginning today, on Temporal's time-skipping test server, with
the real worker (`worker.build_worker`), a SQLite registry and the project's MailCapture.
The scenario: each annual report is submitted on time, just after its first (30-day)
reminder; the mid-term assessment opens, materials are handed in, graded "good"; the final
assessment likewise, graded "pass" (a renewed certificate); the term runs out and the
workflow renews into term 2. The run stops once term 2 has started (announced, waiting).

Every run of the workflow id is then read back, following each continue-as-new event's
`new_execution_run_id` from the first run, and counted.

Billable action estimate (Temporal Cloud's kinds of action, one per history event below):
  WorkflowExecutionStarted (first run only; a continued run's start is the CAN action),
  WorkflowExecutionContinuedAsNew, ActivityTaskScheduled (+1 per retry attempt seen in
  ActivityTaskStarted.attempt), TimerStarted, WorkflowExecutionSignaled,
  WorkflowExecutionUpdateAccepted, UpsertWorkflowSearchAttributes.
Not counted: queries (the driver's polling is not the system's), updates rejected by a
validator (not in history), workflow tasks and other events, and the upsert of
TemporalChangeVersion alone that the SDK makes for `workflow.patched` ("The
TemporalChangeVersion Search Attribute, used for Workflow versioning, is also exempt from
Action counting": docs.temporal.io/cloud/actions).

    .venv/bin/python -m bench.term_history [--review]
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from sqlmodel import func, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from admin.simulation import register_search_attributes, test_server_path
from client.alliances import act, workflow_id_for
from domain.application_file import load_application_file
from domain.effects import Outbox
from domain.procedure import Actor, Role
from domain.settings import PROJECT_ROOT, Settings
from domain.shanghai_time import SHANGHAI, at_local, end_of_day, local_date
from domain.term import (
    AnnualReportReview,
    AnnualReportSubmission,
    AssessmentKind,
    AssessmentMaterials,
    AssessmentResult,
    Grade,
    ResourceStatistics,
    TermState,
    assessment_opens,
    report_years,
    term_end_for,
)
from local_stack import SEARCH_ATTRIBUTES
from notifications.capture_server import MailCapture
from registry.database import session_scope, upgrade_schema
from registry.tables import Alliance
from registry.tables import EmailMessage as EmailRecord
from worker import build_worker
from workflows.term import TermInput, TermWorkflow

SAMPLE = PROJECT_ROOT / "samples" / "application-sample.yaml"
ALLIANCE = Actor(name="联盟秘书处", role=Role.APPLICANT)
STAFF = Actor(name="钱职员", role=Role.BUREAU_STAFF)
REPORT_SAMPLE = PROJECT_ROOT / "samples" / "annual-report-sample.yaml"
STATS = ResourceStatistics(
    **yaml.safe_load(REPORT_SAMPLE.read_text(encoding="utf-8"))["statistics"]
)

E = EventType
ACTION_EVENTS = {
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "continue-as-new",
    E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activity",
    E.EVENT_TYPE_TIMER_STARTED: "timer",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "signal",
    E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "update",
    E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: "upsert SA",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def new_id() -> str:
    return uuid.uuid4().hex


class Driver:
    """Moves simulated time and acts as the alliance and the bureau's staff."""

    def __init__(self, env: WorkflowEnvironment, settings: Settings, code: str) -> None:
        self.env = env
        self.client: Client = env.client
        self.url = settings.registry_url()
        self.code = code

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def sleep_until(self, instant: datetime) -> None:
        remaining = instant - await self.now()
        if remaining > timedelta(0):
            await self.env.sleep(remaining)

    def sent(self, purpose: str) -> int:
        with session_scope(self.url) as session:
            return session.exec(
                select(func.count()).where(
                    EmailRecord.purpose == purpose, EmailRecord.status == "sent"
                )
            ).one()

    async def wait_for_mail(self, purpose: str, count: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while self.sent(purpose) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"no {count}. '{purpose}' notice within {seconds:.0f} s")
            await asyncio.sleep(0.05)

    async def state(self) -> TermState | None:
        try:
            return await self.client.get_workflow_handle(workflow_id_for(self.code)).query(
                TermWorkflow.state
            )
        except Exception:  # a run is closing into the next one
            return None

    async def wait_for_state(self, check, seconds: float = 30) -> TermState:
        deadline = time.monotonic() + seconds
        while True:
            state = await self.state()
            if state is not None and check(state):
                return state
            if time.monotonic() > deadline:
                raise SystemExit(f"the term state did not reach the expected point: {state}")
            await asyncio.sleep(0.05)

    async def report(self, year: int, reminders_seen: int, review: bool) -> None:
        reminder = at_local(date(year, 12, 31) - timedelta(days=30), 9)
        await self.sleep_until(reminder + timedelta(hours=2))
        await self.wait_for_mail("report_reminder", reminders_seen)
        await act(
            self.client,
            self.code,
            "submit_annual_report",
            AnnualReportSubmission(
                request_id=new_id(),
                actor=ALLIANCE,
                year=year,
                summary="年度总结：完成三项共性技术攻关",
                next_year_plan="下一年度计划：推进两项标准制定",
                statistics=STATS,
            ),
        )
        if review:
            await act(
                self.client,
                self.code,
                "review_annual_report",
                AnnualReportReview(request_id=new_id(), actor=STAFF, year=year, accepted=True),
            )

    async def assessment(self, opens: datetime, kind: AssessmentKind, grade: Grade) -> None:
        await self.sleep_until(opens + timedelta(hours=1))
        await self.wait_for_state(lambda s: s.assessment(kind) is not None)
        await act(
            self.client,
            self.code,
            "submit_assessment_materials",
            AssessmentMaterials(request_id=new_id(), actor=ALLIANCE, kind=kind, summary="自评报告"),
        )
        await act(
            self.client,
            self.code,
            "record_assessment",
            AssessmentResult(
                request_id=new_id(), actor=STAFF, kind=kind, grade=grade, opinion="专家组意见"
            ),
        )


@dataclass
class Run:
    run_id: str
    term_no: int
    started: datetime
    closed_by: str  # continued-as-new | running | ...
    events: int
    actions: int
    size: int  # serialized bytes of the events
    by_kind: Counter
    sequence: list[str]  # the run's billable events in order, for --events


async def read_runs(client: Client, workflow_id: str, first_run_id: str) -> list[Run]:
    runs: list[Run] = []
    run_id: str | None = first_run_id
    for _ in range(100):  # a term has a handful of runs; bounded all the same
        if run_id is None:
            break
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        events = history.events
        started = events[0].workflow_execution_started_event_attributes
        (term_input,) = await client.data_converter.decode(started.input.payloads, [TermInput])
        kinds: Counter = Counter()
        sequence: list[str] = []
        for event in events:
            kind = ACTION_EVENTS.get(event.event_type)
            if event.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED and not runs:
                kind = "workflow start"
            if kind == "upsert SA" and _only_change_version(event):
                kind = None  # the SDK's record of `workflow.patched`: not billed
                sequence.append("(version marker)")
            if kind:
                kinds[kind] += 1
                sequence.append(describe(event, kind))
            if event.event_type == E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                retries = event.activity_task_started_event_attributes.attempt - 1
                if retries > 0:
                    kinds["activity retry"] += retries
        last = events[-1]
        next_run = None
        if last.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            closed_by = "continued-as-new"
            next_run = (
                last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            )
        elif last.event_type in (
            E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
            E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
            E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
            E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
            E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        ):
            closed_by = EventType.Name(last.event_type).removeprefix("EVENT_TYPE_").lower()
        else:
            closed_by = "running"
        runs.append(
            Run(
                run_id=run_id,
                term_no=term_input.state.term_no,
                started=events[0].event_time.ToDatetime(tzinfo=UTC),
                closed_by=closed_by,
                events=len(events),
                actions=sum(kinds.values()),
                size=sum(e.ByteSize() for e in events),
                by_kind=kinds,
                sequence=sequence,
            )
        )
        run_id = next_run
    return runs


def _only_change_version(event) -> bool:
    fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
    return set(fields.indexed_fields) == {"TemporalChangeVersion"}


def describe(event, kind: str) -> str:
    """One billable event in words: a timer's length, an activity's type, an upsert's keys."""
    if event.event_type == E.EVENT_TYPE_TIMER_STARTED:
        seconds = event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        return f"timer {seconds}"
    if event.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        return f"activity {event.activity_task_scheduled_event_attributes.activity_type.name}"
    if event.event_type == E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
        return "upsert " + ",".join(sorted(fields.indexed_fields))
    if event.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        name = event.workflow_execution_update_accepted_event_attributes.accepted_request.input
        return f"update {name.name}"
    return kind


async def wait_until_idle(client: Client, workflow_id: str, seconds: float = 30) -> None:
    """Until the latest run waits on a timer with its outbox empty (the term's next step)."""
    deadline = time.monotonic() + seconds
    resting = (
        E.EVENT_TYPE_TIMER_STARTED,
        E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
        E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,  # set once the step's effects are done
    )
    handle = client.get_workflow_handle(workflow_id)
    while time.monotonic() < deadline:
        history = await handle.fetch_history()
        started = sum(e.event_type == E.EVENT_TYPE_TIMER_STARTED for e in history.events)
        if history.events and history.events[-1].event_type in resting and started:
            outbox = await handle.query("outbox", result_type=Outbox)
            if not outbox.pending:
                return
        await asyncio.sleep(0.1)
    raise SystemExit("the term-2 run did not come to rest on a timer")


def print_runs(
    runs: list[Run], command: str, scenario: list[str], mail: Counter, show_events: bool
) -> None:
    kinds = [
        "workflow start",
        "continue-as-new",
        "activity",
        "activity retry",
        "timer",
        "update",
        "signal",
        "upsert SA",
    ]
    print("\n=== term history results ===")
    print(f"command : {command}")
    print("scenario: " + "; ".join(scenario))
    header = (
        f"{'run':>3} {'term':>4} {'started (Beijing)':<17} {'closed by':<17} {'events':>6}"
        f" {'bytes':>7} {'actions':>7}  " + " ".join(f"{k[:8]:>8}" for k in kinds)
    )
    print(header)
    print("-" * len(header))
    for i, run in enumerate(runs, start=1):
        print(
            f"{i:>3} {run.term_no:>4} {run.started.astimezone(SHANGHAI):%Y-%m-%d %H:%M} "
            f"{run.closed_by:<17} {run.events:>6} {run.size:>7} {run.actions:>7}  "
            + " ".join(f"{run.by_kind.get(k, 0):>8}" for k in kinds)
        )
    print("-" * len(header))
    for label, chosen in (
        ("term 1 (all its runs)", [r for r in runs if r.term_no == 1]),
        ("term 2 start (so far)", [r for r in runs if r.term_no == 2]),
        ("all runs", runs),
    ):
        total = Counter()
        for r in chosen:
            total += r.by_kind
        print(
            f"{label:<23}: runs {len(chosen)}, events {sum(r.events for r in chosen)}, "
            f"bytes {sum(r.size for r in chosen)}, actions {sum(r.actions for r in chosen)} ("
            + ", ".join(f"{k} {total[k]}" for k in kinds if total[k])
            + ")"
        )
    if show_events:
        for i, run in enumerate(runs, start=1):
            print(f"run {i}: " + "; ".join(run.sequence))
    print("notices sent: " + ", ".join(f"{p} {n}" for p, n in sorted(mail.items())))
    print(
        "actions rule: first run's start, each continue-as-new, activity scheduled (+retries),"
        " timer started, update accepted, signal, search-attribute upsert"
        " (not TemporalChangeVersion"
        " alone); queries not counted."
    )


async def run(args) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-term-"))
    settings = Settings(
        data_dir=folder,
        database_url="",
        task_queue="alliance",
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        smtp_username="",
        smtp_password="",
        smtp_tls=False,
        smtp_starttls=False,
    )
    url = settings.registry_url()
    upgrade_schema(url)
    app = load_application_file(SAMPLE)
    code = "2026-0001"  # 联盟编号: this benchmark starts the term without the registry
    mail = MailCapture(folder / "mail", settings.smtp_host, settings.smtp_port)
    mail.start()
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=test_server_path()
    )
    scenario: list[str] = []
    try:
        await register_search_attributes(env.client, SEARCH_ATTRIBUTES)
        now = await env.get_current_time()
        today = local_date(now)
        state = TermState(
            alliance_code=code,
            alliance_name=app.alliance_name,
            district=app.district,
            lead_unit=app.lead_unit,
            members=app.members,
            contacts=app.contacts,
            term_start=today,
            term_end=term_end_for(today),
            tracking_from=now,
        )
        with session_scope(url) as session:
            session.add(
                Alliance(
                    code=code,
                    name=app.alliance_name,
                    district=app.district.value,
                    lead_unit=app.lead_unit,
                    status="recognised",
                    workflow_id=workflow_id_for(code),
                    recognised_on=today,
                    contact_emails=app.recipient_emails(),
                    created_at=now,
                    updated_at=now,
                )
            )
        driver = Driver(env, settings, code)
        wid = workflow_id_for(code)
        async with build_worker(env.client, settings):
            handle = await env.client.start_workflow(
                TermWorkflow.run, TermInput(state=state), id=wid, task_queue=settings.task_queue
            )
            first_run = handle.first_execution_run_id or handle.result_run_id
            await driver.wait_for_mail("term_started", 1)
            years = report_years(state)
            steps = [
                (at_local(date(y, 12, 31) - timedelta(days=30), 9), "report", y) for y in years
            ]
            steps.append((assessment_opens(state, AssessmentKind.MIDTERM), "midterm", Grade.GOOD))
            steps.append((assessment_opens(state, AssessmentKind.FINAL), "final", Grade.PASS))
            scenario.append(f"term 1 {state.term_start}–{state.term_end}")
            reminders = 0
            for at, what, detail in sorted(steps, key=lambda s: s[0]):
                if what == "report":
                    reminders += 1
                    await driver.report(detail, reminders, args.review)
                    scenario.append(
                        f"report {detail} after reminder" + (" + accepted" if args.review else "")
                    )
                else:
                    kind = AssessmentKind.MIDTERM if what == "midterm" else AssessmentKind.FINAL
                    await driver.assessment(at, kind, detail)
                    scenario.append(f"{what} {local_date(at)}: {detail.value}")
            await driver.sleep_until(end_of_day(state.term_end) + timedelta(days=2))
            second = await driver.wait_for_state(lambda s: s.term_no == 2)
            await driver.wait_for_mail("term_started", 2)
            await wait_until_idle(env.client, wid)
            scenario.append(f"renewed: term 2 from {second.term_start}")
            runs = await read_runs(env.client, wid, first_run)
            with session_scope(url) as session:
                rows = session.exec(
                    select(EmailRecord.purpose, func.count())
                    .where(EmailRecord.status == "sent")
                    .group_by(EmailRecord.purpose)
                ).all()
    finally:
        await env.shutdown()
        mail.stop()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    command = f"cd {shlex.quote(str(PROJECT_ROOT))} && .venv/bin/python -m bench.term_history " + (
        shlex.join(sys.argv[1:])
    )
    print_runs(runs, command.rstrip(), scenario, Counter(dict(rows)), args.events)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="events and actions of one five-year term")
    parser.add_argument(
        "--review",
        action="store_true",
        help="staff also accept each annual report (one more update each)",
    )
    parser.add_argument(
        "--events", action="store_true", help="list each run's billable events in order"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
