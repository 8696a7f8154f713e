"""The five-year term of articles 11 and 12 as data: state, staff actions and milestones.

`milestones(state)` lists every dated step still ahead (reminders, deadlines, assessment
openings, escalations, the end of the term) computed from the state alone, so the
workflow only ever waits for the earliest one or for a message that changes the state.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel

from domain.application import Contact, Member
from domain.districts import District
from domain.input_rules import (
    CONTACTS_MAX,
    MEMBERS_MAX,
    FreeText,
    PersonName,
    PlausibleDate,
    ShortText,
    Year,
    at_most,
)
from domain.procedure import Actor, ProcedureState, Recognition
from domain.report_statistics import ResourceStatistics  # 创新资源统计 (article 11)
from domain.shanghai_time import at_local, end_of_day, local_date, start_of_day
from domain.term_rules import TermRules

TERM_YEARS = 5  # article 11: 认定有效期为5年


class TermStatus(StrEnum):
    ACTIVE = "active"  # 认定有效
    RECTIFICATION = "rectification"  # 限期整改 after a poor mid-term assessment
    REVOKED = "revoked"  # 取消资格
    EXPIRED = "expired"  # 有效期满未续
    WITHDRAWN = "withdrawn"  # 联盟退出


# The statuses in which the certificate holds (and so may be printed again, 证书补发).
CERTIFICATE_HOLDS = frozenset({TermStatus.ACTIVE, TermStatus.RECTIFICATION})


class ReportStatus(StrEnum):
    DUE = "due"  # 待提交
    SUBMITTED = "submitted"  # 已提交待审核
    RETURNED = "returned"  # 已退回待重报
    ACCEPTED = "accepted"  # 已审核通过


REPORT_STATUS_ZH = {
    ReportStatus.DUE: "待提交",
    ReportStatus.SUBMITTED: "已提交待审核",
    ReportStatus.RETURNED: "已退回待重报",
    ReportStatus.ACCEPTED: "已审核通过",
}


class RecheckResult(StrEnum):
    PASSED = "passed"  # 整改复核通过
    FAILED = "failed"  # 整改复核不通过


TERM_STATUS_ZH = {
    TermStatus.ACTIVE: "认定有效",
    TermStatus.RECTIFICATION: "限期整改",
    TermStatus.REVOKED: "已取消资格",
    TermStatus.EXPIRED: "有效期满",
    TermStatus.WITHDRAWN: "已退出",
}

ENDED = frozenset({TermStatus.REVOKED, TermStatus.EXPIRED, TermStatus.WITHDRAWN})


class RevocationGround(StrEnum):
    """Why a status is revoked. Article 12 names one ground only (a failed final); the
    others are the bureau's own decisions and cite no article of the regulation."""

    FINAL_FAILED = "final_failed"  # 期末综合评估不合格 (article 12)
    RECTIFICATION_FAILED = "rectification_failed"  # 整改复核不合格
    DISSOLVED = "dissolved"  # 联盟解散或自愿放弃
    FALSIFIED = "falsified"  # 申报材料弄虚作假
    OTHER = "other"  # 其他: staff type the legal basis


REVOCATION_GROUND_ZH = {
    RevocationGround.FINAL_FAILED: "期末综合评估不合格",
    RevocationGround.RECTIFICATION_FAILED: "整改复核不合格",
    RevocationGround.DISSOLVED: "联盟解散或自愿放弃",
    RevocationGround.FALSIFIED: "申报材料弄虚作假",
    RevocationGround.OTHER: "其他",
}

REVOCATION_GROUND_EN = {
    RevocationGround.FINAL_FAILED: "failed the final assessment",
    RevocationGround.RECTIFICATION_FAILED: "failed the rectification re-check",
    RevocationGround.DISSOLVED: "dissolved or gave up the status",
    RevocationGround.FALSIFIED: "falsified application materials",
    RevocationGround.OTHER: "other",
}


# What staff choose from when they revoke; a failed final revokes with its own result.
STAFF_REVOCATION_GROUNDS = [g for g in RevocationGround if g != RevocationGround.FINAL_FAILED]


class AssessmentKind(StrEnum):
    MIDTERM = "midterm"  # 第3年期中考核评估
    FINAL = "final"  # 第5年期末（期满运行综合）评估


ASSESSMENT_ZH = {AssessmentKind.MIDTERM: "期中考核评估", AssessmentKind.FINAL: "期末综合评估"}


class Grade(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"
    POOR = "poor"


GRADE_ZH = {Grade.EXCELLENT: "优秀", Grade.GOOD: "良好", Grade.PASS: "合格", Grade.POOR: "较差"}


# ---- actions (Temporal updates; request_id is the update id)


class AnnualReportSubmission(BaseModel):
    request_id: ShortText
    actor: Actor
    year: Year
    summary: FreeText  # 当年度技术创新活动总结
    next_year_plan: FreeText  # 下一年度技术创新活动计划
    statistics: ResourceStatistics


class AnnualReportReview(BaseModel):
    request_id: ShortText
    actor: Actor
    year: Year
    accepted: bool
    reasons: FreeText = ""


class AssessmentMaterials(BaseModel):
    request_id: ShortText
    actor: Actor
    kind: AssessmentKind
    summary: FreeText


class AssessmentResult(BaseModel):
    request_id: ShortText
    actor: Actor
    kind: AssessmentKind
    grade: Grade
    opinion: FreeText  # 专家意见


class RectificationReport(BaseModel):
    request_id: ShortText
    actor: Actor
    report: FreeText


class RectificationRecheck(BaseModel):
    request_id: ShortText
    actor: Actor
    passed: bool
    reason: FreeText


class RectificationExtension(BaseModel):
    request_id: ShortText
    actor: Actor
    days: int
    reason: FreeText


class Revocation(BaseModel):
    request_id: ShortText
    actor: Actor
    ground: RevocationGround
    reason: FreeText
    legal_basis: ShortText = ""  # required for RevocationGround.OTHER, typed by staff


class TermExtension(BaseModel):
    request_id: ShortText
    actor: Actor
    until: PlausibleDate
    reason: FreeText


class PlaqueHandover(BaseModel):
    """9.5 牌匾: staff record the day the plaque was handed over and who received it."""

    request_id: ShortText
    actor: Actor
    handed_over_on: PlausibleDate
    received_by: PersonName


class PlaqueHandoverRecord(BaseModel):
    handed_over_on: date
    received_by: str
    recorded_by: str


class MembershipChange(BaseModel):
    request_id: ShortText
    actor: Actor
    members: Annotated[list[Member], at_most(MEMBERS_MAX)]
    contacts: Annotated[list[Contact], at_most(CONTACTS_MAX)]
    note: FreeText = ""


# ---- state


class ReportRecord(BaseModel):
    year: int
    status: ReportStatus = ReportStatus.DUE
    submitted_at: datetime | None = None
    late: bool = False
    versions: int = 0
    resubmit_by: datetime | None = None
    summary: str = ""
    next_year_plan: str = ""
    statistics: ResourceStatistics | None = None
    review: str = ""


class AssessmentRecord(BaseModel):
    kind: AssessmentKind
    materials_due: datetime
    materials_submitted_at: datetime | None = None
    materials: str = ""
    grade: Grade | None = None
    opinion: str = ""
    recorded_at: datetime | None = None


class Rectification(BaseModel):
    due: datetime
    extended: bool = False
    extensions: int = 0  # deadline extensions granted (bounded by the rules)
    report_submitted_at: datetime | None = None
    report: str = ""
    result: RecheckResult | None = None
    reason: str = ""


class TermState(BaseModel):
    """All of a term workflow's state, handed whole to continue-as-new."""

    alliance_code: str
    alliance_name: str
    district: District
    lead_unit: str
    members: list[Member]
    contacts: list[Contact]
    term_no: int = 1
    term_start: date
    term_end: date  # last valid day, inclusive
    tracking_from: datetime  # milestones before this instant are not replayed (article 13 import)
    status: TermStatus = TermStatus.ACTIVE
    rules: TermRules = TermRules()
    reports: list[ReportRecord] = []
    assessments: list[AssessmentRecord] = []
    rectification: Rectification | None = None
    renewal: Recognition | None = None  # set when the final assessment passed
    carried_years: list[int] = []  # reports of the previous term still outstanding
    extended_until: date | None = None
    plaque_handed_over: PlaqueHandoverRecord | None = None  # this term's plaque (9.5)
    term_extensions: int = 0  # extensions of this term's validity granted (bounded by the rules)
    revocation_ground: RevocationGround | None = None
    done: list[str] = []  # milestone keys already handled
    handled_requests: list[str] = []
    events_recorded: int = 0
    next_deadline: datetime | None = None
    deadline_recorded: bool = False  # the registry holds `next_deadline` (since 1.2)

    def report(self, year: int) -> ReportRecord | None:
        return next((r for r in self.reports if r.year == year), None)

    def assessment(self, kind: AssessmentKind) -> AssessmentRecord | None:
        return next((a for a in self.assessments if a.kind == kind), None)

    def recipient_emails(self) -> list[str]:
        return [c.email for c in self.contacts]

    def lead_unit_code(self) -> str:
        return next((m.credit_code for m in self.members if m.name == self.lead_unit), "")

    def ends_at(self) -> datetime:
        """The instant the term (or its staff extension) runs out."""
        return end_of_day(self.extended_until or self.term_end)


def add_years(day: date, years: int) -> date:
    """The anniversary; 29 February's falls on 1 March in a common year, so a term is
    never short of five full years (the certificate's validity follows the same rule)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {day}")


def term_end_for(start: date) -> date:
    """Five years from `start`, the last day inclusive (2026-12-19 → 2031-12-18)."""
    return add_years(start, TERM_YEARS) - timedelta(days=1)


def report_due(year: int) -> datetime:
    """Article 11: the report of `year` is due before the end of December."""
    return end_of_day(date(year, 12, 31))


def report_years(state: TermState) -> list[int]:
    """The years whose December report this term asks for, plus reports the previous term
    left outstanding (they keep being chased).

    Article 11's reports follow the alliance's recognised life, not the five-year blocks:
    a term asks for every December from its first to the December of the year it ends,
    even when that December falls after the last day of the term, so the reminders for it
    go out on their usual days whether or not the term is renewed in between. A renewed
    term therefore starts with the year after (the previous term asked for the year of
    the renewal), and a term that ends without renewal owes nothing after its end (an
    ended term has no milestones). A first term recognised late in a year (on or after
    `late_recognition_month_day`) owes no report that year.
    """
    start = state.term_start
    first = start.year
    month, day = (int(x) for x in state.rules.late_recognition_month_day.split("-"))
    if state.term_no == 1 and start >= date(first, month, day):
        first += 1
    if state.term_no > 1 and start != date(start.year, 1, 1):
        first += 1  # the previous term, which ended this year, asked for this December
    owed = [
        y for y in range(first, state.term_end.year + 1) if report_due(y) >= state.tracking_from
    ]
    return sorted({*state.carried_years, *owed})


def assessment_opens(state: TermState, kind: AssessmentKind) -> datetime:
    months = (
        state.rules.midterm_opens_months
        if kind == AssessmentKind.MIDTERM
        else state.rules.final_opens_months
    )
    return at_local(add_months(state.term_start, months), 9)


class MilestoneKind(StrEnum):
    REPORT_REMINDER = "report_reminder"
    REPORT_OVERDUE = "report_overdue"
    REPORT_ESCALATION = "report_escalation"
    REPORT_FINAL_REMINDER = "report_final_reminder"
    REPORT_RESUBMISSION_OVERDUE = "report_resubmission_overdue"
    ASSESSMENT_OPEN = "assessment_open"
    ASSESSMENT_REMINDER = "assessment_reminder"
    ASSESSMENT_OVERDUE = "assessment_overdue"
    ASSESSMENT_RESULT_OVERDUE = "assessment_result_overdue"
    RECTIFICATION_REMINDER = "rectification_reminder"
    RECTIFICATION_OVERDUE = "rectification_overdue"
    TERM_ENDING = "term_ending"  # no final result yet: staff are alerted
    TERM_END = "term_end"


class Milestone(BaseModel):
    key: str
    at: datetime
    kind: MilestoneKind
    year: int | None = None
    assessment: AssessmentKind | None = None
    days_left: int | None = None
    due: datetime | None = None


def milestones(state: TermState) -> list[Milestone]:
    """Every dated step still ahead for this term, earliest first."""
    if state.status in ENDED:
        return []
    found = [*_report_milestones(state), *_assessment_milestones(state)]
    found += _rectification_milestones(state)
    final = state.assessment(AssessmentKind.FINAL)
    if state.renewal is None and (final is None or final.grade is None):
        days = state.rules.final_escalation_days_before_end
        found.append(
            Milestone(
                key=f"term{state.term_no}:ending:{state.extended_until or ''}",
                at=at_local(local_date(state.ends_at()) - timedelta(days=days), 9),
                kind=MilestoneKind.TERM_ENDING,
                due=state.ends_at(),
            )
        )
    found.append(
        Milestone(
            key=f"term{state.term_no}:end:{state.extended_until or ''}",
            at=state.ends_at() + timedelta(seconds=1),
            kind=MilestoneKind.TERM_END,
            due=state.ends_at(),
        )
    )
    done = set(state.done)
    return sorted((m for m in found if m.key not in done), key=lambda m: (m.at, m.key))


def _before(due: datetime, days: int) -> datetime:
    return at_local(local_date(due) - timedelta(days=days), 9)


def _after(due: datetime, days: int) -> datetime:
    return at_local(local_date(due) + timedelta(days=days), 9)


def _report_milestones(state: TermState) -> list[Milestone]:
    rules, found = state.rules, []
    for year in report_years(state):
        record = state.report(year)
        due = report_due(year)
        if record is None or record.status == ReportStatus.DUE:
            for days in rules.report_reminder_days_before:
                found.append(
                    Milestone(
                        key=f"report:{year}:reminder:{days}",
                        at=_before(due, days),
                        kind=MilestoneKind.REPORT_REMINDER,
                        year=year,
                        days_left=days,
                        due=due,
                    )
                )
            escalation = _after(due, rules.report_grace_days)
            found += [
                Milestone(
                    key=f"report:{year}:overdue",
                    at=_after(due, 1),
                    kind=MilestoneKind.REPORT_OVERDUE,
                    year=year,
                    due=due,
                ),
                Milestone(
                    key=f"report:{year}:escalation",
                    at=escalation,
                    kind=MilestoneKind.REPORT_ESCALATION,
                    year=year,
                    due=due,
                ),
                Milestone(
                    key=f"report:{year}:final_reminder",
                    at=escalation + timedelta(days=rules.report_final_reminder_days),
                    kind=MilestoneKind.REPORT_FINAL_REMINDER,
                    year=year,
                    due=due,
                ),
            ]
        elif record.status == ReportStatus.RETURNED and record.resubmit_by is not None:
            found.append(
                Milestone(
                    key=f"report:{year}:resubmission_overdue:{record.versions}",
                    at=record.resubmit_by + timedelta(seconds=1),
                    kind=MilestoneKind.REPORT_RESUBMISSION_OVERDUE,
                    year=year,
                    due=record.resubmit_by,
                )
            )
    return found


def _assessment_milestones(state: TermState) -> list[Milestone]:
    rules, found = state.rules, []
    for kind in AssessmentKind:
        record = state.assessment(kind)
        prefix = f"term{state.term_no}:{kind.value}"
        if record is None:
            found.append(
                Milestone(
                    key=f"{prefix}:open",
                    at=assessment_opens(state, kind),
                    kind=MilestoneKind.ASSESSMENT_OPEN,
                    assessment=kind,
                )
            )
        elif record.materials_submitted_at is None:
            for days in rules.assessment_reminder_days_before:
                found.append(
                    Milestone(
                        key=f"{prefix}:reminder:{days}",
                        at=_before(record.materials_due, days),
                        kind=MilestoneKind.ASSESSMENT_REMINDER,
                        assessment=kind,
                        days_left=days,
                        due=record.materials_due,
                    )
                )
            found.append(
                Milestone(
                    key=f"{prefix}:overdue",
                    at=_after(record.materials_due, 1),
                    kind=MilestoneKind.ASSESSMENT_OVERDUE,
                    assessment=kind,
                    due=record.materials_due,
                )
            )
        if record is not None and record.grade is None:
            found.append(
                Milestone(
                    key=f"{prefix}:result_overdue",
                    at=_after(record.materials_due, rules.assessment_result_days),
                    kind=MilestoneKind.ASSESSMENT_RESULT_OVERDUE,
                    assessment=kind,
                    due=record.materials_due,
                )
            )
    return found


def _rectification_milestones(state: TermState) -> list[Milestone]:
    rectification = state.rectification
    if (
        state.status != TermStatus.RECTIFICATION
        or rectification is None
        or rectification.report_submitted_at is not None
    ):
        return []
    tag = _rectification_tag(rectification)
    found = [
        Milestone(
            key=f"rectification:{tag}:reminder:{days}",
            at=_before(rectification.due, days),
            kind=MilestoneKind.RECTIFICATION_REMINDER,
            days_left=days,
            due=rectification.due,
        )
        for days in state.rules.rectification_reminder_days_before
    ]
    found.append(
        Milestone(
            key=f"rectification:{tag}:overdue",
            at=rectification.due + timedelta(seconds=1),
            kind=MilestoneKind.RECTIFICATION_OVERDUE,
            due=rectification.due,
        )
    )
    return found


def _rectification_tag(rectification: Rectification) -> str:
    """Names the deadline in milestone keys: first, extended, extended2, ..."""
    if not rectification.extended:
        return "first"
    return "extended" if rectification.extensions <= 1 else f"extended{rectification.extensions}"


def skip_past(state: TermState, now: datetime) -> None:
    """Mark the reminders and deadlines already behind `now` as handled without acting.

    Used when a term is imported part-way (article 13): past deadlines are not replayed
    as emails; what is still ahead is scheduled as usual. Nothing owed is dropped: an
    assessment not held yet opens at once (`opens_after_import`), and the term's ending
    and end still take effect.
    """
    kept = {MilestoneKind.ASSESSMENT_OPEN, MilestoneKind.TERM_ENDING, MilestoneKind.TERM_END}
    behind = [m for m in milestones(state) if m.at < now]
    state.done = [
        *state.done,
        *(
            m.key
            for m in behind
            if m.kind not in kept
            or (m.assessment is not None and opens_after_import(state, m.assessment, now) is None)
        ),
    ]


def opens_after_import(state: TermState, kind: AssessmentKind, now: datetime) -> datetime | None:
    """When an assessment of a term imported at `now` opens: on its usual day, or at `now`
    when that day is already behind. None when it was held before the import, and for a
    mid-term whose final is due too: the final, held at once, judges the whole term."""
    if state.assessment(kind) is not None:
        return None
    if kind == AssessmentKind.MIDTERM and assessment_opens(state, AssessmentKind.FINAL) < now:
        return None
    return max(assessment_opens(state, kind), now)


IMPORT_ACTION = "imported.provincial"
FIRST_REPORT_YEAR = "first_report_year"
"""The article-13 import's audit entry (IMPORT_ACTION) keeps, under this key, the first
year whose report the term owes; reports due before the import are not owed."""


def first_report_year(state: TermState) -> int:
    """The first year whose annual report this term owes (`report_years`); the year after
    the term when it owes none. Reports due before the import (tracking_from) are not owed."""
    return min(report_years(state), default=state.term_end.year + 1)


def next_term(state: TermState) -> TermState:
    """The renewed term after a passed final assessment: five more years from the day
    after this one ends. Reports this term still waits for keep being chased."""
    start = state.term_end + timedelta(days=1)
    open_reports = [r for r in state.reports if r.status != ReportStatus.ACCEPTED]
    unsent = [y for y in report_years(state) if state.report(y) is None]
    return state.model_copy(
        update={
            "term_no": state.term_no + 1,
            "term_start": start,
            "term_end": term_end_for(start),
            "tracking_from": start_of_day(start),
            "status": TermStatus.ACTIVE,
            "reports": open_reports,
            "carried_years": sorted({*unsent, *(r.year for r in open_reports)}),
            "assessments": [],
            "rectification": None,
            "renewal": None,
            "extended_until": None,
            "plaque_handed_over": None,  # the renewed certificate comes with a new plaque
            "term_extensions": 0,
            "done": [],
            "next_deadline": None,
        }
    )


def first_term(procedure: ProcedureState, now: datetime) -> TermState:
    """Article 11: the first term of a just-recognised alliance, five years from recognition."""
    app, recognition = procedure.application, procedure.recognition
    assert recognition is not None  # the procedure waits for its certificate
    return TermState(
        alliance_code=procedure.alliance_code,
        alliance_name=app.alliance_name,
        district=app.district,
        lead_unit=app.lead_unit,
        members=app.members,
        contacts=app.contacts,
        term_start=recognition.recognised_on,
        term_end=recognition.valid_until,
        tracking_from=now,
        rules=procedure.term_rules,
    )
