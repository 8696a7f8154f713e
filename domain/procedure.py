"""The recognition procedure of article 9 as data: stages, roles, staff actions and state.

Everything here is pure so the workflow, its validators and the tests share one set of
rules. A refused action raises `ActionRefused` with a message in Chinese and English.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from domain.application import Application
from domain.districts import District
from domain.input_rules import (
    EXPERTS_MAX,
    Count,
    FileName,
    FreeText,
    Name,
    PersonName,
    PlausibleDate,
    Score,
    ShortText,
    TextLine,
    at_most,
)
from domain.rules import ProcedureRules
from domain.term_rules import TermRules


class Stage(StrEnum):
    DISTRICT_REVIEW = "district_review"  # 审查推荐 (9.2)
    CORRECTION = "correction"  # 退回补正, waiting for the applicant
    EXPERT_REVIEW = "expert_review"  # 专家评审 (9.3)
    DIRECTOR_MEETING = "director_meeting"  # 局长办公会 (9.4)
    PUBLIC_NOTICE = "public_notice"  # 公示 (9.4)
    APPROVAL = "approval"  # 下达批复文件 (9.5), after the notice and its objections
    RECOGNISED = "recognised"  # 予以认定 (9.5)
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


# The article-9 steps in order, as the alliance page's process view shows them.
PROCESS_STEPS = (
    Stage.DISTRICT_REVIEW,
    Stage.EXPERT_REVIEW,
    Stage.DIRECTOR_MEETING,
    Stage.PUBLIC_NOTICE,
    Stage.APPROVAL,
    Stage.RECOGNISED,
)


def process_view(status: str, recognised: bool) -> list[tuple[Stage, str]]:
    """Where an alliance stands among the article-9 steps, each `done`, `current` or
    `ahead`; a recognised one (in its term, or after it) has passed them all."""
    if recognised:
        return [(step, "done") for step in PROCESS_STEPS]
    current = Stage.DISTRICT_REVIEW if status == Stage.CORRECTION.value else status
    if current not in PROCESS_STEPS:  # rejected or withdrawn: no step is under way
        return [(step, "ahead") for step in PROCESS_STEPS]
    at = PROCESS_STEPS.index(Stage(current))
    return [
        (step, "done" if i < at else "current" if i == at else "ahead")
        for i, step in enumerate(PROCESS_STEPS)
    ]


STAGE_ZH = {
    Stage.DISTRICT_REVIEW: "县区审查推荐",
    Stage.CORRECTION: "退回补正",
    Stage.EXPERT_REVIEW: "专家评审",
    Stage.DIRECTOR_MEETING: "局长办公会审议",
    Stage.PUBLIC_NOTICE: "公示",
    Stage.APPROVAL: "下达批复文件",
    Stage.RECOGNISED: "已认定",
    Stage.REJECTED: "未予认定",
    Stage.WITHDRAWN: "已撤回",
}


def status_zh(status: str) -> str:
    """The Chinese name of a registry status (a stage, or a later term status)."""
    from domain.term import TERM_STATUS_ZH, TermStatus

    if status in {s.value for s in Stage}:
        return STAGE_ZH[Stage(status)]
    if status in {s.value for s in TermStatus}:
        return TERM_STATUS_ZH[TermStatus(status)]
    return status


# An alliance may apply (again) when it has no record or its last procedure or term ended.
MAY_APPLY_FROM = frozenset({"rejected", "withdrawn", "expired", "revoked"})


FINAL_STAGES = frozenset({Stage.RECOGNISED, Stage.REJECTED, Stage.WITHDRAWN})


class Role(StrEnum):
    APPLICANT = "applicant"  # 联盟发起单位
    DISTRICT_REVIEWER = "district_reviewer"  # 县（市）区/开发区科技局
    EXPERT_ORGANISER = "expert_organiser"  # 第三方评审组织机构
    DIRECTOR_CLERK = "director_clerk"  # 局长办公会记录人员
    BUREAU_STAFF = "bureau_staff"  # 市科技局
    ADMINISTRATOR = "administrator"
    PUBLIC = "public"
    SYSTEM = "system"


ROLE_ZH = {
    Role.APPLICANT: "联盟发起单位",
    Role.DISTRICT_REVIEWER: "县区科技局审查人员",
    Role.EXPERT_ORGANISER: "第三方评审组织机构",
    Role.DIRECTOR_CLERK: "局长办公会记录人员",
    Role.BUREAU_STAFF: "市科技局工作人员",
    Role.ADMINISTRATOR: "系统管理员",
    Role.PUBLIC: "社会公众",
    Role.SYSTEM: "系统",
}

# Who must act while the procedure waits in a stage (reminders go to them).
STAGE_ACTORS: dict[Stage, frozenset[Role]] = {
    Stage.DISTRICT_REVIEW: frozenset({Role.DISTRICT_REVIEWER}),
    Stage.CORRECTION: frozenset({Role.APPLICANT}),
    Stage.EXPERT_REVIEW: frozenset({Role.EXPERT_ORGANISER}),
    Stage.DIRECTOR_MEETING: frozenset({Role.DIRECTOR_CLERK, Role.BUREAU_STAFF}),
    Stage.PUBLIC_NOTICE: frozenset({Role.BUREAU_STAFF}),
    Stage.APPROVAL: frozenset({Role.BUREAU_STAFF}),
}


class Actor(BaseModel):
    name: Name  # a person, or the lead unit submitting its own application
    role: Role
    district: District | None = None


SYSTEM_ACTOR = Actor(name="system", role=Role.SYSTEM)


class ActionRefused(Exception):
    """A staff action that the procedure does not allow now; nothing was changed."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} ({en})")
        self.zh = zh
        self.en = en


# ---- staff actions (each one Temporal update; request_id is also the update id) ----


class ReviewOutcome(StrEnum):
    RECOMMEND = "recommend"  # 推荐
    RETURN = "return"  # 退回补正
    REJECT = "reject"  # 不予推荐


class DistrictReview(BaseModel):
    request_id: ShortText
    actor: Actor
    outcome: ReviewOutcome
    reasons: FreeText = ""


class Resubmission(BaseModel):
    request_id: ShortText
    actor: Actor
    application: Application
    note: FreeText = ""


class PanelMember(BaseModel):
    name: PersonName
    affiliation: Name = ""
    score: Score = Field(description="0–100")


class ExpertReview(BaseModel):
    request_id: ShortText
    actor: Actor
    organisation: Name = Field(description="受委托的第三方机构")
    panel: Annotated[list[PanelMember], at_most(EXPERTS_MAX)]
    necessity_opinion: FreeText
    feasibility_opinion: FreeText
    passed: bool

    def detail(self) -> dict:
        """What the decision record keeps of the review: panel, scores and opinions."""
        scores = [e.score for e in self.panel]
        return {
            "organisation": self.organisation,
            "panel": [e.model_dump() for e in self.panel],
            "average_score": round(sum(scores) / len(scores), 2),
            "necessity_opinion": self.necessity_opinion,
            "feasibility_opinion": self.feasibility_opinion,
        }


class MeetingDecision(BaseModel):
    request_id: ShortText
    actor: Actor
    meeting_number: ShortText = Field(description="局长办公会 number, e.g. 2026年第12次")
    meeting_date: PlausibleDate
    approved: bool
    reasons: FreeText = ""
    notice_start: PlausibleDate | None = Field(
        default=None, description="first day of the public notice; default: next working day"
    )


class ObjectionLetter(BaseModel):
    """The signed (sealed) objection letter uploaded with a public objection, kept in the
    registry by its SHA-256."""

    name: FileName
    sha256: ShortText


class ObjectionFiling(BaseModel):
    request_id: ShortText
    name: PersonName
    organisation: Name = ""
    contact: TextLine
    text: FreeText
    tracking_number: ShortText = Field(
        default="", description="受理查询号 the public form gives the objector, e.g. YY-7K2M-Q9XD"
    )
    letter: ObjectionLetter | None = None


class ObjectionResolution(BaseModel):
    request_id: ShortText
    actor: Actor
    objection_no: Count
    upheld: bool
    reason: FreeText


class ApprovalDocument(BaseModel):
    """9.5 批复文件: the bureau's approval document, recorded by staff once it is issued."""

    request_id: ShortText
    actor: Actor
    document_number: ShortText = Field(description="批复文件文号, e.g. 鞍科批〔2026〕7号")
    document_date: PlausibleDate = Field(description="成文日期: a working day, the recognition")


class Withdrawal(BaseModel):
    request_id: ShortText
    actor: Actor
    reason: FreeText = ""


# ---- state ----


class Decision(BaseModel):
    stage: Stage
    action: str
    actor: Actor
    at: datetime
    reasons: str = ""
    detail: dict = {}


class NoticeWindow(BaseModel):
    """公示: explicit first and last day (Asia/Shanghai), both inclusive."""

    start: date
    end: date


class ObjectionStatus(StrEnum):
    OPEN = "open"  # 待处理
    UPHELD = "upheld"  # 异议成立: the application is rejected
    DISMISSED = "dismissed"  # 异议不成立


class Objection(BaseModel):
    number: int
    name: str
    organisation: str
    contact: str
    text: str
    filed_at: datetime
    status: ObjectionStatus = ObjectionStatus.OPEN
    resolution: str = ""
    tracking_number: str = ""
    letter: ObjectionLetter | None = None


class ApprovalPlan(BaseModel):
    """What the holiday calendar says about the days an approval document may bear, read
    once on entering the stage so that a date is checked without I/O (see
    `domain.working_days.approval_calendar`)."""

    first_day: date  # the first working day after the notice ended
    numbering_day: date  # the system numbers the document on this day, when the rules say so
    loaded_years: list[int]  # the holiday years the exceptions below cover
    exceptions: dict[date, bool] = {}  # weekday holiday → False, make-up working day → True


class ActionResult(BaseModel):
    """What a recognition procedure's update answers: the stage the alliance is now in."""

    stage: Stage
    message: str


class Recognition(BaseModel):
    approval_document_number: str  # 批复文件文号
    certificate_serial: str  # 证书编号
    plaque_number: str  # 牌匾
    recognised_on: date
    valid_until: date  # five years from recognition (article 11), last day inclusive
    certificate_document_id: int


class StageClock(BaseModel):
    """The time limit of the stage being waited on, in absolute instants."""

    stage: Stage
    entered_at: datetime
    reminder_at: datetime
    deadline: datetime
    reminders_sent: int = 0
    escalations_sent: int = 0


class ProcedureState(BaseModel):
    """All of a recognition workflow's state, handed whole to continue-as-new."""

    alliance_code: str
    application: Application
    application_version: int = 1
    submitted_at: datetime
    rules: ProcedureRules = ProcedureRules()
    term_rules: TermRules = TermRules()  # handed to the five-year term on recognition
    stage: Stage = Stage.DISTRICT_REVIEW
    stage_entered_at: datetime
    clock: StageClock | None = None
    next_deadline: datetime | None = None  # what the step waited on now must be done by
    deadline_recorded: bool = False  # the registry holds `next_deadline` (since 1.2)
    decisions: list[Decision] = []
    notice: NoticeWindow | None = None
    objections: list[Objection] = []
    missing_calendar_year: int | None = None  # a step waits until this holiday year is loaded
    calendar_alerts: int = 0
    approval_plan: ApprovalPlan | None = None  # read from the calendar on entering APPROVAL
    recognition: Recognition | None = None
    handled_requests: list[str] = []
    stage_visit: int = 0  # counts stage entries, so a stage entered twice is told apart
    events_recorded: int = 0

    def open_objections(self) -> list[Objection]:
        return [o for o in self.objections if o.status == ObjectionStatus.OPEN]
