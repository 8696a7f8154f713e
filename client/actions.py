"""The catalogue of staff actions: one entry per thing a person does to an alliance's workflow.

Each entry names the workflow update it sends and the type it answers with, the pydantic
model of the action, the roles of the signed-in staff who may take it in the console, the
`alliance-admin` command that sends it, and its labels in Chinese and English. The CLI,
the console's forms and the action lists all read this one table; a test fails when an
entry has no console form or no CLI command, or when its update, model or answer is not
the workflow method's.

The update is named rather than referenced (`RecognitionWorkflow.district_review`) so that
sending an action does not import the workflows, and with them the activities: a command
of `alliance-admin` starts in a new process each time.

The workflow's validators still decide in the end: `roles` only keeps the console from
offering a form that cannot work.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from domain.effects import IncidentRetry
from domain.procedure import (
    ActionResult,
    ApprovalDocument,
    DistrictReview,
    ExpertReview,
    MeetingDecision,
    ObjectionFiling,
    ObjectionResolution,
    Resubmission,
    Role,
    Withdrawal,
)
from domain.term import (
    AnnualReportReview,
    AnnualReportSubmission,
    AssessmentMaterials,
    AssessmentRecord,
    AssessmentResult,
    MembershipChange,
    PlaqueHandover,
    PlaqueHandoverRecord,
    Rectification,
    RectificationExtension,
    RectificationRecheck,
    RectificationReport,
    ReportRecord,
    Revocation,
    TermExtension,
    TermStatus,
)


class StaffAction(StrEnum):
    """What a person does to an alliance; the value names the console form and its URL."""

    DISTRICT_REVIEW = "district_review"
    RESUBMIT = "resubmit"
    EXPERT_REVIEW = "expert_review"
    MEETING_DECISION = "meeting_decision"
    FILE_OBJECTION = "file_objection"
    RESOLVE_OBJECTION = "resolve_objection"
    RECORD_APPROVAL = "record_approval"
    WITHDRAW = "withdraw"
    RECORD_PLAQUE_HANDOVER = "record_plaque_handover"
    SUBMIT_ANNUAL_REPORT = "submit_annual_report"
    REVIEW_ANNUAL_REPORT = "review_annual_report"
    SUBMIT_ASSESSMENT_MATERIALS = "submit_assessment_materials"
    RECORD_ASSESSMENT = "record_assessment"
    SUBMIT_RECTIFICATION_REPORT = "submit_rectification_report"
    RECHECK_RECTIFICATION = "recheck_rectification"
    EXTEND_RECTIFICATION = "extend_rectification"
    CHANGE_MEMBERSHIP = "change_membership"
    RENOUNCE = "renounce"
    REVOKE = "revoke"
    EXTEND_TERM = "extend_term"
    RETRY_INCIDENT = "retry_incident"


class Phase(StrEnum):
    PROCEDURE = "procedure"  # the recognition procedure (article 9)
    TERM = "term"  # the five-year term (articles 11 and 12)
    ANY = "any"


@dataclass(frozen=True)
class ActionSpec:
    name: StaffAction
    update: str  # the name of the workflow's update (its method's name)
    result: type[Any]  # what the update answers with
    model: type[BaseModel]
    phase: Phase
    roles: frozenset[Role]  # who may take it in the console
    cli: str  # the `alliance-admin` command that sends it
    label_zh: str
    label_en: str
    for_alliance: bool = False  # staff enter what the alliance handed in on paper


BUREAU = frozenset({Role.BUREAU_STAFF})
_SPECS = [
    ActionSpec(
        StaffAction.DISTRICT_REVIEW,
        "district_review",
        ActionResult,
        DistrictReview,
        Phase.PROCEDURE,
        frozenset({Role.DISTRICT_REVIEWER}),
        "review",
        "审查推荐",
        "District review",
    ),
    ActionSpec(
        StaffAction.RESUBMIT,
        "resubmit",
        ActionResult,
        Resubmission,
        Phase.PROCEDURE,
        frozenset({Role.BUREAU_STAFF, Role.DISTRICT_REVIEWER}),
        "resubmit",
        "录入补正后的申请（代联盟）",
        "Enter the corrected application (for the alliance)",
        for_alliance=True,
    ),
    ActionSpec(
        StaffAction.EXPERT_REVIEW,
        "expert_review",
        ActionResult,
        ExpertReview,
        Phase.PROCEDURE,
        frozenset({Role.EXPERT_ORGANISER}),
        "expert-review",
        "专家评审结果",
        "Expert review",
    ),
    ActionSpec(
        StaffAction.MEETING_DECISION,
        "meeting_decision",
        ActionResult,
        MeetingDecision,
        Phase.PROCEDURE,
        frozenset({Role.DIRECTOR_CLERK, Role.BUREAU_STAFF}),
        "meeting",
        "局长办公会审议结果",
        "Director's office meeting",
    ),
    ActionSpec(
        StaffAction.FILE_OBJECTION,
        "file_objection",
        int,
        ObjectionFiling,
        Phase.PROCEDURE,
        BUREAU,
        "objection file",
        "录入书面异议",
        "Enter an objection received on paper",
    ),
    ActionSpec(
        StaffAction.RESOLVE_OBJECTION,
        "resolve_objection",
        ActionResult,
        ObjectionResolution,
        Phase.PROCEDURE,
        BUREAU,
        "objection resolve",
        "处理异议",
        "Resolve an objection",
    ),
    ActionSpec(
        StaffAction.RECORD_APPROVAL,
        "record_approval",
        ActionResult,
        ApprovalDocument,
        Phase.PROCEDURE,
        BUREAU,
        "approval record",
        "下达批复文件（第九条第五项）",
        "Record the approval document (9.5)",
    ),
    ActionSpec(
        StaffAction.WITHDRAW,
        "withdraw",
        ActionResult,
        Withdrawal,
        Phase.PROCEDURE,
        BUREAU,
        "withdraw",
        "撤回申请（代联盟）",
        "Withdraw the application (for the alliance)",
        for_alliance=True,
    ),
    ActionSpec(
        StaffAction.RECORD_PLAQUE_HANDOVER,
        "record_plaque_handover",
        PlaqueHandoverRecord,
        PlaqueHandover,
        Phase.TERM,
        BUREAU,
        "plaque handed-over",
        "登记牌匾交付",
        "Record the plaque handover",
    ),
    ActionSpec(
        StaffAction.SUBMIT_ANNUAL_REPORT,
        "submit_annual_report",
        ReportRecord,
        AnnualReportSubmission,
        Phase.TERM,
        BUREAU,
        "report submit",
        "录入年度报告（代联盟）",
        "Enter an annual report (for the alliance)",
        for_alliance=True,
    ),
    ActionSpec(
        StaffAction.REVIEW_ANNUAL_REPORT,
        "review_annual_report",
        ReportRecord,
        AnnualReportReview,
        Phase.TERM,
        BUREAU,
        "report review",
        "审核年度报告",
        "Review an annual report",
    ),
    ActionSpec(
        StaffAction.SUBMIT_ASSESSMENT_MATERIALS,
        "submit_assessment_materials",
        AssessmentRecord,
        AssessmentMaterials,
        Phase.TERM,
        BUREAU,
        "assessment materials",
        "录入考核材料（代联盟）",
        "Enter assessment materials (for the alliance)",
        for_alliance=True,
    ),
    ActionSpec(
        StaffAction.RECORD_ASSESSMENT,
        "record_assessment",
        TermStatus,
        AssessmentResult,
        Phase.TERM,
        BUREAU,
        "assessment record",
        "录入考核评估结果",
        "Record an assessment",
    ),
    ActionSpec(
        StaffAction.SUBMIT_RECTIFICATION_REPORT,
        "submit_rectification_report",
        Rectification,
        RectificationReport,
        Phase.TERM,
        BUREAU,
        "rectification report",
        "录入整改报告（代联盟）",
        "Enter the rectification report (for the alliance)",
        for_alliance=True,
    ),
    ActionSpec(
        StaffAction.RECHECK_RECTIFICATION,
        "recheck_rectification",
        TermStatus,
        RectificationRecheck,
        Phase.TERM,
        BUREAU,
        "rectification recheck",
        "整改复核",
        "Re-check the rectification",
    ),
    ActionSpec(
        StaffAction.EXTEND_RECTIFICATION,
        "extend_rectification",
        Rectification,
        RectificationExtension,
        Phase.TERM,
        BUREAU,
        "rectification extend",
        "延长整改期限",
        "Extend the rectification",
    ),
    ActionSpec(
        StaffAction.CHANGE_MEMBERSHIP,
        "change_membership",
        TermStatus,
        MembershipChange,
        Phase.TERM,
        BUREAU,
        "membership",
        "成员和联系人变更",
        "Change members and contacts",
    ),
    ActionSpec(
        StaffAction.RENOUNCE,
        "withdraw",
        TermStatus,
        Withdrawal,
        Phase.TERM,
        BUREAU,
        "withdraw",  # the same command: it sends this once the alliance is in its term
        "自愿放弃认定资格（代联盟）",
        "Give up the status (for the alliance)",
        for_alliance=True,
    ),
    ActionSpec(
        StaffAction.REVOKE,
        "revoke",
        TermStatus,
        Revocation,
        Phase.TERM,
        BUREAU,
        "revoke",
        "取消市级联盟资格",
        "Revoke the status",
    ),
    ActionSpec(
        StaffAction.EXTEND_TERM,
        "extend_term",
        TermStatus,
        TermExtension,
        Phase.TERM,
        BUREAU,
        "extend-term",
        "延长认定有效期（待期末评估）",
        "Extend the term (final result pending)",
    ),
    ActionSpec(
        StaffAction.RETRY_INCIDENT,
        "retry_incident",
        int,
        IncidentRetry,
        Phase.ANY,
        frozenset({Role.BUREAU_STAFF, Role.ADMINISTRATOR}),
        "incidents retry",
        "重试故障",
        "Retry an incident",
    ),
]
CATALOGUE: dict[StaffAction, ActionSpec] = {spec.name: spec for spec in _SPECS}
