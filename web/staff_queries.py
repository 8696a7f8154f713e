"""What staff pages show: the inbox, an alliance's record and the actions open to a user,
and the incidents (故障) that wait for bureau staff.

The registry answers who is waiting on whom; the running workflow adds its deadlines.
A district reviewer only ever sees alliances of their own district. Article 8.6 ranks
applications with early results first (优先认定) when staff sort the inbox by it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, and_, col, func, select
from temporalio.api.common.v1 import SearchAttributes
from temporalio.api.workflowservice.v1 import ListWorkflowExecutionsRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.converter import decode_typed_search_attributes
from temporalio.service import RPCError

from client.actions import CATALOGUE, StaffAction
from client.alliances import (
    ProcedureActionFailed,
    alliance_code_of,
    alliances_with_incidents,
    outbox,
    pending_attempt,
    procedure_state,
    term_state,
    workflow_id_for,
)
from domain import search_attributes
from domain.application import Application
from domain.effects import Incident, Outbox
from domain.eligibility import early_results_priority
from domain.notices import UNDELIVERED
from domain.procedure import (
    FINAL_STAGES,
    STAGE_ACTORS,
    ObjectionStatus,
    ProcedureState,
    Role,
    Stage,
    process_view,
)
from domain.shanghai_time import end_of_day, local_date
from domain.term import (
    CERTIFICATE_HOLDS,
    ENDED,
    Milestone,
    ReportStatus,
    TermState,
    TermStatus,
    milestones,
)
from domain.working_days import CalendarYearMissing
from registry.calendar_store import load_calendar
from registry.database import in_utc, session_scope
from registry.tables import (
    Alliance,
    AnnualReportRow,
    ApplicationVersion,
    AssessmentRow,
    AuditEntry,
    DecisionRow,
    EmailMessage,
    MaterialFile,
    Member,
    ObjectionRow,
    PublicNoticeRow,
    StaffUser,
    UploadedFile,
)

NEXT_DEADLINE = SearchAttributeKey.for_datetime(search_attributes.NEXT_DEADLINE)
PROCEDURE_STAGES = {s.value for s in Stage} - {s.value for s in FINAL_STAGES}
TERM_STATUSES = {s.value for s in TermStatus} - {s.value for s in ENDED}

# Which registry status waits on which role: the article-9 steps staff act on (from the
# domain's STAGE_ACTORS) and the term's rectification, followed by bureau staff.
STAFF_STEPS = (Stage.DISTRICT_REVIEW, Stage.EXPERT_REVIEW, Stage.DIRECTOR_MEETING, Stage.APPROVAL)
WAITING_ON: dict[str, frozenset[Role]] = {
    **{stage.value: STAGE_ACTORS[stage] for stage in STAFF_STEPS},
    TermStatus.RECTIFICATION.value: frozenset({Role.BUREAU_STAFF}),
}
# Who re-queues an incident (故障); the workflow's validator checks the same roles.
INCIDENT_HANDLERS = frozenset({Role.BUREAU_STAFF, Role.ADMINISTRATOR})
STEP_FORMS = {
    Stage.DISTRICT_REVIEW.value: StaffAction.DISTRICT_REVIEW,
    Stage.EXPERT_REVIEW.value: StaffAction.EXPERT_REVIEW,
    Stage.DIRECTOR_MEETING.value: StaffAction.MEETING_DECISION,
    Stage.APPROVAL.value: StaffAction.RECORD_APPROVAL,
}


class NotVisible(Exception):
    """No such alliance, or not one this user may see."""


@dataclass
class InboxItem:
    code: str
    name: str
    task_zh: str
    task_en: str
    deadline: datetime | None = None
    working_days_left: int | None = None
    prioritised: bool | None = None  # 8.6, for an application in the procedure; else None
    status: str = ""  # the registry status the item waits in

    @property
    def overdue(self) -> bool:
        return self.working_days_left is not None and self.working_days_left < 0


def alliances_at(url: str, user: StaffUser, stage: Stage) -> list[Alliance]:
    """The alliances this user may see that are at `stage` now, by code."""
    with session_scope(url) as session:
        query = _scope(select(Alliance).where(Alliance.status == stage.value), user)
        return list(session.exec(query.order_by(col(Alliance.code))))


def matching(items: list[InboxItem], q: str) -> list[InboxItem]:
    """The items whose alliance name or code contains `q` (all of them when it is blank)."""
    q = q.strip().casefold()
    return [i for i in items if not q or q in i.name.casefold() or q in i.code.casefold()]


def visible(user: StaffUser, alliance: Alliance | None) -> bool:
    if alliance is None:
        return False
    return user.role != Role.DISTRICT_REVIEWER.value or alliance.district == user.district


def _scope(query, user: StaffUser):
    if user.role == Role.DISTRICT_REVIEWER.value:
        return query.where(Alliance.district == user.district)
    return query


def inbox_items(url: str, user: StaffUser) -> list[InboxItem]:
    """Every piece of work waiting on this user's role, without deadlines yet."""
    role = Role(user.role)
    items: list[InboxItem] = []
    with session_scope(url) as session:
        waiting = [s for s, roles in WAITING_ON.items() if role in roles]
        if waiting:
            steps = select(Alliance.code, Alliance.name, Alliance.status)
            for code, name, status in session.exec(
                _scope(steps.where(col(Alliance.status).in_(waiting)), user)
            ):
                items.append(InboxItem(code, name, *TASK_NAMES[status], status=status))
        if role == Role.BUREAU_STAFF:
            items += _staff_term_work(session)
        prioritised = _prioritised(session, {item.code for item in items})
    for item in items:
        item.prioritised = prioritised.get(item.code)
    return items


def _prioritised(session: Session, codes: set[str]) -> dict[str, bool]:
    """Article 8.6 for each of these alliances still in the recognition procedure, from the
    rank stored with its current application version."""
    current = and_(
        col(ApplicationVersion.alliance_code) == col(Alliance.code),
        col(ApplicationVersion.version) == col(Alliance.application_version),
    )
    rows = session.exec(
        select(Alliance.code, ApplicationVersion.early_results_priority)
        .join(ApplicationVersion, current)
        .where(col(Alliance.code).in_(codes), col(Alliance.status).in_(PROCEDURE_STAGES))
    )
    return {code: bool(rank) for code, rank in rows}


INBOX_ORDERS = ("deadline", "priority")


def in_order(items: list[InboxItem], order: str) -> list[InboxItem]:
    """The inbox by deadline (the default), or with article 8.6's prioritised applications
    first (优先认定); either way items of equal rank keep their deadline order."""
    if order == "priority":
        return sorted(items, key=lambda item: not item.prioritised)
    return items


TASK_NAMES = {
    Stage.DISTRICT_REVIEW.value: ("审查推荐", "district review"),
    Stage.EXPERT_REVIEW.value: ("组织专家评审", "expert review"),
    Stage.DIRECTOR_MEETING.value: ("局长办公会审议结果录入", "record the director's meeting"),
    Stage.APPROVAL.value: ("下达批复文件", "issue the approval document"),
    TermStatus.RECTIFICATION.value: ("整改跟踪与复核", "follow and re-check rectification"),
}


def _staff_term_work(session: Session) -> list[InboxItem]:
    items = []
    # Only the columns shown: a whole report row carries its statistics as JSON.
    objections = session.exec(
        select(Alliance.code, Alliance.name, func.count(ObjectionRow.id))
        .join(ObjectionRow, ObjectionRow.alliance_code == Alliance.code)
        .where(ObjectionRow.status == "open", Alliance.status == Stage.PUBLIC_NOTICE.value)
        .group_by(Alliance.code, Alliance.name)
    )
    for code, name, count in objections:
        items.append(InboxItem(code, name, f"处理公示异议（{count}件）", "resolve objections"))
    reports = session.exec(
        select(Alliance.code, Alliance.name, AnnualReportRow.year)
        .join(AnnualReportRow, AnnualReportRow.alliance_code == Alliance.code)
        .where(AnnualReportRow.status == "submitted")
    )
    for code, name, year in reports:
        items.append(InboxItem(code, name, f"审核{year}年度报告", f"review the {year} report"))
    assessments = session.exec(
        select(Alliance.code, Alliance.name, AssessmentRow.kind)
        .join(AssessmentRow, AssessmentRow.alliance_code == Alliance.code)
        .where(AssessmentRow.grade.is_(None), AssessmentRow.materials_submitted_at.is_not(None))
    )
    for code, name, kind in assessments:
        assessment = "期中考核评估" if kind == "midterm" else "期末综合评估"
        items.append(InboxItem(code, name, f"录入{assessment}结果", f"record the {kind} result"))
    return items


async def with_deadlines(
    client: Client, url: str, items: list[InboxItem], today: date, system_numbers: bool = False
) -> list[InboxItem]:
    """Add each item's deadline, oldest deadline first.

    The deadlines are the registry's: each workflow writes the time limit on staff as it
    sets it (since 1.2; none while the public notice runs or the system numbers the
    approval document). An alliance whose workflow has not written one yet (a run begun
    before 1.2) has its `AllianceNextDeadline` read from visibility instead, with those
    two steps shown without a limit, as its workflow's own clock says.
    """
    codes = {item.code for item in items}
    recorded = await asyncio.to_thread(_recorded_deadlines, url, codes)
    found = dict(recorded)
    if unrecorded := codes - recorded.keys():
        listed = await next_deadlines(client, url, unrecorded)
        during_notice = await asyncio.to_thread(_notice_ends, url, listed)
        for code, deadline in listed.items():
            found[code] = None if deadline == during_notice.get(code) else deadline
    for item in items:
        deadline = found.get(item.code)
        if item.code in unrecorded and system_numbers and item.status == Stage.APPROVAL.value:
            deadline = None
        item.deadline = deadline
    years = {today.year, today.year + 1} | {
        local_date(i.deadline).year for i in items if i.deadline
    }
    calendar = load_calendar(url, years)
    left: dict[date, int | None] = {}  # counted once a day: many items share their last day
    for item in items:
        if item.deadline is not None:
            due = local_date(item.deadline)
            if due not in left:
                left[due] = _working_days_left(calendar, today, due)
            item.working_days_left = left[due]
    far = datetime.max.replace(tzinfo=None)
    return sorted(items, key=lambda i: i.deadline.replace(tzinfo=None) if i.deadline else far)


# Workflow ids per visibility query: the service's largest page by default. Each query
# costs the service a scan besides its rows, so an inbox of hundreds is one query.
LISTED_AT_ONCE = 1000


async def next_deadlines(client: Client, url: str, codes: set[str]) -> dict[str, datetime | None]:
    """The next deadline of each running workflow of these alliances (None: it has none).

    Listed from visibility; a workflow the listing does not hold yet (visibility lags a
    moment behind a start, and the time-skipping test server keeps none) is asked itself.
    """

    async def asked(code: str) -> datetime | None:
        try:
            with session_scope(url) as session:
                status = session.get(Alliance, code).status
            if status in PROCEDURE_STAGES:
                state = await procedure_state(client, code)
                return state.clock.deadline if state.clock else None
            return (await term_state(client, code)).next_deadline
        except ProcedureActionFailed:
            return None

    try:
        found = await listed_deadlines(client, codes)
    except RPCError:
        found = {}
    missing = sorted(codes - found.keys())
    for code, deadline in zip(missing, await asyncio.gather(*map(asked, missing)), strict=True):
        found[code] = deadline
    return found


async def listed_deadlines(client: Client, codes: set[str]) -> dict[str, datetime | None]:
    """The `AllianceNextDeadline` of each running workflow of these alliances that the
    visibility listing holds (None: it has none).

    The service's own call rather than the SDK's list_workflows, which would decode every
    search attribute and memo of each execution where this reads one attribute."""

    async def listed(chunk: list[str]) -> dict[str, datetime | None]:
        ids = ", ".join(f"'{workflow_id_for(code)}'" for code in chunk)
        request = ListWorkflowExecutionsRequest(
            namespace=client.namespace,
            query=f"WorkflowId IN ({ids}) AND ExecutionStatus = 'Running'",
            page_size=len(chunk),
        )
        found: dict[str, datetime | None] = {}
        while True:
            page = await client.workflow_service.list_workflow_executions(request, retry=True)
            for execution in page.executions:
                found[alliance_code_of(execution.execution.workflow_id)] = _next_deadline_of(
                    execution.search_attributes, decoded
                )
            if not page.next_page_token:
                return found
            request.next_page_token = page.next_page_token

    decoded: dict[bytes, datetime | None] = {}
    ordered = sorted(codes)
    chunks = [ordered[i : i + LISTED_AT_ONCE] for i in range(0, len(ordered), LISTED_AT_ONCE)]
    parts = await asyncio.gather(*(listed(chunk) for chunk in chunks))
    return {code: deadline for part in parts for code, deadline in part.items()}


def _next_deadline_of(
    attributes: SearchAttributes, decoded: dict[bytes, datetime | None]
) -> datetime | None:
    """The `AllianceNextDeadline` of a listed execution, the one attribute decoded, each
    value once (`decoded`): deadlines end a day, and many items share their day.

    Search attributes are never encoded by the payload codec: the SDK's own decoder reads
    them with the default converter."""
    value = attributes.indexed_fields.get(NEXT_DEADLINE.name)
    if value is None:
        return None
    if value.data not in decoded:
        only = SearchAttributes(indexed_fields={NEXT_DEADLINE.name: value})
        decoded[value.data] = decode_typed_search_attributes(only).get(NEXT_DEADLINE)
    return decoded[value.data]


def _recorded_deadlines(url: str, codes: set[str]) -> dict[str, datetime | None]:
    """The limits the alliances' workflows wrote to the registry (in UTC), of those that
    wrote one."""
    with session_scope(url) as session:
        rows = session.exec(
            select(Alliance.code, Alliance.next_deadline).where(
                col(Alliance.code).in_(codes), col(Alliance.deadline_as_of).is_not(None)
            )
        )
        return {code: in_utc(deadline) for code, deadline in rows}


def _notice_ends(url: str, deadlines: dict[str, datetime | None]) -> dict[str, datetime]:
    """The end (23:59:59 of its last day) of each open public notice among these alliances."""
    with session_scope(url) as session:
        rows = session.exec(
            select(PublicNoticeRow.alliance_code, PublicNoticeRow.end_date)
            .join(Alliance, col(Alliance.code) == col(PublicNoticeRow.alliance_code))
            .where(
                col(Alliance.status) == Stage.PUBLIC_NOTICE.value,
                col(Alliance.code).in_(list(deadlines)),
            )
        )
        return {code: end_of_day(end) for code, end in rows}


def _working_days_left(calendar, today: date, due: date) -> int | None:
    try:
        if due >= today:
            return calendar.count_working_days(today, due) - (
                1 if calendar.is_workday(today) else 0
            )
        return -calendar.count_working_days(due, today) + (1 if calendar.is_workday(due) else 0)
    except CalendarYearMissing:
        return None


def done_items(url: str, user: StaffUser, limit: int = 50) -> list[AuditEntry]:
    """已办: what this user has done, newest first."""
    with session_scope(url) as session:
        return list(
            session.exec(
                select(AuditEntry)
                .where(AuditEntry.actor == user.display_name, AuditEntry.role == user.role)
                .order_by(AuditEntry.at.desc())
                .limit(limit)
            )
        )


@dataclass
class AllianceRecord:
    alliance: Alliance
    members: list[Member]
    materials: list[MaterialFile]
    decisions: list[DecisionRow]
    audit: list[AuditEntry]
    emails: list[EmailMessage]
    objections: list[ObjectionRow]
    reports: list[AnnualReportRow]
    assessments: list[AssessmentRow]
    application: dict = field(default_factory=dict)  # the current version as submitted
    conditions: RecordedConditions | None = None  # None: no application (an article-13 import)
    live: object | None = None  # ProcedureState or TermState, when the workflow answers
    live_error: str = ""
    outbox: Outbox | None = None  # effects still to do and incidents, when the workflow answers
    attempt: tuple[int, str] | None = None  # the head effect's attempt number and last error
    actions: list[str] = field(default_factory=list)
    may_reissue: bool = False  # 证书补发 offered to this user
    upcoming: list[Milestone] = field(default_factory=list)  # the term's dated steps ahead
    # the materials whose file the registry holds; the others were filed on paper
    files_held: set[str] = field(default_factory=set)

    @property
    def step_form(self) -> str:
        """The form of the article-9 step the alliance waits on, if staff take it."""
        return STEP_FORMS.get(self.alliance.status, "")

    @property
    def process(self) -> list[tuple[Stage, str]]:
        """The article-9 steps, each `done`, `current` or `ahead` for this alliance."""
        a = self.alliance
        return process_view(a.status, bool(a.certificate_serial) or a.status in TERM_STATUSES)


@dataclass
class RecordedConditions:
    """What the application records of articles 5 and 8, and its 8.6 priority.

    Empty texts and a missing date: submitted before these were asked.
    """

    industry_sector: str
    established_on: date | None
    establishment_basis: str
    institute_advanced_level: str
    early_results: str
    prioritised: bool

    @classmethod
    def of(cls, app: Application) -> RecordedConditions:
        return cls(
            industry_sector=app.industry_sector,
            established_on=app.established_on,
            establishment_basis=app.establishment_basis,
            institute_advanced_level=app.institute_advanced_level,
            early_results=app.early_results,
            prioritised=early_results_priority(app) > 0,
        )


def _conditions(versions: list[ApplicationVersion]) -> RecordedConditions | None:
    """From the newest version that is a whole application, not a membership change."""
    for version in sorted(versions, key=lambda v: v.version, reverse=True):
        if "membership_change" not in version.payload:
            return RecordedConditions.of(Application.model_validate(version.payload))
    return None


def alliance_record(url: str, user: StaffUser, code: str) -> AllianceRecord:
    with session_scope(url) as session:
        alliance = session.get(Alliance, code)
        if not visible(user, alliance):
            raise NotVisible(code)
        version = alliance.application_version

        def rows(table, *conditions, order=None):
            query = select(table).where(table.alliance_code == code, *conditions)
            return list(session.exec(query.order_by(order if order is not None else table.id)))

        versions = rows(ApplicationVersion)
        materials = rows(MaterialFile, MaterialFile.application_version == version)
        held = select(UploadedFile.sha256).where(
            col(UploadedFile.sha256).in_([m.sha256 for m in materials])
        )
        return AllianceRecord(
            alliance=alliance,
            members=rows(Member, Member.application_version == version),
            materials=materials,
            files_held=set(session.exec(held)),
            decisions=rows(DecisionRow),
            audit=rows(AuditEntry, order=AuditEntry.at),
            emails=rows(EmailMessage),
            objections=rows(ObjectionRow, order=ObjectionRow.number),
            reports=rows(AnnualReportRow, order=AnnualReportRow.year),
            assessments=rows(AssessmentRow),
            application=next((v.payload for v in versions if v.version == version), {}),
            conditions=_conditions(versions),
        )


Connect = Callable[[], Awaitable[Client]]


def workflow_running(status: str) -> bool:
    """The alliance's workflow still runs (and answers queries and actions) in this status."""
    return status in PROCEDURE_STAGES or status in TERM_STATUSES


async def add_live_state(connect: Connect, record: AllianceRecord) -> None:
    """The running workflow's state, pending effects and incidents; when Temporal does not
    answer, `live_error` says so and the page shows the registry alone."""
    status, code = record.alliance.status, record.alliance.code
    if not workflow_running(status):
        return  # the registry holds the whole record of an ended workflow
    try:
        client = await connect()
        # The state and the outbox are two queries of the same workflow: asked at once.
        if status in PROCEDURE_STAGES:
            record.live, record.outbox = await asyncio.gather(
                procedure_state(client, code), outbox(client, code)
            )
        else:
            term, record.outbox = await asyncio.gather(
                term_state(client, code), outbox(client, code)
            )
            record.live, record.upcoming = term, milestones(term)
        if record.outbox.pending:
            record.attempt = await pending_attempt(client, code)
    except ProcedureActionFailed as failed:
        record.live_error = str(failed)


def actions_for(user: StaffUser, record: AllianceRecord) -> list[StaffAction]:
    """The forms to show: the catalogue's actions open in this state to this user's role.

    The workflow's validators decide in the end; this only avoids offering what cannot work.
    """
    status = record.alliance.status
    open_now: list[StaffAction] = []
    if status in STEP_FORMS and not _numbered_by_system(record):
        open_now.append(STEP_FORMS[status])
    if status == Stage.CORRECTION.value:
        open_now.append(StaffAction.RESUBMIT)
    if status == Stage.PUBLIC_NOTICE.value:
        open_now.append(StaffAction.FILE_OBJECTION)
        if any(o.status == ObjectionStatus.OPEN for o in record.objections):
            open_now.append(StaffAction.RESOLVE_OBJECTION)
    if status in TERM_STATUSES:
        open_now += [StaffAction.SUBMIT_ANNUAL_REPORT]
        if any(report.status == ReportStatus.SUBMITTED for report in record.reports):
            open_now.append(StaffAction.REVIEW_ANNUAL_REPORT)
        open_now += [StaffAction.SUBMIT_ASSESSMENT_MATERIALS, StaffAction.RECORD_ASSESSMENT]
    if status == TermStatus.RECTIFICATION.value:
        open_now += [
            StaffAction.SUBMIT_RECTIFICATION_REPORT,
            StaffAction.RECHECK_RECTIFICATION,
            StaffAction.EXTEND_RECTIFICATION,
        ]
    if status in TERM_STATUSES:
        open_now += [StaffAction.EXTEND_TERM]
        if not (isinstance(record.live, TermState) and record.live.plaque_handed_over):
            open_now.append(StaffAction.RECORD_PLAQUE_HANDOVER)
        open_now += [StaffAction.CHANGE_MEMBERSHIP, StaffAction.REVOKE, StaffAction.RENOUNCE]
    if status in PROCEDURE_STAGES:
        open_now.append(StaffAction.WITHDRAW)
    if workflow_running(status):
        open_now.append(StaffAction.RETRY_INCIDENT)
    role = Role(user.role)
    return [name for name in open_now if role in CATALOGUE[name].roles]


def may_reissue_certificate(user: StaffUser, record: AllianceRecord) -> bool:
    """证书补发 is for bureau staff, while a certificate of this system holds."""
    a = record.alliance
    return (
        user.role == Role.BUREAU_STAFF.value
        and bool(a.certificate_serial)
        and a.status in CERTIFICATE_HOLDS
    )


def _numbered_by_system(record: AllianceRecord) -> bool:
    """The procedure's rules leave the approval document to the system: no form for it."""
    live = record.live
    return (
        record.alliance.status == Stage.APPROVAL.value
        and isinstance(live, ProcedureState)
        and live.rules.approval_numbered_by_system
    )


# ---- incidents (故障) across alliances


@dataclass
class AllianceIncidents:
    code: str
    name: str  # "" when the registry has no row for it yet
    incidents: list[Incident]
    error: str = ""  # its workflow did not answer


@dataclass
class UndeliveredEmail:
    email: EmailMessage
    alliance_name: str


@dataclass
class IncidentsOverview:
    alliances: list[AllianceIncidents] = field(default_factory=list)
    error: str = ""  # Temporal could not list them; the undelivered emails still show
    undelivered: list[UndeliveredEmail] = field(default_factory=list)


async def incidents_overview(connect: Connect, url: str) -> IncidentsOverview:
    """Every open incident of a running workflow, and every email some recipient never got."""
    found = IncidentsOverview(undelivered=await asyncio.to_thread(undelivered_emails, url))
    try:
        client = await connect()
        codes = await alliances_with_incidents(client)
    except ProcedureActionFailed as failed:
        found.error = str(failed)
        return found
    names = await asyncio.to_thread(alliance_names, url, codes)

    async def incidents_of(code: str) -> AllianceIncidents:
        try:
            box = await outbox(client, code)
        except ProcedureActionFailed as failed:
            return AllianceIncidents(code, names.get(code, ""), [], str(failed))
        return AllianceIncidents(code, names.get(code, ""), box.open_incidents())

    listed = await asyncio.gather(*(incidents_of(code) for code in codes))
    # An alliance whose incidents were re-queued since the list was read drops out.
    found.alliances = [a for a in listed if a.incidents or a.error]
    return found


def undelivered_emails(url: str) -> list[UndeliveredEmail]:
    """Emails refused for some or all recipients, newest first, with who refused and why."""
    with session_scope(url) as session:
        rows = session.exec(
            select(EmailMessage, Alliance.name)
            .join(Alliance, col(Alliance.code) == col(EmailMessage.alliance_code), isouter=True)
            .where(col(EmailMessage.status).in_(UNDELIVERED))
            .order_by(col(EmailMessage.created_at).desc())
        )
        return [UndeliveredEmail(email, name or "") for email, name in rows]


def alliance_names(url: str, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    with session_scope(url) as session:
        query = select(Alliance.code, Alliance.name).where(col(Alliance.code).in_(codes))
        return dict(session.exec(query).all())
