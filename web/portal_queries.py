"""What the alliance portal shows an alliance: its status, what is due, and the pages the
emails link to (the annual report of a year, assessment materials, rectification, a
returned application). Read from the registry; a deadline the registry does not hold
(a rectification's, a returned application's) is read from the alliance's workflow when
Temporal answers, and otherwise left to the notice the alliance received.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import col, select
from temporalio.client import Client

from client.alliances import ProcedureActionFailed, procedure_state, term_state
from domain.labels import ASSESSMENT_EN, Words, words
from domain.procedure import Stage
from domain.shanghai_time import local_date
from domain.term import (
    ASSESSMENT_ZH,
    AssessmentKind,
    ReportStatus,
    TermState,
    TermStatus,
    assessment_opens,
    report_due,
    report_years,
)
from registry.database import session_scope
from registry.tables import Alliance, AnnualReportRow, AssessmentRow, DecisionRow

OPEN_REPORT = (ReportStatus.DUE.value, ReportStatus.RETURNED.value)


@dataclass
class Due:
    """One thing the alliance is asked to hand in, and the portal page about it."""

    title: Words
    path: str
    due: datetime | None = None
    days_left: int | None = None  # calendar days, as the term counts (negative: overdue)
    opens: datetime | None = None  # not asked yet: the day it opens


@dataclass
class Task:
    """A page an email links to: what is asked, by when, where it stands."""

    code: str
    name: str
    title: Words
    asked: Words
    state: Words
    due: datetime | None = None
    open: bool = True  # still to be handed in
    reasons: str = ""  # why it came back (a returned report or application)


@dataclass
class Home:
    alliance: Alliance
    status: Words
    dues: list[Due] = field(default_factory=list)


def alliance_of(url: str, code: str) -> Alliance | None:
    with session_scope(url) as db:
        return db.get(Alliance, code)


def home(url: str, alliance: Alliance, today: date, state: TermState | None = None) -> Home:
    """The alliance's status and what is open, earliest first, with the calendar days left.
    During the term the live state says it (the coming report before its reminders, the
    next assessment before it opens, the rectification's deadline); else the registry."""
    found = _term_dues(alliance.code, state, today) if state is not None else None
    if found is None:
        found = _registry_dues(url, alliance)
    for due in found:
        if due.due is not None:
            due.days_left = (local_date(due.due) - today).days
    far = datetime.max
    found.sort(key=lambda d: (d.due or d.opens or far).replace(tzinfo=None))
    return Home(alliance, words("status", alliance.status), found)


def _term_dues(code: str, state: TermState, today: date) -> list[Due]:
    dues = []
    for year in report_years(state):
        record = state.report(year)
        if record is not None and record.status not in OPEN_REPORT:
            continue
        due = report_due(year)
        if record is not None and record.status == ReportStatus.RETURNED and record.resubmit_by:
            due = record.resubmit_by
        dues.append(Due(_report_title(year), _path(code, "reports", year), due))
        if local_date(due) >= today:
            break  # the coming report; later years follow in their turn
    for kind in AssessmentKind:
        record = state.assessment(kind)
        path = _path(code, "assessments", kind.value)
        if record is None:
            opens = assessment_opens(state, kind)
            if local_date(opens) >= today:
                dues.append(Due(_assessment_title(kind.value), path, opens=opens))
                break  # only the next one to open
        elif record.materials_submitted_at is None:
            dues.append(Due(_assessment_title(kind.value), path, record.materials_due))
    rectification = state.rectification
    if (
        state.status == TermStatus.RECTIFICATION
        and rectification is not None
        and rectification.report_submitted_at is None
    ):
        dues.append(Due(RECTIFICATION_TITLE, _path(code, "rectification"), rectification.due))
    return dues


def _registry_dues(url: str, alliance: Alliance) -> list[Due]:
    code = alliance.code
    dues = []
    with session_scope(url) as db:
        for report in db.exec(
            select(AnnualReportRow)
            .where(
                AnnualReportRow.alliance_code == code, col(AnnualReportRow.status).in_(OPEN_REPORT)
            )
            .order_by(col(AnnualReportRow.year))
        ):
            dues.append(
                Due(
                    _report_title(report.year),
                    _path(code, "reports", report.year),
                    report_due(report.year),
                )
            )
        for row in db.exec(
            select(AssessmentRow).where(
                AssessmentRow.alliance_code == code,
                col(AssessmentRow.materials_submitted_at).is_(None),
            )
        ):
            dues.append(
                Due(
                    _assessment_title(row.kind),
                    _path(code, "assessments", row.kind),
                    row.materials_due,
                )
            )
    if alliance.status == TermStatus.RECTIFICATION.value:
        dues.append(Due(RECTIFICATION_TITLE, _path(code, "rectification")))
    if alliance.status == Stage.CORRECTION.value:
        dues.append(Due(APPLICATION_TITLE, _path(code, "application")))
    return dues


def report_row(url: str, code: str, year: int) -> AnnualReportRow | None:
    """The report of `year` as the registry holds it (what was handed in, once it was)."""
    with session_scope(url) as db:
        return db.exec(
            select(AnnualReportRow).where(
                AnnualReportRow.alliance_code == code, AnnualReportRow.year == year
            )
        ).first()


def report_task(url: str, alliance: Alliance, year: int) -> Task:
    with session_scope(url) as db:
        row = db.exec(
            select(AnnualReportRow).where(
                AnnualReportRow.alliance_code == alliance.code, AnnualReportRow.year == year
            )
        ).first()
    task = Task(
        alliance.code,
        alliance.name,
        _report_title(year),
        (
            f"第十一条：{year}年度技术创新活动总结、下一年度技术创新活动计划和年度创新资源统计",
            f"Article 11: the summary of {year}'s innovation activities, next year's plan "
            "and the annual innovation resource statistics",
        ),
        words("report_status", row.status) if row else NOT_ASKED,
        report_due(year),
        open=row is not None and row.status in OPEN_REPORT,
    )
    if row is not None and row.status == ReportStatus.RETURNED.value:
        task.reasons = row.review
    return task


def assessment_task(url: str, alliance: Alliance, kind: AssessmentKind) -> Task:
    with session_scope(url) as db:
        row = db.exec(
            select(AssessmentRow)
            .where(AssessmentRow.alliance_code == alliance.code, AssessmentRow.kind == kind.value)
            .order_by(col(AssessmentRow.term_no).desc())
        ).first()
    if row is None:
        state = NOT_ASKED
    elif row.materials_submitted_at is None:
        state = ("待报送评估材料", "materials to hand in")
    else:
        state = ("评估材料已收到", "materials received")
    return Task(
        alliance.code,
        alliance.name,
        _assessment_title(kind.value),
        (
            f"第十二条：{ASSESSMENT_ZH[kind]}的联盟运行情况总结等评估材料",
            f"Article 12: the materials for the {ASSESSMENT_EN[kind]}, "
            "above all a summary of how the alliance ran",
        ),
        state,
        row.materials_due if row else None,
        open=row is not None and row.materials_submitted_at is None,
    )


async def rectification_task(client: Client | None, alliance: Alliance) -> Task:
    task = Task(
        alliance.code,
        alliance.name,
        RECTIFICATION_TITLE,
        (
            "第十二条：按期中评估意见整改，并在期限内报送整改报告",
            "Article 12: rectify as the mid-term assessment said, and hand in a "
            "rectification report within the time limit",
        ),
        ("限期整改中", "rectification under way"),
        open=alliance.status == TermStatus.RECTIFICATION.value,
    )
    if not task.open:
        task.state = NOT_ASKED
        return task
    if client is not None:
        try:
            state = await term_state(client, alliance.code)
        except ProcedureActionFailed:
            return task
        if state.rectification is not None:
            task.due = state.rectification.due
            if state.rectification.report_submitted_at is not None:
                task.state = ("整改报告已收到，待复核", "report received; awaiting the re-check")
                task.open = False
    return task


async def application_task(url: str, client: Client | None, alliance: Alliance) -> Task:
    task = Task(
        alliance.code,
        alliance.name,
        APPLICATION_TITLE,
        (
            "第十条：按退回意见补正申请材料后重新提交",
            "Article 10: correct the application as the return said and submit it again",
        ),
        words("status", alliance.status),
        open=alliance.status == Stage.CORRECTION.value,
    )
    if not task.open:
        return task
    with session_scope(url) as db:
        decision = db.exec(
            select(DecisionRow)
            .where(DecisionRow.alliance_code == alliance.code, DecisionRow.reasons != "")
            .order_by(col(DecisionRow.decided_at).desc())
        ).first()
    task.reasons = decision.reasons if decision else ""
    if client is not None:
        try:
            state = await procedure_state(client, alliance.code)
        except ProcedureActionFailed:
            return task
        task.due = state.clock.deadline if state.clock else None
    return task


NOT_ASKED = ("目前无需报送", "nothing is asked now")
RECTIFICATION_TITLE = ("整改报告", "Rectification report")
APPLICATION_TITLE = ("退回补正的认定申请", "Returned application")


def _report_title(year: int) -> Words:
    return (f"{year}年度报告", f"Annual report {year}")


def _assessment_title(kind: str) -> Words:
    try:
        assessment = AssessmentKind(kind)
    except ValueError:
        return (kind, kind)
    return (
        f"{ASSESSMENT_ZH[assessment]}材料",
        f"{ASSESSMENT_EN[assessment]} materials".capitalize(),
    )


def _path(code: str, *parts: object) -> str:
    return "/".join(["/portal/a", code, *(str(p) for p in parts)])
