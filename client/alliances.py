"""Talking to alliance workflows from outside: submit, act, query.

The operator CLI uses these today and the web console will tomorrow, so the way an
action reaches Temporal (update id = request id, refusal messages) is defined once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from client.actions import CATALOGUE, StaffAction
from domain import search_attributes
from domain.effects import Outbox
from domain.procedure import MAY_APPLY_FROM, Actor, ProcedureState, Role, status_zh
from domain.shanghai_time import local_date
from domain.term import TermState

if TYPE_CHECKING:
    from pydantic import BaseModel

    from domain.application import Application
    from domain.rules import ProcedureRules
    from domain.settings import Settings

# Acting on and reading a workflow names its updates and queries ("state", "outbox") and
# imports neither the workflows nor the registry: `alliance-admin` pays for those only in
# the functions that start a workflow or write the registry, which import them.


class ProcedureActionFailed(Exception):
    """The workflow refused the action or could not be reached; the message says why.

    A refusal by the workflow keeps its Chinese and English apart (`zh`, `en`), so a page
    shows its own language; other messages carry both in one text.
    """

    def __init__(self, message: str, zh: str = "", en: str = "") -> None:
        super().__init__(message)
        self.zh, self.en = zh or message, en or message


def workflow_id_for(alliance_code: str) -> str:
    return f"alliance-{alliance_code}"


def alliance_code_of(workflow_id: str) -> str:
    """The 联盟编号 a workflow id names (`alliance-2026-0007` → `2026-0007`)."""
    return workflow_id.removeprefix("alliance-")


async def submit_application(
    client: Client,
    settings: Settings,
    application: Application,
    submitted_by: Actor,
    first_version: int = 1,
    rules: ProcedureRules | None = None,
) -> WorkflowHandle:
    """Start the recognition procedure (9.1); refused while one is already running.

    The registry assigns the alliance its code first (the same lead unit and name get
    the same code back). The handle is bound to the procedure's own run, which stays
    queryable after the workflow id has moved on to the five-year term; its id names the
    alliance (`alliance_code_of(handle.id)`).
    """
    from workflows.recognition import RecognitionInput, RecognitionWorkflow

    code = assign_code(settings, application)
    workflow_id = workflow_id_for(code)
    try:
        return await client.start_workflow(
            RecognitionWorkflow.run,
            RecognitionInput(
                alliance_code=code,
                application=application,
                submitted_by=submitted_by,
                first_version=first_version,
                rules=rules or settings.rules,
                term_rules=settings.term_rules,
                outbox=Outbox(rules=settings.effects),
            ),
            id=workflow_id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )
    except WorkflowAlreadyStartedError as err:
        raise ProcedureActionFailed(
            f"联盟 {code}（{application.alliance_name}）已有正在办理的申请，不能重复提交"
            f" (an application of this alliance is already in progress: {workflow_id})"
        ) from err


def assign_code(settings: Settings, application: Application) -> str:
    """The alliance's 联盟编号 from the registry, assigned on its first application."""
    from registry.alliance_codes import assign_alliance_code

    return assign_alliance_code(
        settings.registry_url(),
        application.lead_unit_code(),
        application.alliance_name,
        local_date(datetime.now(UTC)),
    )


async def open_procedure(
    client: Client, settings: Settings, application: Application, submitted_by: str = ""
) -> WorkflowHandle:
    """9.1 as the operator and the console do it: refused while the alliance is recognised
    or its procedure runs; a new application continues the alliance's version numbers."""
    from sqlmodel import func, select

    from registry.database import session_scope
    from registry.tables import Alliance, ApplicationVersion

    code = assign_code(settings, application)
    with session_scope(settings.registry_url()) as session:
        registered = session.get(Alliance, code)
        if registered is not None and registered.status not in MAY_APPLY_FROM:
            raise ProcedureActionFailed(
                f"联盟 {code}（{registered.name}）当前状态为“{status_zh(registered.status)}”，"
                f"不能重新申请认定 (the alliance is {registered.status}; it cannot apply now)"
            )
        latest = session.exec(
            select(func.max(ApplicationVersion.version)).where(
                ApplicationVersion.alliance_code == code
            )
        ).one()
    actor = Actor(name=submitted_by or application.lead_unit, role=Role.APPLICANT)
    return await submit_application(
        client, settings, application, actor, first_version=(latest or 0) + 1
    )


async def start_term(client: Client, settings: Settings, state: TermState) -> WorkflowHandle:
    """Start the term of an alliance recognised outside this system (article 13 import)."""
    from workflows.term import TermInput, TermWorkflow

    workflow_id = workflow_id_for(state.alliance_code)
    try:
        return await client.start_workflow(
            TermWorkflow.run,
            TermInput(state=state, outbox=Outbox(rules=settings.effects)),
            id=workflow_id,
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )
    except WorkflowAlreadyStartedError as err:
        raise ProcedureActionFailed(
            f"联盟 {state.alliance_code} 的流程已在运行 (already running: {workflow_id})"
        ) from err


async def act(client: Client, alliance_code: str, name: StaffAction | str, action: BaseModel):
    """Send one staff action (an entry of the catalogue) as an update whose id is the
    action's request id; the answer comes back in the update's own type."""
    spec = CATALOGUE[StaffAction(name)]
    handle = client.get_workflow_handle(workflow_id_for(alliance_code))
    try:
        return await handle.execute_update(
            spec.update,
            action,
            id=action.request_id,  # type: ignore[attr-defined]
            result_type=spec.result,
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            zh, en = _refusal_words(cause)
            raise ProcedureActionFailed(cause.message, zh, en) from err
        raise ProcedureActionFailed(str(cause or err)) from err
    except RPCError as err:
        raise ProcedureActionFailed(_rpc_message(alliance_code, err)) from err


async def procedure_state(client: Client, alliance_code: str) -> ProcedureState:
    """The live state of an alliance still in its recognition procedure."""
    return await _query(client, alliance_code, "state", ProcedureState)


async def term_state(client: Client, alliance_code: str) -> TermState:
    """The live state of a recognised alliance's term."""
    return await _query(client, alliance_code, "state", TermState)


async def outbox(client: Client, alliance_code: str) -> Outbox:
    """The alliance's effects still to do and its incidents (either workflow answers)."""
    return await _query(client, alliance_code, "outbox", Outbox)


async def alliances_with_incidents(client: Client) -> list[str]:
    """The codes of alliances whose workflow has an open incident (故障), newest first."""
    codes = []
    try:
        async for execution in client.list_workflows(search_attributes.WITH_OPEN_INCIDENTS):
            codes.append(alliance_code_of(execution.id))
    except RPCError as err:
        raise ProcedureActionFailed(f"无法查询故障列表：{err.message} (Temporal error)") from err
    return codes


async def pending_attempt(client: Client, alliance_code: str) -> tuple[int, str] | None:
    """The attempt number and last error of the effect being retried now, if any."""
    # The raw description: only its pending activities are read, so no search attribute
    # needs decoding (an unset Datetime one trips `describe()` on the test server).
    request = DescribeWorkflowExecutionRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=workflow_id_for(alliance_code)),
    )
    try:
        described = await client.workflow_service.describe_workflow_execution(request)
    except RPCError:
        return None
    for activity in described.pending_activities:
        if activity.HasField("last_failure"):
            # with payload keys the message travels encrypted, like the payloads
            failure = await client.data_converter.decode_failure(activity.last_failure)
            return activity.attempt, str(failure)
    return None


async def _query(client: Client, alliance_code: str, query: str, result_type: type[Any]):
    handle = client.get_workflow_handle(workflow_id_for(alliance_code))
    try:
        return await handle.query(query, result_type=result_type)
    except RPCError as err:
        raise ProcedureActionFailed(_rpc_message(alliance_code, err)) from err
    except WorkflowQueryFailedError as err:
        raise ProcedureActionFailed(
            f"暂时无法读取联盟 {alliance_code} 的流程状态：{err} (the workflow could not answer)"
        ) from err


async def announce_calendar_loaded(client: Client, alliance_codes: list[str]) -> int:
    """Wake the procedures of these alliances so a step waiting for a holiday year re-checks."""
    woken = 0
    for code in alliance_codes:
        try:
            await client.get_workflow_handle(workflow_id_for(code)).signal("calendar_loaded")
            woken += 1
        except RPCError:
            continue  # that procedure has ended meanwhile
    return woken


def _refusal_words(error: ApplicationError) -> tuple[str, str]:
    """The refusal's Chinese and English, as the workflow's validator gave them."""
    details = error.details
    if error.type == "ActionRefused" and len(details) == 2:
        return str(details[0]), str(details[1])
    return error.message, error.message


def _rpc_message(alliance_code: str, err: RPCError) -> str:
    if err.status == RPCStatusCode.NOT_FOUND:
        return f"找不到联盟 {alliance_code} 的办理流程 (no procedure for alliance {alliance_code})"
    return f"无法联系流程服务：{err.message} (Temporal error)"
