"""The rehearsal: sample alliances through recognition and five simulated years.

Runs the real workflows, activities, registry and SMTP capture on Temporal's
time-skipping server. Staff and alliance decisions are scripted by a scenario; the
printed timeline (every event and every email, dated in Beijing time) is read back from
the registry, so it shows exactly what the system did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import select

from admin.simulation import ActivityProcess, recognise, request_id, simulated_system
from client.alliances import act, workflow_id_for
from domain.application import Application
from domain.credit_code import complete_code
from domain.procedure import Actor, Role, status_zh
from domain.settings import Settings
from domain.shanghai_time import SHANGHAI, at_local
from domain.term import (
    ENDED,
    AnnualReportReview,
    AnnualReportSubmission,
    AssessmentKind,
    AssessmentMaterials,
    AssessmentResult,
    Grade,
    RecheckResult,
    RectificationRecheck,
    RectificationReport,
    ReportStatus,
    ResourceStatistics,
    Revocation,
    RevocationGround,
    TermState,
    TermStatus,
    milestones,
    report_due,
    report_years,
)
from registry.database import session_scope
from registry.tables import Alliance, AuditEntry, EmailMessage
from workflows.term import TermWorkflow

ALLIANCE = Actor(name="联盟秘书处", role=Role.APPLICANT)
STAFF = Actor(name="市科技局联盟管理科", role=Role.BUREAU_STAFF)


class Scenario(StrEnum):
    ON_TIME = "on-time"  # every report on time, good mid-term, final passed
    LATE_REPORT = "late-report"  # the first report late: overdue notice, escalation
    RECTIFIED = "rectified"  # poor mid-term, rectification passed
    REVOKED = "revoked"  # poor mid-term, rectification failed, staff revoke on that ground
    FINAL_FAILED = "final-failed"  # the final failed: revoked under article 12
    FINAL_AFTER_RECHECK = "final-after-recheck"  # re-check failed, no revocation; final decides
    RENEWED = "renewed"  # excellent throughout, renewed; the last December's report spans it
    SECOND_ALLIANCE = "second-alliance"  # the first scenario's lead unit leads a second one


SCENARIO_ZH = {
    Scenario.ON_TIME: "按时报送",
    Scenario.LATE_REPORT: "逾期报送",
    Scenario.RECTIFIED: "期中较差·整改通过",
    Scenario.REVOKED: "期中较差·整改未过·取消资格",
    Scenario.FINAL_FAILED: "期末不合格·取消资格",
    Scenario.FINAL_AFTER_RECHECK: "整改未过·期末评估决定",
    Scenario.RENEWED: "期末通过·续期",
    Scenario.SECOND_ALLIANCE: "同一发起单位的第二个联盟",
}

STATISTICS = ResourceStatistics(
    rd_spending_wan=980.0,
    researchers=64,
    joint_projects=5,
    patents_applied=12,
    patents_granted=7,
    standards_drafted=1,
    technology_transfers=3,
    people_trained=90,
    platforms=2,
    member_funds_invested_wan=720.0,
    government_funding_wan=150.0,
    achievements_commercialised=1,
    commercialisation_income_wan=260.0,
    new_products=3,
    ip_licensed=2,
    talents_introduced=8,
)


@dataclass
class Step:
    at: datetime
    update: str
    action: object
    note: str


def variant(application: Application, number: int, scenario: Scenario) -> Application:
    """The sample under another lead-unit credit code and name, one per scenario; the
    second alliance is led by the same unit as the first (article 9.1: 联盟发起单位)."""
    copy = application.model_copy(deep=True)
    lead = copy.lead_member()
    assert lead is not None  # a checked application names its lead unit among its members
    old_code = lead.credit_code
    lead_number = 1 if scenario == Scenario.SECOND_ALLIANCE else number
    lead.credit_code = complete_code(old_code[:15] + f"{lead_number:02d}")
    for material in copy.materials:
        if material.member_credit_code == old_code:
            material.member_credit_code = lead.credit_code
    copy.alliance_name = f"{application.alliance_name}（演练{number}：{SCENARIO_ZH[scenario]}）"
    return copy


def finished(state: TermState) -> bool:
    """The rehearsal follows a term until it ends, or into a renewed term until the
    reports the first one left open (the December of its last year) are accepted."""
    if state.status in ENDED:
        return True
    if state.term_no == 1:
        return False
    carried = [state.report(year) for year in state.carried_years]
    return all(r is not None and r.status == ReportStatus.ACCEPTED for r in carried)


def next_step(scenario: Scenario, state: TermState, now: datetime) -> Step | None:
    """What the alliance or the bureau does next in this scenario, and when."""
    if finished(state):
        return None
    candidates: list[Step] = []
    years = report_years(state) if state.term_no == 1 else state.carried_years
    for year in years:
        record = state.report(year)
        late = scenario == Scenario.LATE_REPORT and year == report_years(state)[0]
        # The renewed alliance sends its last December's report after the renewal, so
        # its reminders show on both sides of it.
        last_year = state.term_end.year if state.term_no == 1 else min(state.carried_years)
        last_december = scenario == Scenario.RENEWED and year == last_year
        if record is None or record.status == ReportStatus.DUE:
            when = _day(report_due(year), 45 if late else -4 if last_december else -25)
            candidates.append(
                Step(
                    when,
                    "submit_annual_report",
                    AnnualReportSubmission(
                        request_id=request_id(),
                        actor=ALLIANCE,
                        year=year,
                        summary=f"{year}年度技术创新活动总结",
                        next_year_plan=f"{year + 1}年度技术创新活动计划",
                        statistics=STATISTICS,
                    ),
                    f"联盟提交{year}年度报告",
                )
            )
        elif record.status == ReportStatus.SUBMITTED:
            candidates.append(
                Step(
                    _day(record.submitted_at, 3),
                    "review_annual_report",
                    AnnualReportReview(
                        request_id=request_id(), actor=STAFF, year=year, accepted=True
                    ),
                    f"市科技局审核通过{year}年度报告",
                )
            )
    for record in state.assessments:
        if record.materials_submitted_at is None:
            candidates.append(
                Step(
                    _day(record.materials_due, -20),
                    "submit_assessment_materials",
                    AssessmentMaterials(
                        request_id=request_id(),
                        actor=ALLIANCE,
                        kind=record.kind,
                        summary="自评报告及佐证材料",
                    ),
                    f"联盟提交{record.kind.value}考核材料",
                )
            )
        elif record.grade is None:
            grade = _grade(scenario, record.kind)
            candidates.append(
                Step(
                    _day(record.materials_submitted_at, 15),
                    "record_assessment",
                    AssessmentResult(
                        request_id=request_id(),
                        actor=STAFF,
                        kind=record.kind,
                        grade=grade,
                        opinion="专家组评审意见："
                        + ("未达预期目标" if grade == Grade.POOR else "运行良好"),
                    ),
                    f"市科技局记录{record.kind.value}结果：{grade.value}",
                )
            )
    rectification = state.rectification
    if state.status == TermStatus.RECTIFICATION and rectification is not None:
        if rectification.report_submitted_at is None:
            candidates.append(
                Step(
                    _day(rectification.due, -30),
                    "submit_rectification_report",
                    RectificationReport(request_id=request_id(), actor=ALLIANCE, report="整改报告"),
                    "联盟提交整改报告",
                )
            )
        elif rectification.result is None:
            passed = scenario not in (Scenario.REVOKED, Scenario.FINAL_AFTER_RECHECK)
            candidates.append(
                Step(
                    _day(rectification.report_submitted_at, 10),
                    "recheck_rectification",
                    RectificationRecheck(
                        request_id=request_id(),
                        actor=STAFF,
                        passed=passed,
                        reason="整改到位" if passed else "整改措施未落实",
                    ),
                    "市科技局整改复核：" + ("通过" if passed else "未通过"),
                )
            )
        elif rectification.result == RecheckResult.FAILED and scenario == Scenario.REVOKED:
            candidates.append(
                Step(
                    _day(now, 2),
                    "revoke",
                    Revocation(
                        request_id=request_id(),
                        actor=STAFF,
                        ground=RevocationGround.RECTIFICATION_FAILED,
                        reason="期中评估较差且整改未通过",
                    ),
                    "市科技局以整改复核不合格为由取消市级联盟资格",
                )
            )
    return min(candidates, key=lambda step: step.at, default=None)


def _grade(scenario: Scenario, kind: AssessmentKind) -> Grade:
    poor_midterm = (Scenario.RECTIFIED, Scenario.REVOKED, Scenario.FINAL_AFTER_RECHECK)
    if kind == AssessmentKind.MIDTERM:
        return Grade.POOR if scenario in poor_midterm else Grade.GOOD
    if scenario == Scenario.FINAL_FAILED:
        return Grade.POOR
    return Grade.EXCELLENT if scenario == Scenario.RENEWED else Grade.PASS


def _day(instant: datetime, days: int) -> datetime:
    return at_local(instant.astimezone(SHANGHAI).date() + timedelta(days=days), 10)


async def rehearse(
    application: Application,
    scenarios: list[Scenario],
    settings: Settings,
    say: Callable[[str], None] = print,
    activities: ActivityProcess | None = None,
) -> list[str]:
    """Run the scenarios side by side; returns the printed timeline lines. `activities`:
    the simulation's activity process, if the caller started it already."""
    variants = [variant(application, n, s) for n, s in enumerate(scenarios, start=1)]
    system = simulated_system(settings, assume_plain_years=True, say=say, activities=activities)
    async with system as env:
        codes = list(await recognise(env, settings, variants))  # in submission order
        await _run_terms(env, dict(zip(codes, scenarios, strict=True)))
    url = settings.registry_url()
    names = {code: f"演练{n}" for n, code in enumerate(codes, start=1)}
    lines = timeline(url, names)
    for line in lines:
        say(line)
    with session_scope(url) as session:
        for code, name in names.items():
            alliance = session.get(Alliance, code)
            status = f"{status_zh(alliance.status)} ({alliance.status})"
            say(
                f"{name}: {status}, 第{alliance.term_no}个认定期 (term {alliance.term_no})；"
                f"联盟编号 {code}，发起单位 {alliance.lead_unit_code}"
            )
    return lines


async def _run_terms(env, scenarios: dict[str, Scenario]) -> None:
    """Advance simulated time from one scripted decision to the next until every term ends.

    A term's state changes only when it is acted on or reaches its next milestone, so only
    such terms are asked again; a finished term is not asked at all (once a revoked term's
    run has closed, each query would replay its whole history). Decisions falling due at
    the same instant are taken together before the clock moves on."""
    client = env.client
    running = dict(scenarios)
    states: dict[str, TermState] = {}
    for _ in range(1000):
        now = await env.get_current_time()
        asked = [code for code in running if code not in states or _moved(states[code], now)]
        answers = await asyncio.gather(
            *(
                client.get_workflow_handle(workflow_id_for(code)).query(TermWorkflow.state)
                for code in asked
            )
        )
        states.update(zip(asked, answers, strict=True))
        steps = []
        for code, scenario in list(running.items()):
            state = states[code]
            if finished(state):
                del running[code]
                continue
            step = next_step(scenario, state, now)
            if step is not None:
                steps.append((step.at, code, step))
            # Also wake just after the term's own next milestone: what it opens (an
            # assessment, a rectification) may call for the next scripted decision.
            upcoming = milestones(state)
            if upcoming:
                steps.append((max(upcoming[0].at, now) + timedelta(minutes=1), code, None))
        if not steps:
            return
        at = min(when for when, _, _ in steps)
        if at > now:
            await env.sleep(at - now)
        due = [(code, step) for when, code, step in steps if when == at and step is not None]
        await asyncio.gather(*(act(client, code, step.update, step.action) for code, step in due))
        for code, _ in due:
            del states[code]


def _moved(state: TermState, now: datetime) -> bool:
    """Whether the term has reached its next milestone since it was asked."""
    upcoming = milestones(state)
    return bool(upcoming) and upcoming[0].at <= now


def timeline(url: str, names: dict[str, str]) -> list[str]:
    """Every audit event and every email, in Beijing time order."""
    with session_scope(url) as session:
        events = session.exec(select(AuditEntry)).all()
        emails = session.exec(select(EmailMessage)).all()
    rows = [(e.at, names.get(e.alliance_code, e.alliance_code), f"· {e.action}") for e in events]
    rows += [
        (
            m.sent_at or m.created_at,
            names.get(m.alliance_code, m.alliance_code),
            f"✉ {', '.join(m.recipients)}  {m.subject}",
        )
        for m in emails
    ]
    rows.sort(key=lambda row: row[0])
    return [f"{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}  {who}  {what}" for at, who, what in rows]
