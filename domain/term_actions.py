"""Who may do what during the term, and when (articles 11 and 12).

Each check raises `ActionRefused` with a message a clerk understands and never changes
the state, so the term workflow runs these in its update validators.
"""

from __future__ import annotations

from datetime import datetime

from domain.application import Application, Bodies, Body, Funding
from domain.checks import (
    require_new_request,
    require_not_after_today,
    require_role,
    require_text,
)
from domain.eligibility import check_application
from domain.procedure import ActionRefused, Role, Withdrawal
from domain.report_statistics import FIGURES, missing_figures, shown, unsupported_amounts
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
    PlaqueHandover,
    RecheckResult,
    RectificationExtension,
    RectificationRecheck,
    RectificationReport,
    ReportStatus,
    Revocation,
    RevocationGround,
    TermExtension,
    TermState,
    TermStatus,
    add_months,
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
    """Article 11: the summary, next year's plan and every figure of the statistics."""
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
    if absent := missing_figures(stats):
        raise ActionRefused(
            "创新资源统计缺少" + "、".join(FIGURES[f].title_zh for f in absent) + "，请补填",
            "the statistics lack " + ", ".join(FIGURES[f].title_en for f in absent),
        )
    if unsupported := unsupported_amounts(stats):
        amount, count = unsupported[0]
        given, of = FIGURES[amount], FIGURES[count]
        value = shown(getattr(stats, amount))
        raise ActionRefused(
            f"填报了{given.label_zh}{value}{given.unit_zh}，但{of.title_zh}为0，请核对创新资源统计",
            f"{given.label_en} of {value} ({given.unit_en}) is reported with"
            f" {of.label_en.lower()} at 0; check the statistics",
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
    rectifying = state.rectification is not None and state.rectification.result is None
    if (
        action.kind == AssessmentKind.FINAL
        and state.status == TermStatus.RECTIFICATION
        and (rectifying)
    ):
        # Once the re-check is done (even failed), the final is recordable and decides.
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
    rules = state.rules
    if rectification.extensions >= rules.rectification_extensions_max:
        allowed = rules.rectification_extensions_max
        raise ActionRefused(
            f"整改期限最多可延长{allowed}次，已延长{rectification.extensions}次",
            f"the rectification deadline may be extended {allowed} time(s);"
            f" it was extended {rectification.extensions}",
        )
    if rectification.result is None and rectification.report_submitted_at is not None:
        raise ActionRefused("整改报告已提交，请先复核", "the rectification report awaits re-check")
    longest = rules.rectification_extension_max_days
    if not 1 <= action.days <= longest:
        raise ActionRefused(f"延长天数应在1至{longest}天之间", f"extend by 1 to {longest} days")
    require_text(action.reason, "延期理由", "reason")


def check_revocation(state: TermState, action: Revocation) -> None:
    """Staff revoke on one ground from the fixed list; article 12's own ground (a failed
    final) is recorded with the final's result, and a failed re-check must have happened."""
    _start(state, action.request_id, action.actor, STAFF)
    if action.ground == RevocationGround.FINAL_FAILED:
        raise ActionRefused(
            "期末综合评估不合格的，记录期末评估结果（较差）即取消资格，无需另行取消",
            "a failed final revokes the status when its result is recorded",
        )
    if action.ground == RevocationGround.RECTIFICATION_FAILED and (
        state.rectification is None or state.rectification.result != RecheckResult.FAILED
    ):
        raise ActionRefused(
            "没有整改复核不合格的记录，不能以此理由取消资格",
            "no failed rectification re-check is on record",
        )
    if action.ground == RevocationGround.OTHER:
        require_text(action.legal_basis, "取消资格的依据", "legal basis")
    require_text(action.reason, "取消资格的理由", "reason")


def check_withdrawal(state: TermState, action: Withdrawal) -> None:
    _start(state, action.request_id, action.actor, ALLIANCE)


def check_term_extension(state: TermState, action: TermExtension, now: datetime) -> None:
    _start(state, action.request_id, action.actor, STAFF)
    if state.renewal is not None:
        raise ActionRefused("期末评估已通过，无需延期", "the final assessment passed; no extension")
    rules = state.rules
    if state.term_extensions >= rules.term_extensions_max:
        raise ActionRefused(
            f"有效期最多可延长{rules.term_extensions_max}次，已延长{state.term_extensions}次",
            f"the validity may be extended {rules.term_extensions_max} time(s);"
            f" it was extended {state.term_extensions}",
        )
    latest = add_months(state.term_end, rules.term_extension_max_months)
    if action.until > latest:
        raise ActionRefused(
            f"有效期最多延长{rules.term_extension_max_months}个月，至{latest}",
            f"the validity may be extended by {rules.term_extension_max_months} months,"
            f" to {latest} at the latest",
        )
    current = state.extended_until or state.term_end
    if action.until <= current:
        raise ActionRefused(
            f"延期日期须晚于当前有效期截止日（{current}）",
            f"extend beyond the current end ({current})",
        )
    if action.until <= local_date(now):
        raise ActionRefused("延期日期须晚于今天", "the extension must end after today")
    require_text(action.reason, "延期理由", "reason")


def check_plaque_handover(state: TermState, action: PlaqueHandover, now: datetime) -> None:
    """9.5: the plaque is handed over once, between recognition and today."""
    _start(state, action.request_id, action.actor, STAFF)
    handed = state.plaque_handed_over
    if handed is not None:
        raise ActionRefused(
            f"牌匾已于{handed.handed_over_on}交付{handed.received_by}，不能重复登记",
            f"the plaque was already handed over on {handed.handed_over_on}"
            f" to {handed.received_by}",
        )
    day, today = action.handed_over_on, local_date(now)
    require_not_after_today(day, today, "交付日期", "the handover date", "请登记已交付的牌匾")
    if day < state.term_start:
        raise ActionRefused(
            f"交付日期{day}早于认定日期（{state.term_start}），请核对",
            f"the handover date {day} is before the recognition ({state.term_start})",
        )
    require_text(action.received_by, "接收人姓名", "the name of who received it")


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
            # each problem names the member or contact in words; the field path is for logs
            "成员变更后不符合第八条：" + "；".join(p.zh for p in problems),
            "after the change article 8 is not met: " + "; ".join(p.en for p in problems),
        )


def _complete_bodies() -> Bodies:
    body = Body(name="-", responsible_person="-", full_time=True)
    return Bodies(decision=body, executive=body, advisory=body)
