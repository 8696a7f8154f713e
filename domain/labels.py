"""Words, not codes: what people read for every status, role and recorded event, in
Chinese and English, from one table.

`words(kind, value)` answers (zh, en) for a status, a member's role, a report's or an
objection's status; `event_words(action)` for an audit entry's action, built from its
parts where the action is composed (`district_review.recommend`,
`assessment.midterm.good`). A value the table does not know comes back as itself, and
the console's crawl test fails on it.
"""

from __future__ import annotations

from enum import Enum

from domain.application import MEMBER_KIND_ZH, MemberKind, MemberRole
from domain.districts import DISTRICT_ZH, District
from domain.procedure import ROLE_ZH, STAGE_ZH, ObjectionStatus, ReviewOutcome, Role, Stage
from domain.term import (
    ASSESSMENT_ZH,
    GRADE_ZH,
    REPORT_STATUS_ZH,
    REVOCATION_GROUND_EN,
    REVOCATION_GROUND_ZH,
    TERM_STATUS_ZH,
    AssessmentKind,
    Grade,
    Milestone,
    MilestoneKind,
    ReportStatus,
    RevocationGround,
    TermStatus,
)

Words = tuple[str, str]

# English names of stages, roles, districts, assessments and grades (emails use them too).
STAGE_EN = {
    Stage.DISTRICT_REVIEW: "district review and recommendation",
    Stage.CORRECTION: "correction by the applicant",
    Stage.EXPERT_REVIEW: "expert review",
    Stage.DIRECTOR_MEETING: "director's office meeting",
    Stage.PUBLIC_NOTICE: "public notice",
    Stage.APPROVAL: "approval document",
    Stage.RECOGNISED: "recognised",
    Stage.REJECTED: "not recognised",
    Stage.WITHDRAWN: "withdrawn",
}
ROLE_EN = {
    Role.APPLICANT: "the alliance's lead unit",
    Role.DISTRICT_REVIEWER: "district science and technology bureau reviewers",
    Role.EXPERT_ORGANISER: "third-party expert review organiser",
    Role.DIRECTOR_CLERK: "director's office meeting clerk",
    Role.BUREAU_STAFF: "municipal bureau staff",
    Role.ADMINISTRATOR: "system administrator",
    Role.PUBLIC: "the public",
    Role.SYSTEM: "the system",
}
DISTRICT_EN = {
    District.TIEDONG: "Tiedong District",
    District.TIEXI: "Tiexi District",
    District.LISHAN: "Lishan District",
    District.QIANSHAN: "Qianshan District",
    District.HAICHENG: "Haicheng City",
    District.TAIAN: "Tai'an County",
    District.XIUYAN: "Xiuyan Manchu Autonomous County",
    District.HIGH_TECH_ZONE: "Anshan High-tech Industrial Development Zone",
    District.ECONOMIC_ZONE: "Anshan Economic Development Zone",
}
ASSESSMENT_EN = {
    AssessmentKind.MIDTERM: "mid-term assessment",
    AssessmentKind.FINAL: "final comprehensive assessment",
}
GRADE_EN = {
    Grade.EXCELLENT: "Excellent",
    Grade.GOOD: "Good",
    Grade.PASS: "Pass",
    Grade.POOR: "Poor",
}
TERM_STATUS_EN = {
    TermStatus.ACTIVE: "recognised (valid)",
    TermStatus.RECTIFICATION: "rectification ordered",
    TermStatus.REVOKED: "status revoked",
    TermStatus.EXPIRED: "expired",
    TermStatus.WITHDRAWN: "status given up",
}
REPORT_STATUS_EN = {
    ReportStatus.DUE: "due",
    ReportStatus.SUBMITTED: "submitted, awaiting review",
    ReportStatus.ACCEPTED: "accepted",
    ReportStatus.RETURNED: "returned for revision",
}
OBJECTION_STATUS = {
    ObjectionStatus.OPEN: ("待处理", "open"),
    ObjectionStatus.UPHELD: ("异议成立", "upheld"),
    ObjectionStatus.DISMISSED: ("异议不成立", "dismissed"),
}
MEMBER_ROLE = {
    MemberRole.LEAD: ("发起（牵头）单位", "initiating (lead) unit"),
    MemberRole.BACKBONE: ("骨干成员", "core member"),
    MemberRole.MEMBER: ("一般成员", "member"),
}
MEMBER_KIND_EN = {
    MemberKind.ENTERPRISE: "enterprise",
    MemberKind.UNIVERSITY: "university",
    MemberKind.RESEARCH_INSTITUTE: "research institute",
    MemberKind.KEY_USER: "key user",
    MemberKind.TESTING_BODY: "testing body",
    MemberKind.INTERMEDIARY: "intermediary",
}

REVIEW_OUTCOME = {
    ReviewOutcome.RECOMMEND: ("推荐", "recommend"),
    ReviewOutcome.RETURN: ("退回补正", "return for correction"),
    ReviewOutcome.REJECT: ("不予推荐", "reject"),
}

_TABLES: dict[str, dict[str, Words]] = {
    "status": {
        **{s.value: (STAGE_ZH[s], STAGE_EN[s]) for s in Stage},
        **{s.value: (TERM_STATUS_ZH[s], TERM_STATUS_EN[s]) for s in TermStatus},
    },
    "report_status": {s.value: (REPORT_STATUS_ZH[s], REPORT_STATUS_EN[s]) for s in ReportStatus},
    "objection_status": {s.value: w for s, w in OBJECTION_STATUS.items()},
    "member_role": {r.value: w for r, w in MEMBER_ROLE.items()},
    "member_kind": {k.value: (MEMBER_KIND_ZH[k], MEMBER_KIND_EN[k]) for k in MemberKind},
    "assessment": {k.value: (ASSESSMENT_ZH[k], ASSESSMENT_EN[k]) for k in AssessmentKind},
    "grade": {g.value: (GRADE_ZH[g], GRADE_EN[g]) for g in Grade},
    "district": {d.value: (DISTRICT_ZH[d], DISTRICT_EN[d]) for d in District},
    "role": {r.value: (ROLE_ZH[r], ROLE_EN[r]) for r in Role},
    "review_outcome": {o.value: w for o, w in REVIEW_OUTCOME.items()},
    "revocation_ground": {
        g.value: (REVOCATION_GROUND_ZH[g], REVOCATION_GROUND_EN[g]) for g in RevocationGround
    },
}
# The table each stored enum reads its words from.
_KIND_OF: dict[type[Enum], str] = {
    Stage: "status",
    TermStatus: "status",
    ReportStatus: "report_status",
    ObjectionStatus: "objection_status",
    MemberRole: "member_role",
    MemberKind: "member_kind",
    AssessmentKind: "assessment",
    Grade: "grade",
    District: "district",
    Role: "role",
    ReviewOutcome: "review_outcome",
    RevocationGround: "revocation_ground",
}


def words(kind: str, value: object) -> Words:
    """(zh, en) for `value` of `kind` (a table above: status, report_status, member_role,
    district, review_outcome …); the value itself when unknown."""
    text = str(getattr(value, "value", value))
    return _TABLES[kind].get(text, (text, text))


def enum_words(value: Enum) -> Words:
    """(zh, en) of any stored enum value the table knows; the value itself otherwise."""
    kind = _KIND_OF.get(type(value))
    return words(kind, value) if kind else (str(value.value), str(value.value))


# ---- audit entries: what happened, as the timeline shows it

EVENTS: dict[str, Words] = {
    "submitted": ("提交认定申请", "application submitted"),
    "recognised": ("予以认定，颁发证书", "recognised; certificate issued"),
    "escalated": ("办理超期，已提醒上级", "step overdue; escalated"),
    "calendar.missing": ("缺少节假日安排，暂停计时", "holiday schedule missing; clock held"),
    "public_notice.published": ("公示开始", "public notice opened"),
    "public_notice.ended": ("公示结束", "public notice ended"),
    "objection.filed": ("收到异议", "objection received"),
    "objection.upheld": ("异议成立", "objection upheld"),
    "objection.dismissed": ("异议不成立", "objection dismissed"),
    "term.started": ("认定有效期开始", "term started"),
    "term.extended": ("延长认定有效期", "term extended"),
    "term.ending_without_final_result": (
        "有效期将满，期末评估结果未录入",
        "term ending without a final result",
    ),
    "report.submitted": ("年度报告已提交", "annual report submitted"),
    "report.accepted": ("年度报告审核通过", "annual report accepted"),
    "report.returned": ("年度报告退回修改", "annual report returned"),
    "report.escalated": ("年度报告逾期，已告知工作人员", "annual report overdue; staff told"),
    "assessment.result_overdue": ("考核评估结果逾期未录入", "assessment result overdue"),
    "rectification.ordered": ("告诫并限期整改", "warned; rectification ordered"),
    "rectification.report": ("整改报告已提交", "rectification report submitted"),
    "rectification.passed": ("整改复核通过", "rectification re-check passed"),
    "rectification.failed": ("整改复核未通过", "rectification re-check failed"),
    "rectification.extended": ("延长整改期限", "rectification extended"),
    "rectification.overdue": ("整改逾期", "rectification overdue"),
    "plaque.handed_over": ("牌匾已交付", "plaque handed over"),
    "certificate.reissued": ("证书补发", "certificate reissued"),
    "membership.changed": ("成员和联系人变更", "members and contacts changed"),
    "withdrawn": ("自愿放弃认定资格", "status given up"),
    "revoked": ("取消市级联盟资格", "status revoked"),
    "expired": ("有效期满未续", "term expired"),
    "renewed": ("期末评估通过，换发证书", "final assessment passed; certificate renewed"),
    "imported.provincial": ("按第十三条导入（省级联盟）", "imported under article 13"),
}
OUTCOMES: dict[str, Words] = {
    "recommend": ("推荐", "recommended"),
    "return": ("退回补正", "returned for correction"),
    "reject": ("不予推荐", "rejected"),
    "resubmitted": ("补正后重新提交", "corrected and resubmitted"),
    "pass": ("通过", "passed"),
    "fail": ("未通过", "not passed"),
    "approve": ("通过，进入公示", "approved; public notice"),
    "objection_upheld": ("异议成立，不予认定", "objection upheld; not recognised"),
    "recorded": ("已下达", "recorded"),
    "withdraw": ("撤回申请", "application withdrawn"),
}
ASSESSMENT_STEPS: dict[str, Words] = {
    "opened": ("开始", "opened"),
    "materials": ("材料已提交", "materials submitted"),
    "imported": ("（导入前已完成）", "(held before the import)"),
}


def event_words(action: str) -> Words:
    """(zh, en) of an audit entry's action; the action itself when unknown."""
    if action in EVENTS:
        return EVENTS[action]
    head, _, tail = action.partition(".")
    if head in {s.value for s in Stage} and tail in OUTCOMES:
        stage_zh, stage_en = words("status", head)
        outcome_zh, outcome_en = OUTCOMES[tail]
        return f"{stage_zh}：{outcome_zh}", f"{stage_en}: {outcome_en}"
    kind, _, step = tail.partition(".")
    if head == "assessment" and kind in {k.value for k in AssessmentKind}:
        name_zh, name_en = words("assessment", kind)
        if step in ASSESSMENT_STEPS:
            zh, en = ASSESSMENT_STEPS[step]
            return f"{name_zh}{zh}", f"{name_en} {en}"
        if step in {g.value for g in Grade}:
            grade_zh, grade_en = words("grade", step)
            return f"{name_zh}结果：{grade_zh}", f"{name_en} result: {grade_en}"
    return action, action


# ---- the term's dated steps, as the alliance page lists what is still ahead

MILESTONES: dict[MilestoneKind, Words] = {
    MilestoneKind.REPORT_REMINDER: ("年度报告提醒", "annual report reminder"),
    MilestoneKind.REPORT_OVERDUE: ("年度报告逾期通知", "annual report overdue notice"),
    MilestoneKind.REPORT_ESCALATION: ("年度报告逾期告知工作人员", "overdue report: staff told"),
    MilestoneKind.REPORT_FINAL_REMINDER: ("年度报告最后提醒", "annual report final reminder"),
    MilestoneKind.REPORT_RESUBMISSION_OVERDUE: (
        "退回修改的年度报告截止",
        "returned report due again",
    ),
    MilestoneKind.ASSESSMENT_OPEN: ("开始", "opens"),
    MilestoneKind.ASSESSMENT_REMINDER: ("材料提醒", "materials reminder"),
    MilestoneKind.ASSESSMENT_OVERDUE: ("材料逾期通知", "materials overdue notice"),
    MilestoneKind.ASSESSMENT_RESULT_OVERDUE: ("结果逾期未录入", "result overdue"),
    MilestoneKind.RECTIFICATION_REMINDER: ("整改期限提醒", "rectification reminder"),
    MilestoneKind.RECTIFICATION_OVERDUE: ("整改期限届满", "rectification deadline"),
    MilestoneKind.TERM_ENDING: ("有效期将满，期末结果未录入", "term ending, no final result"),
    MilestoneKind.TERM_END: ("认定有效期届满", "term ends"),
}


def milestone_words(step: Milestone) -> Words:
    """(zh, en) of a dated step: whose year or which assessment, and what happens."""
    zh, en = MILESTONES[step.kind]
    if step.assessment is not None:
        name_zh, name_en = words("assessment", step.assessment)
        return f"{name_zh}{zh}", f"{name_en}: {en}"
    if step.year is not None:
        return f"{step.year}{zh}", f"{step.year} {en}"
    return zh, en
