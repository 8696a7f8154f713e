"""Who may do what, when: the checks behind every staff action of article 9.

Each check raises `ActionRefused` with a message a clerk understands; it reads the state
and never changes it, so the workflow runs these in its update validators.
"""

from __future__ import annotations

from datetime import datetime

from domain.application import Application
from domain.checks import (
    require_new_request,
    require_not_after_today,
    require_role,
    require_text,
)
from domain.districts import DISTRICT_ZH
from domain.eligibility import check_application
from domain.procedure import (
    FINAL_STAGES,
    STAGE_ZH,
    ActionRefused,
    ApprovalDocument,
    DistrictReview,
    ExpertReview,
    MeetingDecision,
    ObjectionFiling,
    ObjectionResolution,
    ObjectionStatus,
    ProcedureState,
    Resubmission,
    ReviewOutcome,
    Role,
    Stage,
    Withdrawal,
)
from domain.shanghai_time import local_date
from domain.working_days import CalendarYearMissing, approval_calendar


def _require_stage(state: ProcedureState, *stages: Stage) -> None:
    if state.stage not in stages:
        wanted = "、".join(STAGE_ZH[s] for s in stages)
        raise ActionRefused(
            f"当前处于“{STAGE_ZH[state.stage]}”阶段，不能进行“{wanted}”操作",
            f"the procedure is at {state.stage.value}; this action needs "
            + " or ".join(s.value for s in stages),
        )


def check_district_review(state: ProcedureState, action: DistrictReview) -> None:
    require_new_request(state.handled_requests, action.request_id)
    _require_stage(state, Stage.DISTRICT_REVIEW)
    require_role(action.actor, Role.DISTRICT_REVIEWER)
    own = state.application.district
    if action.actor.district != own:
        raise ActionRefused(
            f"该申请属于{DISTRICT_ZH[own]}，只有{DISTRICT_ZH[own]}科技主管部门可以审查推荐",
            f"this application belongs to {own.value}; only that district's reviewers may act",
        )
    if action.outcome in (ReviewOutcome.RETURN, ReviewOutcome.REJECT):
        require_text(action.reasons, "退回或不予推荐的理由", "reasons")


def check_resubmission(state: ProcedureState, action: Resubmission) -> None:
    require_new_request(state.handled_requests, action.request_id)
    _require_stage(state, Stage.CORRECTION)
    require_role(action.actor, Role.APPLICANT)
    _require_same_alliance(state.application, action.application)
    problems = check_application(action.application)
    if problems:
        raise ActionRefused(
            "补正后的申请仍有问题：" + "；".join(f"{p.field}：{p.zh}" for p in problems),
            "the corrected application still has problems: "
            + "; ".join(f"{p.field}: {p.en}" for p in problems),
        )


def _require_same_alliance(old: Application, new: Application) -> None:
    if new.lead_unit_code() != old.lead_unit_code():
        raise ActionRefused(
            "补正申请的发起单位必须与原申请相同（统一社会信用代码一致）",
            "a corrected application must keep the same lead unit (credit code)",
        )
    if new.district != old.district:
        raise ActionRefused(
            f"补正申请不能改变所属区县（原为{DISTRICT_ZH[old.district]}），如需变更请撤回后重新申请",
            "a corrected application must stay in its district; withdraw and apply again",
        )


def check_expert_review(state: ProcedureState, action: ExpertReview) -> None:
    require_new_request(state.handled_requests, action.request_id)
    _require_stage(state, Stage.EXPERT_REVIEW)
    require_role(action.actor, Role.EXPERT_ORGANISER)
    require_text(action.organisation, "受委托的第三方机构名称", "organisation")
    require_text(action.necessity_opinion, "组建必要性论证意见", "necessity opinion")
    require_text(action.feasibility_opinion, "组建可行性论证意见", "feasibility opinion")
    minimum = state.rules.min_expert_panel
    if len(action.panel) < minimum:
        raise ActionRefused(
            f"专家组至少应有{minimum}名专家，现有{len(action.panel)}名",
            f"the panel needs at least {minimum} experts; it has {len(action.panel)}",
        )
    for expert in action.panel:
        require_text(expert.name, "专家姓名", "expert name")


def check_meeting_decision(state: ProcedureState, action: MeetingDecision, now: datetime) -> None:
    require_new_request(state.handled_requests, action.request_id)
    _require_stage(state, Stage.DIRECTOR_MEETING)
    require_role(action.actor, Role.DIRECTOR_CLERK, Role.BUREAU_STAFF)
    require_text(action.meeting_number, "局长办公会会议编号", "meeting number")
    today = local_date(now)
    require_not_after_today(
        action.meeting_date, today, "会议日期", "meeting date", "请记录已召开的会议"
    )
    passed_on = local_date(state.stage_entered_at)
    if action.meeting_date < passed_on:
        raise ActionRefused(
            f"会议日期{action.meeting_date}早于专家评审通过的日期（{passed_on}，北京时间），请核对",
            f"meeting date {action.meeting_date} is before the expert review passed ({passed_on})",
        )
    if not action.approved:
        require_text(action.reasons, "未通过的理由", "reasons")
    if action.approved and action.notice_start is not None and action.notice_start <= today:
        raise ActionRefused(
            f"公示开始日期{action.notice_start}须晚于今天（{today}）",
            f"the notice must start after today ({today})",
        )


def check_objection(state: ProcedureState, filing: ObjectionFiling, now: datetime) -> None:
    require_new_request(state.handled_requests, filing.request_id)
    notice = state.notice
    if state.stage != Stage.PUBLIC_NOTICE or notice is None:
        raise ActionRefused(
            "该联盟目前不在公示期，不受理异议", "this alliance is not on public notice"
        )
    today = local_date(now)  # the whole last day counts, to its last instant
    if not notice.start <= today <= notice.end:
        when = "公示尚未开始" if today < notice.start else "公示期已结束"
        raise ActionRefused(
            f"异议须在公示期内（{notice.start}至{notice.end}）提出，{when}",
            f"objections are accepted only during the notice, {notice.start} to {notice.end}",
        )
    require_text(filing.name, "真实姓名", "real name")
    require_text(filing.contact, "联系方式", "contact")
    require_text(filing.text, "异议内容", "objection text")


def check_objection_resolution(state: ProcedureState, action: ObjectionResolution) -> None:
    require_new_request(state.handled_requests, action.request_id)
    _require_stage(state, Stage.PUBLIC_NOTICE)
    require_role(action.actor, Role.BUREAU_STAFF)
    require_text(action.reason, "处理理由", "reason")
    objection = next((o for o in state.objections if o.number == action.objection_no), None)
    if objection is None:
        raise ActionRefused(
            f"没有编号为{action.objection_no}的异议", f"there is no objection {action.objection_no}"
        )
    if objection.status != ObjectionStatus.OPEN:
        raise ActionRefused(
            f"异议{action.objection_no}已处理（{objection.status}）",
            f"objection {action.objection_no} is already {objection.status}",
        )


def check_approval(state: ProcedureState, action: ApprovalDocument, now: datetime) -> None:
    """9.5: the approval document bears a working day after the notice, not one ahead."""
    require_new_request(state.handled_requests, action.request_id)
    _require_stage(state, Stage.APPROVAL)
    require_role(action.actor, Role.BUREAU_STAFF)
    if state.rules.approval_numbered_by_system:
        raise ActionRefused(
            "按本流程的设置，批复文件由系统在公示结束后的第一个工作日编号，无需录入",
            "under this procedure's rules the system numbers the approval document itself",
        )
    require_text(action.document_number, "批复文件文号", "approval document number")
    plan = state.approval_plan
    if plan is None:
        raise ActionRefused(
            "正在读取节假日安排以核对批复日期，请稍后再试",
            "the holiday calendar is still being read to check the date; try again shortly",
        )
    day, today = action.document_date, local_date(now)
    require_not_after_today(day, today, "批复日期", "the document date", "请记录已印发的批复文件")
    if day < plan.first_day:
        raise ActionRefused(
            f"批复日期{day}早于公示结束后的第一个工作日（{plan.first_day}），请核对",
            f"the document date {day} is before the first working day after the notice"
            f" ({plan.first_day})",
        )
    try:
        working = approval_calendar(plan).is_workday(day)
    except CalendarYearMissing as missing:
        raise ActionRefused(
            f"{missing.year}年节假日安排尚未载入，无法核对批复日期是否为工作日；请运维人员载入后重试",
            f"the {missing.year} holiday schedule is not loaded, so the date cannot be checked;"
            " an operator must load it, then try again",
        ) from missing
    if not working:
        raise ActionRefused(
            f"批复日期{day}是休息日或法定节假日，批复文件应在工作日印发，请核对",
            f"the document date {day} is a weekend day or public holiday, not a working day",
        )


def check_withdrawal(state: ProcedureState, action: Withdrawal) -> None:
    require_new_request(state.handled_requests, action.request_id)
    require_role(action.actor, Role.APPLICANT)
    if state.stage in FINAL_STAGES:
        raise ActionRefused(
            f"申请已{STAGE_ZH[state.stage]}，不能撤回",
            f"the application is already {state.stage.value}; it cannot be withdrawn",
        )
