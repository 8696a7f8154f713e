"""Who may do what during the term, and when (articles 11 and 12).

Each check raises `ActionRefused` with a message a clerk understands and never changes
the state, so the term workflow runs these in its update validators.
"""

from __future__ import annotations

from datetime import datetime

from domain.application import Application, Bodies, Body, Funding
from domain.checks import require_new_request, require_role, require_text
from domain.eligibility import check_application
from domain.procedure import ActionRefused, Role, Withdrawal
from domain.shanghai_time import local_date
from domain.term import (
    ASSESSMENT_ZH,
    ENDED,
    REPORT_STATUS_ZH,
    TERM_STATUS_ZH,
    AnnualReportReview,
    AnnualReportSubmission,
    AssessmentKind,
    AssessmentMaterials,
    AssessmentResult,
    MembershipChange,
    RectificationExtension,
    RectificationRecheck,
    RectificationReport,
    ReportStatus,
    Revocation,
    TermExtension,
    TermState,
    TermStatus,
    assessment_opens,
    report_years,
)

STAFF = (Role.BUREAU_STAFF,)
ALLIANCE = (Role.APPLICANT,)


def _require_running(state: TermState) -> None:
    if state.status in ENDED:
        raise ActionRefused(
            f"该联盟{TERM_STATUS_ZH[state.status]}，不能再办理",
            f"the alliance is {state.status.value}; nothing more can be done",
        )


def _start(state: TermState, request_id: str, actor, roles) -> None:
    require_new_request(state.handled_requests, request_id)
    _require_running(state)
    require_role(actor, *roles)


def check_report_submission(state: TermState, action: AnnualReportSubmission) -> None:
    _start(state, action.request_id, action.actor, ALLIANCE)
    if action.year not in report_years(state):
        owed = "、".join(str(y) for y in report_years(state)) or "无"
        raise ActionRefused(
            f"本认定期内不需要提交{action.year}年度报告（需提交的年度：{owed}）",
            f"no report for {action.year} is due in this term (due: {owed})",
        )
    record = state.report(action.year)
    if record is not None and record.status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED):
        raise ActionRefused(
            f"{action.year}年度报告{REPORT_STATUS_ZH[record.status]}，无需重复提交",
            f"the {action.year} report is already {record.status}",
        )
    require_text(action.summary, "当年度技术创新活动总结", "activity summary")
    require_text(action.next_year_plan, "下一年度技术创新活动计划", "next year's plan")
    stats = action.statistics
    if stats.researchers == 0 and stats.rd_spending_wan > 0:
        raise ActionRefused(
            "有研发投入但研发人员数为0，请核对创新资源统计",
            "R&D spending is reported with no researchers; check the statistics",
        )


def check_report_review(state: TermState, action: AnnualReportReview) -> None:
    _start(state, action.request_id, action.actor, STAFF)
    record = state.report(action.year)
    if record is None or record.status != ReportStatus.SUBMITTED:
        raise ActionRefused(
            f"{action.year}年度报告尚未提交或已审核，不能审核",
            f"the {action.year} report is not waiting for review",
        )
    if not action.accepted:
        require_text(action.reasons, "退回理由", "reasons")


def check_assessment_materials(
    state: TermState, action: AssessmentMaterials, now: datetime
) -> None:
    _start(state, action.request_id, action.actor, ALLIANCE)
    record = state.assessment(action.kind)
    name = ASSESSMENT_ZH[action.kind]
    if record is None:
        raise ActionRefused(
            f"{name}尚未开始，暂不受理材料", f"the {action.kind.value} has not opened"
        )
    if record.materials_submitted_at is not None:
        raise ActionRefused(f"{name}材料已提交", f"{action.kind.value} materials were already sent")
    require_text(action.summary, f"{name}材料", "materials")


def check_assessment_result(state: TermState, action: AssessmentResult, now: datetime) -> None:
    _start(state, action.request_id, action.actor, STAFF)
    name = ASSESSMENT_ZH[action.kind]
    opens = assessment_opens(state, action.kind)
    if now < opens:
        raise ActionRefused(
            f"{name}于{local_date(opens)}开始，现在不能记录结果",
            f"the {action.kind.value} opens on {local_date(opens)}",
        )
    record = state.assessment(action.kind)
    if record is not None and record.grade is not None:
        raise ActionRefused(f"{name}结果已记录", f"the {action.kind.value} result is recorded")
    if action.kind == AssessmentKind.FINAL and state.status == TermStatus.RECTIFICATION:
        raise ActionRefused(
            "联盟仍在限期整改中，整改复核后才能记录期末评估结果",
            "the alliance is rectifying; re-check the rectification first",
        )
    require_text(action.opinion, "专家意见", "experts' opinion")


def check_rectification_report(state: TermState, action: RectificationReport) -> None:
    _start(state, action.request_id, action.actor, ALLIANCE)
    rectification = state.rectification
    if state.status != TermStatus.RECTIFICATION or rectification is None:
        raise ActionRefused("该联盟不在整改期", "the alliance is not rectifying")
    if rectification.report_submitted_at is not None:
        raise ActionRefused("整改报告已提交，等待复核", "the rectification report awaits re-check")
    require_text(action.report, "整改报告", "rectification report")


def check_rectification_recheck(state: TermState, action: RectificationRecheck) -> None:
    _start(state, action.request_id, action.actor, STAFF)
    rectification = state.rectification
    if (
        state.status != TermStatus.RECTIFICATION
        or rectification is None
        or rectification.result is not None
    ):
        raise ActionRefused("没有待复核的整改", "no rectification is waiting for re-check")
    if rectification.report_submitted_at is None and action.passed:
        raise ActionRefused(
            "联盟尚未提交整改报告，不能复核为通过",
            "no rectification report has been handed in; it cannot pass",
        )
    require_text(action.reason, "复核意见", "reason")


def check_rectification_extension(state: TermState, action: RectificationExtension) -> None:
    _start(state, action.request_id, action.actor, STAFF)
    rectification = state.rectification
    if state.status != TermStatus.RECTIFICATION or rectification is None:
        raise ActionRefused("该联盟不在整改期", "the alliance is not rectifying")
    if rectification.extended:
        raise ActionRefused(
            "整改期限只能延长一次", "the rectification deadline may be extended once"
        )
    if not 1 <= action.days <= 365:
        raise ActionRefused("延长天数应在1至365天之间", "extend by 1 to 365 days")
    require_text(action.reason, "延期理由", "reason")


def check_revocation(state: TermState, action: Revocation) -> None:
    _start(state, action.request_id, action.actor, STAFF)
    require_text(action.reason, "取消资格的理由", "reason")


def check_withdrawal(state: TermState, action: Withdrawal) -> None:
    _start(state, action.request_id, action.actor, ALLIANCE)


def check_term_extension(state: TermState, action: TermExtension, now: datetime) -> None:
    _start(state, action.request_id, action.actor, STAFF)
    if state.renewal is not None:
        raise ActionRefused("期末评估已通过，无需延期", "the final assessment passed; no extension")
    current = state.extended_until or state.term_end
    if action.until <= current:
        raise ActionRefused(
            f"延期日期须晚于当前有效期截止日（{current}）",
            f"extend beyond the current end ({current})",
        )
    if action.until <= local_date(now):
        raise ActionRefused("延期日期须晚于今天", "the extension must end after today")
    require_text(action.reason, "延期理由", "reason")


def check_membership_change(state: TermState, action: MembershipChange) -> None:
    """Article 8 still holds after the change: members, tasks, codes, contacts."""
    _start(state, action.request_id, action.actor, (*ALLIANCE, *STAFF))
    probe = Application(
        alliance_name=state.alliance_name,
        industry_field="-",
        district=state.district,
        lead_unit=state.lead_unit,
        members=action.members,
        bodies=_complete_bodies(),
        agreement_complies=True,
        innovation_goals="-",
        funding=Funding(operating_funds_wan=1, project_funds_wan=1, management_rule="-"),
        contacts=action.contacts,
    )
    problems = [
        p for p in check_application(probe) if p.field.startswith(("members", "contacts", "lead"))
    ]
    if problems:
        raise ActionRefused(
            "成员变更后不符合第八条：" + "；".join(f"{p.field}：{p.zh}" for p in problems),
            "after the change article 8 is not met: "
            + "; ".join(f"{p.field}: {p.en}" for p in problems),
        )


def _complete_bodies() -> Bodies:
    body = Body(name="-", responsible_person="-", full_time=True)
    return Bodies(decision=body, executive=body, advisory=body)
