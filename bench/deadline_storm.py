"""Deadline storm: N alliances whose next term milestone falls due at the same instant.

Everything is real and local: the Temporal CLI dev server (a subprocess on free loopback
ports, SQLite file in a temp dir, the system's search attributes), the system's worker
(`worker.build_worker`, same workflows and activities), a SQLite registry migrated with
Alembic holding the N alliance rows, and an SMTP server (`bench.smtp_sink`, a separate
process that logs the arrival time of each message; or the project's MailCapture with
`--smtp capture`).

Two phases run one after the other on the same server with the same worker options (the
shipped ones, `worker.worker_options`: sandbox, cache, slots, pollers; or --worker-option):

1. storm: N `TermWorkflow`s, each with a one-notice milestone at the shared instant.
   Measured: seconds from the instant until the SMTP server has accepted the last notice.
2. skeleton: N `bench.skeleton.SkeletonWorkflow`s (a timer to a shared instant, then one
   no-op activity). Measured: seconds from the instant until the last no-op completed.

Why two modes (`--mode`): a report reminder is always at 09:00 Beijing time
(`domain.term._before`), so it cannot be placed "90 s from now" unless the benchmark runs
just before 09:00 Beijing.
- `timer` (default): the milestone is a returned report's resubmission deadline
  (`report:<year>:resubmission_overdue`), whose instant is free; the term workflow sleeps on
  its own timer and at the instant sends one notice through the same `send_notices`
  activity a reminder uses (one message; alliance + staff recipients).
- `reminder`: the milestone is a real report reminder (an extra reminder day is put in the
  term rules so that one fell due at the last 09:00 Beijing); the workflows are started
  with a start delay ending at the instant, so all of them wake together and send the
  reminder at once. The skeleton in this mode is started the same way (its timer is then
  skipped). This storm also contains each workflow's first task (search attribute upserts).

Printed besides the completion times: each phase's workflow tasks (Core's own execution
time of each, from the SDK's metrics: median, longest, how many over 5 s), the worker's CPU
per workflow (this process, which runs the worker, from the instant to the last
completion) and the load average; and when every workflow has also taken its activity's
result (the phase's 2N workflow tasks done), with the worker's and the server's CPU per
workflow from the instant to then: the whole of what a phase costs, wherever its second
tasks fall.

    .venv/bin/python -m bench.deadline_storm --n 2000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import func, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.runtime import (
    MetricBuffer,
    MetricBufferDurationFormat,
    Runtime,
    TelemetryConfig,
)
from temporalio.worker import Worker

from bench.skeleton import COMPLETED, SkeletonWorkflow, skeleton_noop
from domain.application import Contact, Member, MemberKind, MemberRole
from domain.credit_code import complete_code
from domain.districts import District
from domain.settings import Settings
from domain.shanghai_time import at_local, local_date, start_of_day
from domain.term import (
    MilestoneKind,
    ReportRecord,
    TermState,
    add_years,
    milestones,
    report_due,
    report_years,
    term_end_for,
)
from domain.term_rules import TermRules
from local_stack import dev_server_command, wait_for_temporal
from registry.database import session_scope, upgrade_schema
from registry.tables import Alliance
from registry.tables import EmailMessage as EmailRecord
from worker import SHARED_WITH_SANDBOX, WORKFLOWS, activities_for, build_worker, worker_options
from workflows.term import TermInput, TermWorkflow

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy (not idle or waiting for I/O) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def rss_kib() -> int:
    """This process's resident memory (it runs the worker), KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def self_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def stop_process(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def start_dev_server(settings: Settings, log_dir: Path, extra: list[str]) -> subprocess.Popen:
    """The local stack's dev server command, logging errors only and without the web UI."""
    command = dev_server_command(settings)
    command[command.index("--log-level") + 1] = "error"
    command.append("--headless")
    command += extra
    out = (log_dir / "temporal.log").open("wb")
    return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


class SmtpSink:
    """`bench.smtp_sink` in its own process; arrivals are read back from its log file."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.path = folder / "arrivals.tsv"
        self.process: subprocess.Popen | None = None
        self._offset = 0
        self.arrivals: list[tuple[float, str]] = []

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.smtp_sink",
                "--port",
                str(self.port),
                "--out",
                str(self.path),
            ],
            cwd=ROOT,
            start_new_session=True,
        )
        for _ in range(200):  # at most 20 s
            if self.path.exists() and "#ready" in self.path.read_text():
                return
            if self.process.poll() is not None:
                raise SystemExit("the SMTP sink exited at start")
            time.sleep(0.1)
        raise SystemExit("the SMTP sink did not start within 20 s")

    def poll(self) -> list[tuple[float, str]]:
        with self.path.open("rb") as f:
            f.seek(self._offset)
            chunk = f.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.decode().splitlines():
            if line and not line.startswith("#"):
                at, _rcpts, key = line.split("\t", 2)
                key = key.strip()
                self.arrivals.append((float(at), key))
        return self.arrivals

    def stop(self) -> None:
        stop_process(self.process)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


class CaptureCounter:
    """The project's MailCapture (in this process): arrivals from the .eml file names."""

    def __init__(self, port: int, folder: Path) -> None:
        from notifications.capture_server import MailCapture

        self.capture = MailCapture(folder / "mail", "127.0.0.1", port)
        self.arrivals: list[tuple[float, str]] = []

    def start(self) -> None:
        self.capture.start()

    def poll(self) -> list[tuple[float, str]]:
        found = []
        for path in self.capture.folder.glob("*.eml"):
            stamp = path.name.split("-", 1)[0]
            at = datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC).timestamp()
            found.append((at, path.name))
        self.arrivals = found
        return found

    def stop(self) -> None:
        self.capture.stop()

    pid = None


# ---------------------------------------------------------------------------- the alliances


def alliance_code(i: int) -> str:
    return complete_code(f"91210300{i:09d}")


def last_nine_oclock(now: datetime) -> datetime:
    today = local_date(now)
    at = at_local(today, 9)
    return at if at <= now else at_local(today - timedelta(days=1), 9)


def storm_state(i: int, now: datetime, instant: datetime, mode: str) -> TermState:
    """Alliance i, two years into its first term, whose next milestone is the storm's."""
    code = alliance_code(i)
    lead = f"鞍山基准测试{i:05d}有限公司"
    today = local_date(now)
    start = add_years(today, -2)
    year = today.year
    rules = TermRules()
    if mode == "reminder":
        due_at = last_nine_oclock(now)
        days = (report_due(year).date() - local_date(due_at)).days
        rules = TermRules(
            report_reminder_days_before=sorted(
                {days, *rules.report_reminder_days_before}, reverse=True
            )
        )
        target_key, target_at = f"report:{year}:reminder:{days}", due_at
        kind = MilestoneKind.REPORT_REMINDER
    else:
        target_key, target_at = f"report:{year}:resubmission_overdue:1", instant
        kind = MilestoneKind.REPORT_RESUBMISSION_OVERDUE
    state = TermState(
        alliance_code=code,
        alliance_name=f"鞍山市基准测试产业技术创新战略联盟{i:05d}",
        district=list(District)[i % len(District)],
        lead_unit=lead,
        members=[
            Member(name=lead, kind=MemberKind.ENTERPRISE, credit_code=code, role=MemberRole.LEAD)
        ],
        contacts=[Contact(name="联盟秘书处", email=f"secretariat{i:05d}@alliance.example")],
        term_start=start,
        term_end=term_end_for(start),
        tracking_from=start_of_day(start),
        rules=rules,
    )
    if year not in report_years(state):
        raise SystemExit(f"cannot build a storm: {year} is not a report year of {start}")
    state.reports = [
        ReportRecord(year=y, status="accepted", versions=1, submitted_at=report_due(y))
        for y in report_years(state)
        if y < year
    ]
    if mode == "timer":
        state.reports.append(
            ReportRecord(
                year=year,
                status="returned",
                versions=1,
                submitted_at=instant - timedelta(days=20),
                resubmit_by=instant - timedelta(seconds=1),
                summary="年度总结",
                next_year_plan="下一年度计划",
            )
        )
    state.done = [m.key for m in milestones(state) if m.at < target_at]
    first = milestones(state)[0]
    if (first.key, first.at, first.kind) != (target_key, target_at, kind):
        raise SystemExit(f"storm state {i}: first milestone is {first}, not {target_key}")
    return state


def register_alliances(url: str, states: list[TermState]) -> None:
    now = datetime.now(UTC)
    with session_scope(url) as session:
        for s in states:
            session.add(
                Alliance(
                    code=s.alliance_code,
                    name=s.alliance_name,
                    district=s.district.value,
                    lead_unit=s.lead_unit,
                    status="active",
                    origin="application",
                    workflow_id=f"alliance-{s.alliance_code}",
                    certificate_serial=f"BENCH-{s.alliance_code}",
                    recognised_on=s.term_start,
                    term_no=s.term_no,
                    term_end=s.term_end,
                    contact_emails=[c.email for c in s.contacts],
                    created_at=now,
                    updated_at=now,
                )
            )


def registry_counts(url: str) -> dict[str, int]:
    with session_scope(url) as session:
        rows = session.exec(
            select(EmailRecord.status, func.count(), func.sum(EmailRecord.attempts)).group_by(
                EmailRecord.status
            )
        ).all()
    counts = {status: count for status, count, _ in rows}
    counts["attempts"] = sum(attempts or 0 for _, _, attempts in rows)
    return counts


# ---------------------------------------------------------------------------- task durations

TASK_LATENCY = "temporal_workflow_task_execution_latency"
SLOW_TASK = 5.0  # seconds: Core warns "Workflow task duration exceeded 5 seconds" (TMPRL1104)


class TaskDurations:
    """Each workflow task's execution time (poll answered -> completion sent, as Core
    measures it for its 5-second warning), from the SDK's metric buffer, by task queue."""

    def __init__(self) -> None:
        self.buffer = MetricBuffer(200_000, MetricBufferDurationFormat.SECONDS)
        self.runtime = Runtime(telemetry=TelemetryConfig(metrics=self.buffer))
        self.seconds: dict[str, list[float]] = {}

    def drain(self) -> None:
        for update in self.buffer.retrieve_updates():
            if update.metric.name == TASK_LATENCY:
                queue = str(update.attributes.get("task_queue", ""))
                self.seconds.setdefault(queue, []).append(float(update.value))

    def take(self, queue: str) -> list[float]:
        """The durations recorded for the queue since the last take, sorted."""
        self.drain()
        return sorted(self.seconds.pop(queue, []))


# ---------------------------------------------------------------------------- phases


@dataclass
class Phase:
    name: str
    n: int
    instant: datetime
    start_seconds: float = 0.0  # wall time to start the N workflows
    margin: float = 0.0  # seconds between the last start and the instant
    offsets: list[float] = field(default_factory=list)  # completion - instant, sorted
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds from instant to last
    complete: bool = False
    tasks: list[float] = field(default_factory=list)  # workflow task durations in the window
    breakdown: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Until the phase's 2N workflow tasks are done (the one that takes the activity's
    # result too): seconds from the instant, and CPU seconds from the instant to then.
    all_tasks_at: float = float("nan")
    cpu_all_tasks: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.offsets[-1] if self.offsets else float("nan")

    def pct(self, q: float) -> float:
        if not self.offsets:
            return float("nan")
        return self.offsets[min(len(self.offsets) - 1, int(q * len(self.offsets)))]


async def start_all(starts, concurrency: int) -> float:
    """Run the start coroutine factories with at most `concurrency` in flight."""
    began = time.monotonic()
    gate = asyncio.Semaphore(concurrency)

    async def one(start):
        async with gate:
            await start()

    await asyncio.gather(*(one(s) for s in starts))
    return time.monotonic() - began


def plan_instant(args) -> datetime:
    seconds = args.n / args.start_rate + args.lead
    return (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)


async def sleep_until(instant: datetime) -> None:
    remaining = (instant - datetime.now(UTC)).total_seconds()
    if remaining > 0:
        await asyncio.sleep(remaining)


class CpuWindow:
    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = {name: pid for name, pid in pids.items() if pid}
        self.first: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        found = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        found["bench+worker"] = self_cpu_seconds()
        found["machine busy"] = machine_busy_seconds()
        return found

    def begin(self) -> None:
        self.first = self._read()

    def end(self) -> dict[str, float]:
        last = self._read()
        used = {name: last[name] - self.first[name] for name in last}
        ours = sum(v for k, v in used.items() if k != "machine busy")
        used["other processes"] = max(0.0, used.pop("machine busy") - ours)
        return used


async def wait_for_completions(
    phase: Phase, read, cpu: CpuWindow, timeout: float, say, durations: TaskDurations, queue: str
) -> None:
    """Follow completions from the instant until N arrived or `timeout` seconds passed."""
    await sleep_until(phase.instant)
    durations.take(queue)  # the tasks before the instant (starts) are not the storm's
    cpu.begin()
    instant = phase.instant.timestamp()
    deadline = time.monotonic() + timeout
    last_report = time.monotonic()
    while True:
        times = read()
        if len(times) >= phase.n:
            phase.complete = True
            break
        if time.monotonic() > deadline:
            phase.notes.append(f"timed out after {timeout:.0f} s with {len(times)}/{phase.n}")
            break
        if time.monotonic() - last_report >= 10:
            last_report = time.monotonic()
            say(f"  {phase.name}: {len(times)}/{phase.n} after {time.time() - instant:.1f} s")
        durations.drain()
        await asyncio.sleep(0.1)
    phase.cpu = cpu.end()
    phase.offsets = sorted(t - instant for t in times)[: phase.n]
    # Each workflow has a second task, which takes the activity's result; the CPU it costs
    # is the phase's too, whether it ran before the last completion or after it.
    durations.drain()
    while len(durations.seconds.get(queue, [])) < 2 * phase.n and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        durations.drain()
    if len(durations.seconds.get(queue, [])) >= 2 * phase.n:
        phase.all_tasks_at = time.time() - instant
        phase.cpu_all_tasks = cpu.end()
    phase.tasks = durations.take(queue)


def make_worker(client: Client, task_queue: str, workflows, activities, options) -> Worker:
    return Worker(
        client, task_queue=task_queue, workflows=workflows, activities=activities, **options
    )


async def storm_phase(args, client, settings, mail, cpu, say, durations) -> Phase:
    now = datetime.now(UTC)
    instant = plan_instant(args)
    states = [storm_state(i, now, instant, args.mode) for i in range(args.n)]
    register_alliances(settings.registry_url(), states)
    phase = Phase("storm", args.n, instant)
    worker = (
        make_worker(
            client, settings.task_queue, WORKFLOWS, activities_for(settings), args.worker_options
        )
        if args.worker_options
        else build_worker(client, settings)
    )

    def starter(state: TermState):
        async def start():
            delay = None
            if args.mode == "reminder":
                delay = instant - datetime.now(UTC)
                if delay <= timedelta(0):
                    raise SystemExit("the instant passed while starting: raise --lead")
            await client.start_workflow(
                TermWorkflow.run,
                TermInput(state=state, announced=True),
                id=f"alliance-{state.alliance_code}",
                task_queue=settings.task_queue,
                start_delay=delay,
            )

        return start

    expected = {f"{s.alliance_code}:" for s in states}
    say(f"storm: starting {args.n} TermWorkflows; instant {instant.isoformat()}")
    rss_before = rss_kib()
    async with worker:
        phase.start_seconds = await start_all([starter(s) for s in states], args.concurrency)
        phase.margin = (instant - datetime.now(UTC)).total_seconds()
        say(f"  started in {phase.start_seconds:.1f} s; {phase.margin:.1f} s before the instant")

        firsts: dict[str, float] = {}
        seen = 0

        def read() -> list[float]:
            # Only the arrivals since the last look (this process's CPU is the worker's).
            nonlocal seen
            arrivals = mail.poll()
            if args.smtp == "capture":  # the capture's folder is listed afresh each time
                firsts.clear()
                seen = 0
            for at, key in arrivals[seen:]:
                prefix = key.split(":", 1)[0] + ":" if ":" in key else key
                if args.smtp == "capture" or prefix in expected:
                    firsts.setdefault(key, at)
            seen = len(arrivals)
            return list(firsts.values())

        await wait_for_completions(
            phase, read, cpu, args.timeout, say, durations, settings.task_queue
        )
        # Let the activities finish their registry writes before the worker stops.
        url = settings.registry_url()
        for _ in range(int(args.timeout)):
            counts = registry_counts(url)
            if counts.get("sent", 0) >= args.n:
                break
            await asyncio.sleep(1)
        phase.notes.append(f"registry email rows: {json.dumps(counts)}")
        duplicates = len(mail.arrivals) - len({k for _, k in mail.arrivals})
        if args.smtp == "sink":
            phase.notes.append(
                f"SMTP messages received: {len(mail.arrivals)} ({duplicates} duplicate keys)"
            )
        await asyncio.sleep(args.settle)
        grown = rss_kib() - rss_before
        phase.notes.append(
            f"worker RSS per cached workflow: {grown / args.n:.1f} KiB ({rss_before / 1024:.0f}"
            f" → {(rss_before + grown) / 1024:.0f} MiB for {args.n} runs in the cache; the"
            " bench's process, its own records included; bench.worker_memory: the worker alone)"
        )
        ids = [f"alliance-{s.alliance_code}" for s in states]
        phase.breakdown = await stage_breakdown(client, sample_ids(ids, args.sample), instant)
    return phase


async def skeleton_phase(args, client, settings, cpu, say, durations) -> Phase:
    instant = plan_instant(args)
    phase = Phase("skeleton", args.n, instant)
    COMPLETED.clear()
    queue = f"{settings.task_queue}-skeleton"
    # The storm's worker options (sandbox, cache, slots, pollers), or the --worker-option ones.
    worker = make_worker(
        client,
        queue,
        [SkeletonWorkflow],
        [skeleton_noop],
        args.worker_options or worker_options(settings),
    )

    def starter(i: int):
        async def start():
            delay = None
            if args.mode == "reminder":
                delay = instant - datetime.now(UTC)
                if delay <= timedelta(0):
                    raise SystemExit("the instant passed while starting: raise --lead")
            await client.start_workflow(
                SkeletonWorkflow.run,
                instant.isoformat(),
                id=f"skeleton-{i}",
                task_queue=f"{settings.task_queue}-skeleton",
                start_delay=delay,
            )

        return start

    say(f"skeleton: starting {args.n} SkeletonWorkflows; instant {instant.isoformat()}")
    async with worker:
        phase.start_seconds = await start_all([starter(i) for i in range(args.n)], args.concurrency)
        phase.margin = (instant - datetime.now(UTC)).total_seconds()
        say(f"  started in {phase.start_seconds:.1f} s; {phase.margin:.1f} s before the instant")
        await wait_for_completions(
            phase, lambda: list(COMPLETED.values()), cpu, args.timeout, say, durations, queue
        )
        # The histories are read once every skeleton has closed (its last workflow task done).
        query = "WorkflowType = 'SkeletonWorkflow' AND ExecutionStatus = 'Running'"
        for _ in range(int(args.timeout)):
            running = (await client.count_workflows(query)).count
            if running == 0:
                closed = time.time() - instant.timestamp()
                phase.notes.append(
                    f"every skeleton workflow closed {closed:.1f} s after the instant"
                )
                break
            await asyncio.sleep(1)
        await asyncio.sleep(args.settle)
        ids = [f"skeleton-{i}" for i in range(args.n)]
        phase.breakdown = await stage_breakdown(client, sample_ids(ids, args.sample), instant)
    return phase


STAGES = (
    ("wake lag", "instant -> workflow task scheduled (timer fired / start delay over)"),
    ("wft wait", "workflow task scheduled -> a worker took it (incl. sticky-queue timeouts)"),
    ("wft run", "workflow task taken -> completed (replay too, after a cache eviction)"),
    ("act wait", "activity scheduled -> a worker took it"),
    ("act run", "activity taken -> completed (registry + SMTP for the storm)"),
    ("wft2 wait", "next workflow task scheduled -> taken"),
    ("wft2 run", "next workflow task taken -> completed"),
)


async def stage_breakdown(client: Client, workflow_ids: list[str], instant: datetime) -> dict:
    """Where the time went, from the histories of a sample of the phase's workflows."""
    E = EventType
    stages: dict[str, list[float]] = {name: [] for name, _ in STAGES}
    troubles: Counter = Counter()
    anchor = instant.timestamp() - 1

    def at(event) -> float:
        return event.event_time.ToDatetime(tzinfo=UTC).timestamp()

    def first(events, kind, after: float):
        return next((e for e in events if e.event_type == kind and at(e) >= after), None)

    for wid in workflow_ids:
        events = (await client.get_workflow_handle(wid).fetch_history()).events
        for event in events:
            if at(event) >= anchor and event.event_type in (
                E.EVENT_TYPE_WORKFLOW_TASK_FAILED,
                E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
                E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
                E.EVENT_TYPE_ACTIVITY_TASK_FAILED,
            ):
                troubles[EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")] += 1
        scheduled = first(events, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, anchor)
        taken = scheduled and first(events, E.EVENT_TYPE_WORKFLOW_TASK_STARTED, at(scheduled))
        done = taken and first(events, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, at(taken))
        act = done and first(events, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, at(done))
        act_taken = act and first(events, E.EVENT_TYPE_ACTIVITY_TASK_STARTED, at(act))
        act_done = act_taken and first(events, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, at(act_taken))
        scheduled2 = act_done and first(events, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, at(act_done))
        taken2 = scheduled2 and first(events, E.EVENT_TYPE_WORKFLOW_TASK_STARTED, at(scheduled2))
        done2 = taken2 and first(events, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, at(taken2))
        if not done2:
            troubles["incomplete history"] += 1
            continue
        stages["wake lag"].append(at(scheduled) - instant.timestamp())
        stages["wft wait"].append(at(taken) - at(scheduled))
        stages["wft run"].append(at(done) - at(taken))
        stages["act wait"].append(at(act_taken) - at(act))
        stages["act run"].append(at(act_done) - at(act_taken))
        stages["wft2 wait"].append(at(taken2) - at(scheduled2))
        stages["wft2 run"].append(at(done2) - at(taken2))
    return {"stages": stages, "troubles": dict(troubles), "sampled": len(workflow_ids)}


def sample_ids(ids: list[str], size: int) -> list[str]:
    if size <= 0 or not ids:
        return []
    step = max(1, len(ids) // size)
    return ids[::step][:size]


# ---------------------------------------------------------------------------- report


def machine_notes() -> list[str]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    import temporalio

    cli = subprocess.run(
        [str(Path(sys.executable).parent / "temporal"), "--version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return [
        f"CPUs: {os.cpu_count()} ({model}); memory {memory}",
        f"Python {platform.python_version()}, temporalio {temporalio.__version__}, {cli}",
    ]


def print_results(args, storm: Phase | None, skeleton: Phase | None, worker_desc: str) -> None:
    command = (
        "cd "
        + shlex.quote(str(ROOT))
        + " && .venv/bin/python -m bench.deadline_storm "
        + (shlex.join(sys.argv[1:]))
    )
    print("\n=== deadline storm results ===")
    print(f"command : {command}")
    for line in machine_notes():
        print(f"machine : {line}")
    print(
        f"mode    : {args.mode}; N={args.n}; start concurrency {args.concurrency}; SMTP {args.smtp}"
    )
    print(f"worker  : {worker_desc}")
    print(
        f"server  : temporal server start-dev (local_stack flags, --log-level error, --headless"
        f"{', ' + ' '.join(args.server_arg) if args.server_arg else ''})"
    )
    header = (
        f"{'phase':<9} {'N':>5} {'start s':>8} {'margin s':>8} {'first s':>8} {'p50 s':>7}"
        f" {'p90 s':>7} {'p99 s':>7} {'last s':>7} {'per s':>7}  CPU s in window"
    )
    print(header)
    print("-" * len(header))
    for phase in (storm, skeleton):
        if phase is None:
            continue
        rate = len(phase.offsets) / phase.seconds if phase.offsets else float("nan")
        cpu = ", ".join(f"{k} {v:.1f}" for k, v in phase.cpu.items())
        print(
            f"{phase.name:<9} {phase.n:>5} {phase.start_seconds:>8.1f} {phase.margin:>8.1f}"
            f" {phase.pct(0):>8.2f} {phase.pct(0.5):>7.2f} {phase.pct(0.9):>7.2f}"
            f" {phase.pct(0.99):>7.2f} {phase.seconds:>7.2f} {rate:>7.1f}  {cpu}"
        )
    if storm and skeleton and storm.offsets and skeleton.offsets:
        print(f"storm / skeleton (last completion): {storm.seconds / skeleton.seconds:.2f}")
    for phase in (storm, skeleton):
        if phase is None or not phase.offsets:
            continue
        worker_cpu = phase.cpu.get("bench+worker", float("nan"))
        tasks = phase.tasks
        slow = sum(1 for t in tasks if t > SLOW_TASK)
        longest = f"{tasks[-1]:.2f} s" if tasks else "-"
        median = f"{tasks[len(tasks) // 2]:.3f} s" if tasks else "-"
        print(
            f"{phase.name:<9}: worker CPU {worker_cpu / phase.n * 1000:.0f} ms per workflow"
            f" (bench+worker process, instant to last); workflow tasks {len(tasks)},"
            f" median {median}, longest {longest}, over {SLOW_TASK:.0f} s: {slow}"
        )
    for phase in (storm, skeleton):
        if phase is None or not phase.cpu_all_tasks:
            continue
        worker_cpu = phase.cpu_all_tasks.get("bench+worker", float("nan"))
        server_cpu = phase.cpu_all_tasks.get("temporal server", float("nan"))
        print(
            f"{phase.name:<9}: all {2 * phase.n} workflow tasks done {phase.all_tasks_at:.1f} s"
            f" after the instant; to then worker CPU {worker_cpu / phase.n * 1000:.0f} ms,"
            f" server CPU {server_cpu / phase.n * 1000:.0f} ms per workflow"
        )
    print(
        f"load    : 1-minute load average {args.load_before:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end (2 cores shared with other work)"
    )
    for phase in (storm, skeleton):
        if phase is None:
            continue
        if not phase.complete:
            print(f"WARNING {phase.name}: incomplete ({len(phase.offsets)}/{phase.n})")
        if phase.margin < 15:
            print(
                f"WARNING {phase.name}: only {phase.margin:.1f} s between the last start and "
                "the instant; first workflow tasks may overlap the storm (raise --lead)"
            )
        for note in phase.notes:
            print(f"note {phase.name}: {note}")
    phases = [p for p in (storm, skeleton) if p is not None and p.breakdown]
    if phases:
        sampled = ", ".join(f"{p.name} {p.breakdown['sampled']}" for p in phases)
        print(f"\nwhere the time went (from sampled histories: {sampled}); median / p90 / max s")
        print(f"{'stage':<11} " + " ".join(f"{p.name:>24}" for p in phases) + "  meaning")
        for name, meaning in STAGES:
            cells = []
            for p in phases:
                values = sorted(p.breakdown["stages"][name])
                if values:
                    cells.append(
                        f"{values[len(values) // 2]:>7.2f} /{values[int(0.9 * len(values))]:>7.2f}"
                        f" /{values[-1]:>7.2f}"
                    )
                else:
                    cells.append(f"{'-':>24}")
            print(f"{name:<11} " + " ".join(f"{c:>24}" for c in cells) + f"  {meaning}")
        for p in phases:
            if p.breakdown["troubles"]:
                print(f"note {p.name}: in sampled histories {p.breakdown['troubles']}")
    print(
        "seconds are from the instant: storm = SMTP server accepted the notice; skeleton ="
        " no-op activity returned. per s = completions / last s."
    )


# ---------------------------------------------------------------------------- main


def parse_options(pairs: list[str]) -> dict:
    options = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        options[key] = json.loads(value)
    return options


async def run(args) -> None:
    say = lambda text: print(text, flush=True)  # noqa: E731
    folder = Path(tempfile.mkdtemp(prefix="bench-storm-"))
    settings = Settings(
        data_dir=folder,
        database_url="",
        temporal_address=f"127.0.0.1:{free_port()}",
        temporal_ui_port=free_port(),
        temporal_namespace="default",
        task_queue="alliance",
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        smtp_username="",
        smtp_password="",
        smtp_tls=False,
        smtp_starttls=False,
    )
    say(f"work dir {folder}")
    upgrade_schema(settings.registry_url())
    mail = (CaptureCounter if args.smtp == "capture" else SmtpSink)(settings.smtp_port, folder)
    server = None
    storm = skeleton = None
    shipped = worker_options(settings)
    worker_desc = (
        f"Worker options {args.worker_options} (both phases)"
        if args.worker_options
        else "worker.build_worker with the shipped settings, for both phases (sandbox passing"
        f" through {', '.join(SHARED_WITH_SANDBOX)};"
        f" {', '.join(f'{k}={v}' for k, v in shipped.items() if k != 'workflow_runner')};"
        " the SDK's defaults otherwise)"
    )
    durations = TaskDurations()
    try:
        mail.start()
        server = start_dev_server(settings, folder, args.server_arg)
        client = await wait_for_temporal(settings, server, runtime=durations.runtime)
        cpu = CpuWindow({"temporal server": server.pid, "smtp sink": mail.pid})
        if args.phases in ("both", "storm"):
            storm = await storm_phase(args, client, settings, mail, cpu, say, durations)
        if args.phases in ("both", "skeleton"):
            skeleton = await skeleton_phase(args, client, settings, cpu, say, durations)
    finally:
        stop_process(server)
        mail.stop()
        print_results(args, storm, skeleton, worker_desc)
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="deadline storm vs skeleton on the dev server")
    parser.add_argument("--n", type=int, default=2000, help="alliances (and skeletons)")
    parser.add_argument("--mode", choices=["timer", "reminder"], default="timer")
    parser.add_argument("--phases", choices=["both", "storm", "skeleton"], default="both")
    parser.add_argument(
        "--smtp",
        choices=["sink", "capture"],
        default="sink",
        help="sink: bench.smtp_sink process; capture: MailCapture .eml files",
    )
    parser.add_argument("--concurrency", type=int, default=50, help="starts in flight")
    parser.add_argument(
        "--start-rate", type=float, default=40, help="starts/s assumed when planning the instant"
    )
    parser.add_argument(
        "--lead",
        type=float,
        default=75,
        help="seconds planned between the last start and the instant",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=900,
        help="give up a phase this many seconds after its instant",
    )
    parser.add_argument(
        "--settle", type=float, default=5, help="seconds the worker keeps running after a phase"
    )
    parser.add_argument(
        "--worker-option",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="temporalio Worker option (e.g. max_concurrent_activities=200);"
        " replaces build_worker by an equivalent Worker with these options",
    )
    parser.add_argument(
        "--server-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra dev-server argument, e.g. --server-arg=--sqlite-pragma "
        "--server-arg=journal_mode=wal",
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=100,
        help="workflows per phase whose histories give the time breakdown",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args(argv)
    args.worker_options = parse_options(args.worker_option)
    args.load_before = os.getloadavg()[0]
    # SIGTERM ends the run like Ctrl-C, so the server and SMTP processes are stopped.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
