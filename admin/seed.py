"""Made-up alliances for measuring the console at scale (`alliance-admin seed N`).

Alliance i gets a status from a fixed cycle of 100 (most in their first five-year term,
a few at each article-9 step, some ended), five members, its application, two audit
entries, the term notice email, and an annual report for each December its term has
owed so far: mostly accepted, one in 40 of last year's submitted and awaiting review,
one in 25 missing (overdue). The registry rows are inserted in bulk, a thousand a
statement. With `--workflows`, every alliance whose workflow would still run gets it on
Temporal, started from the same state: a `TermWorkflow` from its `TermState`, a
`RecognitionWorkflow` at its step.

Milestones falling due within `QUIET` of now are marked handled, so that seeding does
not set off a storm of notices while the console is being measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlmodel import SQLModel, func, select

from domain.application import Application, Contact, Member, MemberKind, MemberRole
from domain.application_file import load_application_file
from domain.credit_code import complete_code
from domain.districts import District
from domain.effects import Outbox
from domain.procedure import Actor, Decision, NoticeWindow, ProcedureState, Role, Stage
from domain.settings import PROJECT_ROOT, Settings
from domain.shanghai_time import local_date, start_of_day
from domain.term import (
    ReportRecord,
    ReportStatus,
    TermState,
    TermStatus,
    add_years,
    milestones,
    report_due,
    report_years,
    term_end_for,
)
from registry.database import session_scope
from registry.tables import (
    Alliance,
    AnnualReportRow,
    ApplicationVersion,
    AuditEntry,
    EmailMessage,
)
from registry.tables import (
    Member as MemberRow,
)

if TYPE_CHECKING:
    from temporalio.client import Client

SAMPLE = PROJECT_ROOT / "samples" / "application-sample.yaml"
BATCH = 1000
QUIET = timedelta(hours=12)
MEMBERS = 5
# The status of alliance i is CYCLE[i % 100]: 7 at an article-9 step, 5 ended, 88 in term.
CYCLE: tuple[str, ...] = (
    Stage.DISTRICT_REVIEW,
    Stage.DISTRICT_REVIEW,
    Stage.CORRECTION,
    Stage.EXPERT_REVIEW,
    Stage.DIRECTOR_MEETING,
    Stage.PUBLIC_NOTICE,
    Stage.APPROVAL,
    TermStatus.EXPIRED,
    TermStatus.EXPIRED,
    TermStatus.REVOKED,
    TermStatus.WITHDRAWN,
    Stage.REJECTED,
    *[TermStatus.ACTIVE] * 88,
)
PROCEDURE = {Stage.DISTRICT_REVIEW, Stage.CORRECTION, Stage.EXPERT_REVIEW}
PROCEDURE |= {Stage.DIRECTOR_MEETING, Stage.PUBLIC_NOTICE, Stage.APPROVAL}
STATISTICS = {
    "rd_spending_wan": 1250.5,
    "researchers": 86,
    "joint_projects": 4,
    "patents_applied": 12,
    "patents_granted": 5,
    "standards_drafted": 1,
    "technology_transfers": 3,
    "people_trained": 40,
    "platforms": 2,
    "member_funds_invested_wan": 800.0,
    "government_funding_wan": 120.3,
    "achievements_commercialised": 2,
    "commercialisation_income_wan": 560.0,
    "new_products": 3,
    "ip_licensed": 1,
    "talents_introduced": 4,
}


class RegistryNotEmpty(Exception):
    """Seeding is for a fresh registry: its codes would collide with the alliances there."""


@dataclass
class Seeded:
    """One made-up alliance: its registry status, application and, in term, its state."""

    i: int
    code: str
    status: str
    application: Application
    submitted_at: datetime
    term: TermState | None = None  # the current term
    recognised_on: date | None = None
    earlier_terms: list[TermState] = field(default_factory=list)

    @property
    def in_procedure(self) -> bool:
        return self.status in PROCEDURE


@dataclass
class SeedCounts:
    alliances: int = 0
    members: int = 0
    reports: int = 0
    workflows: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)


def _sample() -> Application:
    return load_application_file(SAMPLE)


def seeded(i: int, now: datetime, sample: Application) -> Seeded:
    """Alliance i, the same every time for the same `now`."""
    today = local_date(now)
    status = CYCLE[i % len(CYCLE)]
    district = list(District)[i % len(District)]
    lead = f"鞍山基准{i:05d}科技有限公司"
    codes = [complete_code(f"9121030{k}{i:09d}") for k in range(MEMBERS)]
    kinds = [MemberKind.ENTERPRISE] * 3 + [MemberKind.UNIVERSITY, MemberKind.RESEARCH_INSTITUTE]
    members = [
        Member(
            name=lead if k == 0 else f"鞍山基准{i:05d}成员单位{k}",
            kind=kinds[k],
            credit_code=codes[k],
            role=MemberRole.LEAD if k == 0 else MemberRole.MEMBER,
            task="联合攻关与成果转化",
        )
        for k in range(MEMBERS)
    ]
    application = sample.model_copy(
        update={
            "alliance_name": f"鞍山市基准{i:05d}产业技术创新战略联盟",
            "district": district,
            "lead_unit": lead,
            "members": members,
            "contacts": [Contact(name="联盟秘书处", email=f"secretariat{i:05d}@alliance.example")],
            "early_results": sample.early_results if i % 3 == 0 else "",
        }
    )
    if status in PROCEDURE or status == Stage.REJECTED:
        submitted = now - timedelta(days=3 + i % 20)
        code = f"{local_date(submitted).year}-{i + 1:05d}"
        return Seeded(i, code, status, application, submitted)
    # Recognised between 2 months and 7 years ago; after five years, in a renewed term.
    first = today - timedelta(days=60 + (i * 37) % (7 * 365 - 60))
    if status == TermStatus.EXPIRED:
        first = add_years(today, -5) - timedelta(days=30 + i % 600)
    code = f"{first.year}-{i + 1:05d}"
    terms = [_term(code, application, status, first, 1)]
    renewed = add_years(first, 5)
    if status == TermStatus.ACTIVE and renewed <= today:
        terms.append(_term(code, application, status, renewed, 2))
    for term in terms:
        owed = [y for y in report_years(term) if y < today.year]
        term.reports = [r for r in (_report(i, y, today) for y in owed) if r is not None]
    term = terms[-1]
    term.done = [m.key for m in milestones(term) if m.at < now + QUIET]
    submitted = start_of_day(first) - timedelta(days=90)
    return Seeded(i, code, status, application, submitted, term, first, terms[:-1])


def _term(code: str, app: Application, status: str, start: date, term_no: int) -> TermState:
    return TermState(
        alliance_code=code,
        alliance_name=app.alliance_name,
        district=app.district,
        lead_unit=app.lead_unit,
        members=app.members,
        contacts=app.contacts,
        term_no=term_no,
        term_start=start,
        term_end=term_end_for(start),
        tracking_from=start_of_day(start),
        status=TermStatus(status),
    )


def _report(i: int, year: int, today: date) -> ReportRecord | None:
    """Last year's report: one in 40 awaiting review, one in 25 not sent; earlier ones
    accepted."""
    if year == today.year - 1 and i % 25 == 1:
        return None
    status = ReportStatus.ACCEPTED
    if year == today.year - 1 and i % 40 == 0:
        status = ReportStatus.SUBMITTED
    return ReportRecord(
        year=year,
        status=status,
        versions=1,
        submitted_at=report_due(year) - timedelta(days=5 + i % 20),
        summary=f"{year}年度联盟开展联合攻关、标准制定和人才培养。",
        next_year_plan=f"{year + 1}年度继续推进共性技术研发。",
    )


def _rows(s: Seeded, now: datetime) -> dict[type[SQLModel], list[dict[str, Any]]]:
    app, term = s.application, s.term
    alliance = {
        "code": s.code,
        "name": app.alliance_name,
        "lead_unit_code": app.lead_unit_code(),
        "industry_field": app.industry_field,
        "district": app.district.value,
        "lead_unit": app.lead_unit,
        "status": s.status,
        "origin": "application",
        "workflow_id": f"alliance-{s.code}",
        "application_version": 1,
        "certificate_serial": f"SEED-{s.code}" if term else None,
        "recognised_on": s.recognised_on,
        "term_no": term.term_no if term else None,
        "term_end": term.term_end if term else None,
        "contact_emails": app.recipient_emails(),
        "created_at": s.submitted_at,
        "updated_at": now - timedelta(minutes=s.i),
    }
    members = [
        {
            "alliance_code": s.code,
            "application_version": 1,
            "name": m.name,
            "kind": m.kind.value,
            "credit_code": m.credit_code,
            "role": m.role.value,
            "task": m.task,
        }
        for m in app.members
    ]
    version = {
        "alliance_code": s.code,
        "version": 1,
        "submitted_at": s.submitted_at,
        "payload": app.model_dump(mode="json"),
    }
    audit = [
        {
            "key": f"seed:{s.code}:submitted",
            "alliance_code": s.code,
            "actor": app.lead_unit,
            "role": Role.APPLICANT.value,
            "action": "submitted",
            "at": s.submitted_at,
            "detail": {},
        }
    ]
    reports, emails = [], []
    if term:
        audit.append(
            {
                "key": f"seed:{s.code}:recognised",
                "alliance_code": s.code,
                "actor": "system",
                "role": Role.SYSTEM.value,
                "action": "recognised",
                "at": start_of_day(s.recognised_on or term.term_start),
                "detail": {},
            }
        )
        emails.append(
            {
                "key": f"{s.code}:term_started:term1",
                "message_id": f"<seed-{s.code}@alliance.example>",
                "alliance_code": s.code,
                "purpose": "term_started",
                "recipients": app.recipient_emails(),
                "subject": f"【鞍山市科技局】{app.alliance_name}认定通知",
                "status": "sent",
                "refused": {},
                "attempts": 1,
                "sent_at": start_of_day(term.term_start),
                "created_at": start_of_day(term.term_start),
            }
        )
        reports = [
            {
                "alliance_code": s.code,
                "term_no": t.term_no,
                "year": r.year,
                "status": r.status.value,
                "submitted_at": r.submitted_at,
                "late": False,
                "versions": r.versions,
                "summary": r.summary,
                "next_year_plan": r.next_year_plan,
                "statistics": STATISTICS,
                "review": "",
                "updated_at": r.submitted_at,
            }
            for t in (*s.earlier_terms, term)
            for r in t.reports
        ]
    return {
        Alliance: [alliance],
        ApplicationVersion: [version],
        MemberRow: members,
        AuditEntry: audit,
        EmailMessage: emails,
        AnnualReportRow: reports,
    }


def plan(n: int, now: datetime) -> Iterator[Seeded]:
    sample = _sample()
    return (seeded(i, now, sample) for i in range(n))


def seed_registry(
    url: str, n: int, now: datetime | None = None, say: Callable[[str], None] = print
) -> SeedCounts:
    """Insert N made-up alliances and what the console reads of them, in bulk."""
    now = now or datetime.now(UTC)
    began = time.monotonic()
    with session_scope(url) as session:
        if session.exec(select(func.count()).select_from(Alliance)).one():
            raise RegistryNotEmpty("the registry already holds alliances: seed a fresh one")
    counts = SeedCounts()
    pending: dict[type[SQLModel], list[dict[str, Any]]] = {}

    def flush() -> None:
        with session_scope(url) as session:
            for table in (Alliance, ApplicationVersion, MemberRow, AuditEntry, EmailMessage):
                if pending.get(table):
                    session.execute(insert(table), pending[table])
            if pending.get(AnnualReportRow):
                session.execute(insert(AnnualReportRow), pending[AnnualReportRow])
        counts.members += len(pending.get(MemberRow, []))
        counts.reports += len(pending.get(AnnualReportRow, []))
        pending.clear()
        say(f"  registry: {counts.alliances}/{n} alliances ({time.monotonic() - began:.1f} s)")

    for s in plan(n, now):
        for table, rows in _rows(s, now).items():
            pending.setdefault(table, []).extend(rows)
        counts.alliances += 1
        counts.by_status[s.status] = counts.by_status.get(s.status, 0) + 1
        if counts.alliances % BATCH == 0:
            flush()
    if pending:
        flush()
    counts.seconds = time.monotonic() - began
    return counts


def _decisions(s: Seeded, now: datetime) -> list[Decision]:
    """The decisions of the steps before the one the application waits at."""
    district = s.application.district
    steps = [
        (Stage.DISTRICT_REVIEW, "recommend", Role.DISTRICT_REVIEWER, {}),
        (Stage.EXPERT_REVIEW, "pass", Role.EXPERT_ORGANISER, {}),
        (Stage.DIRECTOR_MEETING, "approve", Role.DIRECTOR_CLERK, {"meeting_number": "2026年第9次"}),
    ]
    done = {
        Stage.CORRECTION: [(Stage.DISTRICT_REVIEW, "return", Role.DISTRICT_REVIEWER, {})],
        Stage.EXPERT_REVIEW: steps[:1],
        Stage.DIRECTOR_MEETING: steps[:2],
        Stage.PUBLIC_NOTICE: steps,
        Stage.APPROVAL: steps,
    }.get(Stage(s.status), [])
    return [
        Decision(
            stage=stage,
            action=action,
            actor=Actor(name="基准办理人", role=role, district=district),
            at=now - timedelta(days=20 - 5 * k),
            reasons="请补充联盟协议签署页" if action == "return" else "",
            detail=detail,
        )
        for k, (stage, action, role, detail) in enumerate(done)
    ]


def _notice(s: Seeded, now: datetime) -> NoticeWindow | None:
    """An application waiting for its approval document has had its notice."""
    if s.status != Stage.APPROVAL:
        return None
    end = local_date(now) - timedelta(days=1 + s.i % 3)
    return NoticeWindow(start=end - timedelta(days=6), end=end)


def running(seeds: list[Seeded]) -> list[Seeded]:
    """The alliances whose workflow still runs: at an article-9 step, or active in term."""
    return [s for s in seeds if s.in_procedure or s.status == TermStatus.ACTIVE]


async def start_workflows(
    settings: Settings,
    n: int,
    now: datetime,
    concurrency: int = 50,
    say: Callable[[str], None] = print,
    client: Client | None = None,
) -> int:
    """Start the workflows of the alliances `seed_registry(n, now)` registered, `concurrency`
    at a time. One already running is left as it is, so an interrupted start can be run
    again with the same `now`; the count is of the workflows running afterwards."""
    from temporalio.exceptions import WorkflowAlreadyStartedError

    from client.connection import connect
    from workflows.recognition import RecognitionInput, RecognitionWorkflow
    from workflows.term import TermInput, TermWorkflow

    client = client or await connect(settings)
    gate = asyncio.Semaphore(concurrency)
    alive = running(list(plan(n, now)))
    started = 0
    began = time.monotonic()

    async def start(s: Seeded) -> None:
        nonlocal started
        async with gate:
            with contextlib.suppress(WorkflowAlreadyStartedError):  # an earlier run's
                await start_one(s)
            started += 1
            if started % BATCH == 0:
                say(f"  workflows: {started}/{len(alive)} ({time.monotonic() - began:.1f} s)")

    async def start_one(s: Seeded) -> None:
        if s.term is not None:
            await client.start_workflow(
                TermWorkflow.run,
                TermInput(state=s.term, announced=True, outbox=Outbox(rules=settings.effects)),
                id=f"alliance-{s.code}",
                task_queue=settings.task_queue,
            )
        else:
            actor = Actor(name=s.application.lead_unit, role=Role.APPLICANT)
            state = ProcedureState(
                alliance_code=s.code,
                application=s.application,
                submitted_at=s.submitted_at,
                stage=Stage(s.status),
                stage_entered_at=now - timedelta(days=s.i % 5),
                rules=settings.rules,
                term_rules=settings.term_rules,
                decisions=_decisions(s, now),
                notice=_notice(s, now),
            )
            await client.start_workflow(
                RecognitionWorkflow.run,
                RecognitionInput(
                    application=s.application,
                    submitted_by=actor,
                    alliance_code=s.code,
                    rules=settings.rules,
                    term_rules=settings.term_rules,
                    state=state,
                    outbox=Outbox(rules=settings.effects),
                ),
                id=f"alliance-{s.code}",
                task_queue=settings.task_queue,
            )

    await asyncio.gather(*(start(s) for s in alive))
    return started
