"""The real system in separate processes, and the faults a drill plays on it.

`running_system()` starts, each in a process of its own: the Temporal CLI dev server, the
worker (`worker.py`), the controllable SMTP server (`bench.controllable_smtp`) and,
when asked, the web console; the registry is a PostgreSQL database of the drill's own.
Everything is stopped and the database dropped when the drill ends, failed or not.

The faults: `smtp.stop()` / `smtp.start()` (same port), `smtp.configure(refuse=[...])`
(550 to those recipients), `worker.kill()` (SIGKILL) and `registry.block()` /
`registry.unblock()` (`ALLOW_CONNECTIONS false`, its sessions ended).

What a drill reads back is what a user would notice: the messages the SMTP server
accepted (Message-ID, notice key, recipients, arrival time), the registry's rows, the
workflows' queries, the exit code and output of the operator commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import yaml
from sqlmodel import col, select
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from bench.deadline_storm import (
    free_port,
    register_alliances,
    start_all,
    start_dev_server,
    stop_process,
    storm_state,
)
from domain.procedure import Actor, Role
from domain.settings import PROJECT_ROOT, Settings
from domain.term import AnnualReportSubmission, TermState, milestones
from local_stack import wait_for_temporal
from registry.calendar_store import seed_from_package
from registry.database import engine_for, session_scope, upgrade_schema
from registry.tables import AuditEntry
from registry.tables import EmailMessage as EmailRow
from workflows.term import TermInput, TermWorkflow

# The same server the tests use (tests/support/databases.py); bench does not import tests.
POSTGRES_ADMIN_DSN = os.environ.get(
    "ALLIANCE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)

PASSWORD = "drill-password-不要用于生产"
STAFF = Actor(name="孙工作", role=Role.BUREAU_STAFF)
ALLIANCE = Actor(name="联盟秘书处", role=Role.APPLICANT)
REPORT_SAMPLE = PROJECT_ROOT / "samples" / "annual-report-sample.yaml"


class DrillSetupFailed(Exception):
    """A part of the system did not start; the message says which and where its log is."""


def new_id() -> str:
    return uuid.uuid4().hex


async def sleep_until(moment: datetime | float) -> None:
    at = moment.timestamp() if isinstance(moment, datetime) else moment
    remaining = at - time.time()
    if remaining > 0:
        await asyncio.sleep(remaining)


# ---------------------------------------------------------------------------- processes


def _spawn(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DrillSetupFailed(f"{what} exited with code {process.returncode}; see {log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise DrillSetupFailed(f"{what} did not listen on port {port} within 30 s; see {log}")


@dataclass(frozen=True)
class Arrival:
    """One message the SMTP server accepted."""

    at: float  # unix time
    message_id: str
    key: str  # the X-Alliance-Notice-Key header
    recipients: tuple[str, ...]
    subject: str

    @property
    def alliance_code(self) -> str:
        return self.key.split(":", 1)[0]

    def is_purpose(self, purpose: str) -> bool:
        return f":{purpose}:" in f"{self.key}:"


class SmtpServer:
    """The controllable SMTP server in its own process; it keeps its log across restarts."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.out = folder / "mail.jsonl"
        self.control = folder / "smtp-control.json"
        self.log = folder / "smtp.log"
        self.out.touch()
        self._env = env
        self._settings: dict = {"refuse": [], "data_delay": 0.0}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = _spawn(
            [
                sys.executable,
                "-m",
                "bench.controllable_smtp",
                "--port",
                str(self.port),
                "--out",
                str(self.out),
                "--control",
                str(self.control),
            ],
            self.log,
            self._env,
        )
        _wait_for_port(self.port, self.process, "the SMTP server", self.log)

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def configure(self, *, refuse: Iterable[str] | None = None, data_delay: float | None = None):
        """Refuse these recipients with 550 / wait this long before answering DATA."""
        if refuse is not None:
            self._settings["refuse"] = list(refuse)
        if data_delay is not None:
            self._settings["data_delay"] = data_delay
        staged = self.control.with_suffix(".tmp")
        staged.write_text(json.dumps(self._settings))
        os.replace(staged, self.control)

    def arrivals(self) -> list[Arrival]:
        text = self.out.read_text(encoding="utf-8")
        complete = text[: text.rfind("\n") + 1]
        found = []
        for line in complete.splitlines():
            record = json.loads(line)
            found.append(
                Arrival(
                    at=record["at"],
                    message_id=record["message_id"],
                    key=record["key"],
                    recipients=tuple(record["recipients"]),
                    subject=record["subject"],
                )
            )
        return found


class RegistryDatabase:
    """A PostgreSQL database of the drill's own, migrated, with the holiday calendar."""

    def __init__(self) -> None:
        self.name = f"drill_{uuid.uuid4().hex[:10]}"
        base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace(
            "postgresql://", "postgresql+psycopg://"
        )
        self.url = f"{base}/{self.name}"

    def _admin(self, sql: str, *params) -> None:
        with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True, connect_timeout=5) as admin:
            admin.execute(sql, params or None)

    def create(self) -> None:
        try:
            self._admin(f'CREATE DATABASE "{self.name}"')
        except psycopg.OperationalError as err:
            raise DrillSetupFailed(
                f"PostgreSQL is not reachable at {POSTGRES_ADMIN_DSN}; the drills need a "
                f"database of their own (set ALLIANCE_TEST_POSTGRES_DSN). ({err})"
            ) from err
        upgrade_schema(self.url)
        seed_from_package(self.url)

    def block(self) -> None:
        """No new session is let in and the open ones are ended, as in a database outage."""
        self._admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
        self._admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            self.name,
        )

    def unblock(self) -> None:
        self._admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')

    def drop(self) -> None:
        engine_for(self.url).dispose()
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class WorkerProcess:
    """`worker.py` as an operator runs it, reading its settings from the environment."""

    def __init__(self, folder: Path, env: dict[str, str], settings: Settings) -> None:
        self._folder = folder
        self._env = env
        self._settings = settings
        self.starts = 0
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.starts += 1
        self.log = self._folder / f"worker-{self.starts}.log"
        self.process = _spawn([sys.executable, "worker.py"], self.log, self._env)

    async def ready(self, client: Client, timeout: float = 60) -> None:
        """Wait until this process polls the task queue for workflow and activity tasks."""
        process = self.process
        assert process is not None, "start() the worker first"
        identity = f"{process.pid}@"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise DrillSetupFailed(
                    f"the worker exited with code {process.returncode}; see {self.log}"
                )
            polling = []
            for kind in (
                TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            ):
                described = await client.workflow_service.describe_task_queue(
                    DescribeTaskQueueRequest(
                        namespace=self._settings.temporal_namespace,
                        task_queue=TaskQueue(name=self._settings.task_queue),
                        task_queue_type=kind,
                    )
                )
                polling.append(any(p.identity.startswith(identity) for p in described.pollers))
            if all(polling):
                return
            await asyncio.sleep(0.2)
        raise DrillSetupFailed(f"the worker did not poll within {timeout:.0f} s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, whatever it was sending stays half done."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        stop_process(self.process)


class WebConsole:
    """The staff web console (uvicorn) in its own process."""

    def __init__(self, folder: Path, env: dict[str, str], port: int) -> None:
        self.port = port
        self.log = folder / "console.log"
        self._env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = _spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "web.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            self.log,
            self._env,
        )
        _wait_for_port(self.port, self.process, "the web console", self.log)

    def stop(self) -> None:
        stop_process(self.process)

    async def signed_in(self, username: str) -> httpx.AsyncClient:
        browser = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}", follow_redirects=False, timeout=60
        )
        page = await browser.get("/login")
        signed = await browser.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf": csrf_of(page.text)},
        )
        if signed.status_code != 303:
            await browser.aclose()
            raise DrillSetupFailed(f"could not sign in as {username}: {signed.status_code}")
        return browser


def csrf_of(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


# ---------------------------------------------------------------------------- what users see


@dataclass
class Answer:
    """How one staff action was answered."""

    action: str
    seconds: float  # request to answer (a command: after its Python start-up)
    total: float  # a command: the whole run, start-up included
    ok: bool
    output: str
    answered_at: float  # unix time

    def during(self, fault_ended_at: float) -> bool:
        return self.answered_at < fault_ended_at


@dataclass
class MailTally:
    """Which expected notices arrived, the copies, and the registry's email rows."""

    expected: dict[str, set[str]]  # alliance code -> notice purposes that must arrive
    arrivals: list[Arrival]  # every message of these alliances
    rows: dict[str, str]  # registry email rows of these alliances: key -> status
    settled_at: float | None  # when every expected notice had arrived and every row settled

    @property
    def missing(self) -> list[str]:
        return missing_notices(self.arrivals, self.expected)

    @property
    def notices(self) -> int:
        return sum(len(p) for p in self.expected.values())

    @property
    def copies(self) -> int:
        """Messages beyond the first of each notice key."""
        return len(self.arrivals) - len({a.key for a in self.arrivals})

    @property
    def mixed_message_ids(self) -> dict[str, set[str]]:
        """Notice keys that arrived more than once with different Message-IDs."""
        ids: dict[str, set[str]] = defaultdict(set)
        for a in self.arrivals:
            ids[a.key].add(a.message_id)
        return {key: found for key, found in ids.items() if len(found) > 1}

    @property
    def sent_never_arrived(self) -> list[str]:
        arrived = {a.key for a in self.arrivals}
        return [k for k, status in self.rows.items() if status == "sent" and k not in arrived]

    def last_expected_arrival(self) -> float | None:
        """Unix time at which the last expected notice first arrived."""
        firsts: dict[tuple[str, str], float] = {}
        for a in self.arrivals:
            for purpose in self.expected.get(a.alliance_code, ()):
                if a.is_purpose(purpose):
                    key = (a.alliance_code, purpose)
                    firsts[key] = min(a.at, firsts.get(key, a.at))
        return max(firsts.values()) if firsts else None


def missing_notices(arrivals: list[Arrival], expected: dict[str, set[str]]) -> list[str]:
    arrived: dict[str, set[str]] = defaultdict(set)
    for a in arrivals:
        for purpose in expected.get(a.alliance_code, ()):
            if a.is_purpose(purpose):
                arrived[a.alliance_code].add(purpose)
    return [
        f"{code} {purpose}"
        for code, purposes in expected.items()
        for purpose in sorted(purposes - arrived[code])
    ]


@dataclass
class Storm:
    """N term alliances whose next notice falls due at one instant."""

    instant: datetime
    states: list[TermState]

    @property
    def codes(self) -> list[str]:
        return [s.alliance_code for s in self.states]

    @property
    def year(self) -> int:
        """The year whose returned report is overdue at the instant."""
        return self.states[0].reports[-1].year

    @property
    def milestone(self) -> str:
        """The milestone due at the instant (`storm_state` checks it is the first)."""
        return f"report:{self.year}:resubmission_overdue:1"


# ---------------------------------------------------------------------------- the system


@dataclass
class System:
    folder: Path
    settings: Settings
    env: dict[str, str]
    client: Client
    smtp: SmtpServer
    registry: RegistryDatabase
    worker: WorkerProcess
    console: WebConsole | None = None

    @property
    def url(self) -> str:
        return self.settings.registry_url()

    # ---- placing work

    async def place_storm(self, n: int, lead_seconds: float | None = None) -> Storm:
        """N running terms whose resubmission-overdue notice falls due at one instant."""
        now = datetime.now(UTC)
        lead = lead_seconds if lead_seconds is not None else 8 + n / 25
        instant = (now + timedelta(seconds=lead)).replace(microsecond=0)
        states = [storm_state(i, now, instant, "timer") for i in range(n)]
        register_alliances(self.url, states)
        await start_all([self._starter(s) for s in states], 50)
        if datetime.now(UTC) > instant - timedelta(seconds=2):
            raise DrillSetupFailed(f"starting {n} workflows took too long; raise the lead")
        return Storm(instant=instant, states=states)

    async def storm_taken(self, storm: Storm, timeout: float = 120) -> float:
        """Seconds from the instant until no workflow of the storm still had its milestone
        ahead (a query is answered after the workflow's pending task): the burst of N timer
        tasks is over, and what remains is the notices' delivery. A workflow has dealt
        with it when it acted on it, or when an action taken at the peak (a report handed
        in before its timer task ran) made it moot."""
        waiting = list(storm.codes)
        gate = asyncio.Semaphore(20)

        async def taken(code: str) -> bool:
            async with gate:
                handle = self.client.get_workflow_handle(f"alliance-{code}")
                state = await handle.query(TermWorkflow.state)
                ahead = {m.key for m in milestones(state)}
                return storm.milestone in state.done or storm.milestone not in ahead

        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            found = await asyncio.gather(*(taken(code) for code in waiting))
            waiting = [code for code, done in zip(waiting, found, strict=True) if not done]
            if waiting:
                await asyncio.sleep(0.5)
        if waiting:
            raise AssertionError(f"{len(waiting)} workflows never acted on their milestone")
        return time.time() - storm.instant.timestamp()

    def _starter(self, state: TermState, announced: bool = True):
        async def start():
            await self.start_term(state, announced)

        return start

    async def start_term(self, state: TermState, announced: bool = True) -> None:
        await self.client.start_workflow(
            TermWorkflow.run,
            TermInput(state=state, announced=announced),
            id=f"alliance-{state.alliance_code}",
            task_queue=self.settings.task_queue,
        )

    def report_submission(self, year: int) -> AnnualReportSubmission:
        fields = yaml.safe_load(REPORT_SAMPLE.read_text(encoding="utf-8"))
        fields["year"] = year
        return AnnualReportSubmission(request_id=new_id(), actor=ALLIANCE, **fields)

    # ---- staff actions, timed

    async def update(self, label: str, code: str, name: str, action, timeout: float) -> Answer:
        """One update sent straight to the workflow, as the console's client does."""
        handle = self.client.get_workflow_handle(f"alliance-{code}")
        began = time.monotonic()
        try:
            await asyncio.wait_for(
                handle.execute_update(name, action, id=action.request_id), timeout
            )
            ok, output = True, ""
        except TimeoutError:
            ok, output = False, f"no answer within {timeout:.0f} s"
        except (WorkflowUpdateFailedError, RPCError) as err:
            ok, output = False, str(getattr(err, "cause", None) or err)
        seconds = time.monotonic() - began
        return Answer(label, seconds, seconds, ok, output, time.time())

    async def admin(
        self, label: str, args: list[str], timeout: float, marker: str | None = "request id"
    ) -> Answer:
        """`alliance-admin ARGS` in a process of its own, as staff type it; a staff action
        prints its request id once started up, just before it asks the workflow."""
        script = Path(sys.executable).parent / "alliance-admin"
        command = [str(script)] if script.exists() else [sys.executable, "-m", "admin.cli"]
        return await self.command(label, [*command, *args], timeout, marker=marker)

    async def starter(self, label: str, args: list[str], timeout: float) -> Answer:
        return await self.command(label, [sys.executable, "starter.py", *args], timeout)

    async def command(
        self, label: str, argv: list[str], timeout: float, marker: str | None = None
    ) -> Answer:
        """Run a command; its answer time counts from the line `marker` (printed once the
        command has started up and is about to ask the workflow) to its exit."""
        began = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        lines: list[str] = []
        marked: float | None = None

        async def follow() -> None:
            nonlocal marked
            assert process.stdout is not None
            async for raw in process.stdout:
                text = raw.decode("utf-8", "replace")
                lines.append(text)
                if marked is None and marker and marker in text:
                    marked = time.monotonic()
            await process.wait()

        try:
            await asyncio.wait_for(follow(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            lines.append(f"\n[no answer within {timeout:.0f} s]\n")
        ended = time.monotonic()
        return Answer(
            label,
            ended - (marked or began),
            ended - began,
            process.returncode == 0,
            "".join(lines),
            time.time(),
        )

    # ---- reading back

    def email_rows(self, codes: Iterable[str]) -> list[EmailRow]:
        with session_scope(self.url) as session:
            return list(
                session.exec(select(EmailRow).where(col(EmailRow.alliance_code).in_(list(codes))))
            )

    def audit_actions(self, code: str) -> list[str]:
        with session_scope(self.url) as session:
            return list(
                session.exec(select(AuditEntry.action).where(AuditEntry.alliance_code == code))
            )

    async def workflow_exists(self, code: str) -> bool:
        try:
            await self.client.get_workflow_handle(f"alliance-{code}").describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    async def wait_for_mail(
        self,
        expected: dict[str, set[str]],
        timeout: float,
        *,
        settled: tuple[str, ...] = ("sent",),
        say=None,
    ) -> MailTally:
        """Follow the SMTP server's log and the registry until every expected notice has
        arrived and every email row of these alliances has a status in `settled` (its sent
        rows arrived), or `timeout` seconds pass."""
        codes = set(expected)
        deadline = time.monotonic() + timeout
        last_word = time.monotonic()
        while True:
            arrivals = [a for a in self.smtp.arrivals() if a.alliance_code in codes]
            tally = MailTally(expected, arrivals, {}, None)
            if not tally.missing:
                tally.rows = {r.key: r.status for r in self.email_rows(codes)}
                if all(s in settled for s in tally.rows.values()) and not (
                    tally.sent_never_arrived
                ):
                    tally.settled_at = time.time()
                    return tally
            if time.monotonic() > deadline:
                tally.rows = {r.key: r.status for r in self.email_rows(codes)}
                return tally
            if say and time.monotonic() - last_word > 10:
                last_word = time.monotonic()
                say(f"    {tally.notices - len(tally.missing)}/{tally.notices} notices arrived")
            await asyncio.sleep(0.25)


@contextlib.asynccontextmanager
async def running_system(name: str, *, console: bool = False) -> AsyncIterator[System]:
    """The whole system for one drill; `DRILL_KEEP=1` keeps its folder (logs, mail)."""
    folder = Path(tempfile.mkdtemp(prefix=f"drill-{name}-"))
    registry = RegistryDatabase()
    parts: list = []
    try:
        registry.create()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_")}
        smtp = SmtpServer(folder, env)
        settings = Settings(
            data_dir=folder,
            database_url=registry.url,
            temporal_address=f"127.0.0.1:{free_port()}",
            temporal_ui_port=free_port(),
            temporal_namespace="default",
            task_queue=f"drill-{name}",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_username="",
            smtp_password="",
            smtp_tls=False,
            smtp_starttls=False,
            web_port=free_port(),
        )
        env.update(
            {
                "ALLIANCE_DATA_DIR": str(folder),
                "ALLIANCE_DATABASE_URL": registry.url,
                "ALLIANCE_TEMPORAL_ADDRESS": settings.temporal_address,
                "ALLIANCE_TEMPORAL_NAMESPACE": settings.temporal_namespace,
                "ALLIANCE_TASK_QUEUE": settings.task_queue,
                "ALLIANCE_SMTP_HOST": settings.smtp_host,
                "ALLIANCE_SMTP_PORT": str(settings.smtp_port),
                "ALLIANCE_WEB_PORT": str(settings.web_port),
                "ALLIANCE_WORKER_GRACE_SECONDS": "2",  # the drill's teardown need not wait
                "COLUMNS": "400",
                "PYTHONUNBUFFERED": "1",
            }
        )
        smtp.configure()
        smtp.start()
        parts.append(smtp)
        server, client = await _start_temporal(settings, folder)
        parts.append(_Stoppable(server))
        env["ALLIANCE_TEMPORAL_ADDRESS"] = settings.temporal_address
        worker = WorkerProcess(folder, env, settings)
        worker.start()
        parts.append(worker)
        await worker.ready(client)
        web = None
        if console:
            web = WebConsole(folder, env, settings.web_port)
            web.start()
            parts.append(web)
        yield System(folder, settings, env, client, smtp, registry, worker, web)
    finally:
        for part in reversed(parts):
            with contextlib.suppress(Exception):
                part.stop()
        with contextlib.suppress(Exception):
            registry.drop()
        if os.environ.get("DRILL_KEEP"):
            print(f"drill {name}: kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


async def _start_temporal(settings: Settings, folder: Path) -> tuple[subprocess.Popen, Client]:
    """The dev server on a free port; another port if the first was taken meanwhile."""
    attempts = 3
    while True:
        server = start_dev_server(settings, folder, [])
        try:
            return server, await wait_for_temporal(settings, server)
        except SystemExit as failed:
            stop_process(server)
            attempts -= 1
            if not attempts:
                log = (folder / "temporal.log").read_text(errors="replace")[-2000:]
                raise DrillSetupFailed(f"{failed}; its log ends with:\n{log}") from None
            settings.temporal_address = f"127.0.0.1:{free_port()}"
            settings.temporal_ui_port = free_port()


class _Stoppable:
    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process

    def stop(self) -> None:
        stop_process(self.process)
