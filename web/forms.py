"""Staff forms to workflow actions: one parser per form, the actor from the signed-in user.

A malformed form (a score that is not a number, a missing date) is refused here with a
message; everything else is judged by the workflow's validators.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from client.actions import StaffAction
from domain.application import Contact, Member, MemberKind, MemberRole
from domain.districts import District
from domain.effects import IncidentRetry
from domain.input_rules import bilingual
from domain.procedure import (
    Actor,
    ApprovalDocument,
    DistrictReview,
    ExpertReview,
    MeetingDecision,
    ObjectionFiling,
    ObjectionResolution,
    PanelMember,
    ReviewOutcome,
    Role,
    Withdrawal,
)
from domain.report_statistics import FIGURES
from domain.term import (
    AnnualReportReview,
    AnnualReportSubmission,
    AssessmentKind,
    AssessmentMaterials,
    AssessmentResult,
    Grade,
    MembershipChange,
    PlaqueHandover,
    RectificationExtension,
    RectificationRecheck,
    RectificationReport,
    ResourceStatistics,
    Revocation,
    RevocationGround,
    TermExtension,
)
from registry.tables import StaffUser

Choice = TypeVar("Choice", bound=StrEnum)


class FormInvalid(Exception):
    """The form cannot become an action; the message tells the clerk what to change, in
    Chinese and in English, kept apart so each page shows its own language."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} ({en})")
        self.zh, self.en = zh, en


def actor_of(user: StaffUser) -> Actor:
    return Actor(
        name=user.display_name,
        role=Role(user.role),
        district=District(user.district) if user.district else None,
    )


def on_behalf_of_alliance(user: StaffUser) -> Actor:
    """Staff enter the alliance's own submissions (reports, materials) for it."""
    return Actor(name=f"{user.display_name}（代联盟录入）", role=Role.APPLICANT)


def _date(value: str, zh: str, en: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise FormInvalid(f"{zh}应为日期，如 2026-09-28", f"{en}: a date like 2026-09-28") from err


def _choice(value: str, kind: type[Choice], zh: str, en: str) -> Choice:
    try:
        return kind(value)
    except ValueError as err:
        raise FormInvalid(f"请选择{zh}", f"choose the {en}") from err


def _decision(form: dict[str, str], yes: str, no: str) -> bool:
    """A decision's outcome: never pre-selected, so it must have been chosen."""
    if form.get("result") not in (yes, no):
        raise FormInvalid("请选择办理结果", "choose the outcome")
    return form["result"] == yes


def _opinion(form: dict[str, str], key: str, zh: str, en: str) -> str:
    """审批意见: every decision carries the reasons for it."""
    text = form.get(key, "").strip()
    if not text:
        raise FormInvalid(f"请填写{zh}", f"fill in the {en}")
    return text


def _number(value: str, zh: str, en: str, kind=float):
    try:
        return kind(value)
    except ValueError as err:
        raise FormInvalid(f"{zh}应为数字", f"{en} must be a number") from err


def _figure(value: str, name: str) -> float | int:
    """One figure of the innovation resource statistics, named by its label when wrong."""
    figure = FIGURES[name]
    if not value.strip():
        raise FormInvalid(f"请填写{figure.title_zh}", f"fill in {figure.title_en}")
    return _number(value, figure.title_zh, figure.title_en, float if figure.money else int)


def _panel(text: str) -> list[PanelMember]:
    panel = []
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        parts = [p.strip() for p in line.replace("：", ":").split(":")]
        if len(parts) not in (2, 3):
            raise FormInvalid(
                f"“{line}”格式应为 姓名:单位:分数", f"“{line}”: name:affiliation:score"
            )
        score = _number(parts[-1], f"{parts[0]}的评分", f"{parts[0]}'s score")
        panel.append(
            PanelMember(name=parts[0], affiliation=parts[1] if len(parts) == 3 else "", score=score)
        )
    return panel


def parse(name: StaffAction, form: dict[str, str], user: StaffUser) -> BaseModel:
    """The action the form `name` describes, checked as the workflow's model checks it."""
    request_id = form.get("request_id") or uuid.uuid4().hex
    try:
        return PARSERS[name](form, request_id, actor_of(user), user)
    except KeyError as missing:
        raise FormInvalid(f"表单缺少字段 {missing}", f"missing field {missing}") from missing
    except ValidationError as invalid:
        zh, en = bilingual(invalid)
        raise FormInvalid(f"表单内容有误，未办理：{zh}", f"not done: {en}") from invalid
    except ValueError as invalid:  # a choice outside its list
        raise FormInvalid(f"表单选项无效：{invalid}", f"invalid choice: {invalid}") from invalid


def _district_review(form, request_id, actor, user):
    return DistrictReview(
        request_id=request_id,
        actor=actor,
        outcome=_choice(form.get("outcome", ""), ReviewOutcome, "审查意见", "outcome"),
        reasons=_opinion(form, "reasons", "审查意见的理由", "reasons"),
    )


def _expert_review(form, request_id, actor, user):
    return ExpertReview(
        request_id=request_id,
        actor=actor,
        organisation=form["organisation"],
        panel=_panel(form["panel"]),
        necessity_opinion=form["necessity_opinion"],
        feasibility_opinion=form["feasibility_opinion"],
        passed=_decision(form, "pass", "fail"),
    )


def _meeting_decision(form, request_id, actor, user):
    notice_start = form.get("notice_start", "")
    return MeetingDecision(
        request_id=request_id,
        actor=actor,
        meeting_number=form["meeting_number"],
        meeting_date=_date(form["meeting_date"], "会议日期", "the meeting date"),
        approved=_decision(form, "approve", "reject"),
        reasons=_opinion(form, "reasons", "审议意见", "opinion of the meeting"),
        notice_start=_date(notice_start, "公示开始日期", "the notice's first day")
        if notice_start
        else None,
    )


def _resolve_objection(form, request_id, actor, user):
    return ObjectionResolution(
        request_id=request_id,
        actor=actor,
        objection_no=_number(form["objection_no"], "异议编号", "the objection number", int),
        upheld=_decision(form, "uphold", "dismiss"),
        reason=_opinion(form, "reason", "处理理由", "reason"),
    )


def _record_approval(form, request_id, actor, user):
    return ApprovalDocument(
        request_id=request_id,
        actor=actor,
        document_number=form["document_number"],
        document_date=_date(form["document_date"], "批复日期", "the document date"),
    )


def _record_plaque_handover(form, request_id, actor, user):
    return PlaqueHandover(
        request_id=request_id,
        actor=actor,
        handed_over_on=_date(form["handed_over_on"], "交付日期", "the handover date"),
        received_by=form["received_by"],
    )


def _submit_annual_report(form, request_id, actor, user):
    statistics = {name: _figure(form.get(name, ""), name) for name in FIGURES}
    return AnnualReportSubmission(
        request_id=request_id,
        actor=on_behalf_of_alliance(user),
        year=_number(form["year"], "年度", "the year", int),
        summary=form["summary"],
        next_year_plan=form["next_year_plan"],
        statistics=ResourceStatistics(**statistics),
    )


def _review_annual_report(form, request_id, actor, user):
    return AnnualReportReview(
        request_id=request_id,
        actor=actor,
        year=_number(form["year"], "年度", "the year", int),
        accepted=_decision(form, "accept", "return"),
        reasons=_opinion(form, "reasons", "审核意见", "review opinion"),
    )


def _submit_assessment_materials(form, request_id, actor, user):
    return AssessmentMaterials(
        request_id=request_id,
        actor=on_behalf_of_alliance(user),
        kind=_choice(form.get("kind", ""), AssessmentKind, "考核类别", "assessment"),
        summary=form["summary"],
    )


def _record_assessment(form, request_id, actor, user):
    return AssessmentResult(
        request_id=request_id,
        actor=actor,
        kind=_choice(form.get("kind", ""), AssessmentKind, "考核类别", "assessment"),
        grade=_choice(form.get("grade", ""), Grade, "等次", "grade"),
        opinion=_opinion(form, "opinion", "专家意见", "experts' opinion"),
    )


def _submit_rectification_report(form, request_id, actor, user):
    return RectificationReport(
        request_id=request_id, actor=on_behalf_of_alliance(user), report=form["report"]
    )


def _recheck_rectification(form, request_id, actor, user):
    return RectificationRecheck(
        request_id=request_id,
        actor=actor,
        passed=_decision(form, "pass", "fail"),
        reason=_opinion(form, "reason", "复核意见", "re-check opinion"),
    )


def _extend_rectification(form, request_id, actor, user):
    return RectificationExtension(
        request_id=request_id,
        actor=actor,
        days=_number(form["days"], "延长天数", "the days added", int),
        reason=form["reason"],
    )


def _revoke(form, request_id, actor, user):
    return Revocation(
        request_id=request_id,
        actor=actor,
        ground=_choice(form.get("ground", ""), RevocationGround, "取消理由", "ground"),
        legal_basis=form.get("legal_basis", ""),
        reason=form["reason"],
    )


def _extend_term(form, request_id, actor, user):
    return TermExtension(
        request_id=request_id,
        actor=actor,
        until=_date(form["until"], "延期至", "the new end"),
        reason=form["reason"],
    )


def _retry_incident(form, request_id, actor, user):
    return IncidentRetry(
        request_id=request_id,
        actor=actor,
        incident_no=_number(form["incident_no"], "故障编号", "the incident number", int),
    )


def _file_objection(form, request_id, actor, user):
    """An objection received on paper (by post or in person), entered by bureau staff."""
    return ObjectionFiling(
        request_id=request_id,
        name=form["name"],
        organisation=form.get("organisation", ""),
        contact=form["contact"],
        text=f"{form['text']}\n（书面异议，{user.display_name}录入）",
    )


def _withdraw(form, request_id, actor, user):
    return Withdrawal(
        request_id=request_id,
        actor=on_behalf_of_alliance(user),
        reason=_opinion(form, "reason", "撤回理由", "reason"),
    )


@dataclass(frozen=True)
class MeetingItem:
    code: str
    decision: MeetingDecision


def parse_meeting(form: dict[str, str], codes: list[str], user: StaffUser) -> list[MeetingItem]:
    """One office meeting's decisions: its number and date shared, each alliance's outcome
    and reasons its own; alliances left undecided are not on this meeting."""
    base = form.get("request_id") or uuid.uuid4().hex
    items = []
    for code in codes:
        result = form.get(f"result_{code}", "")
        if result not in ("approve", "reject"):
            continue
        one = {**form, "result": result, "reasons": form.get(f"reasons_{code}", "")}
        try:
            decision = parse(
                StaffAction.MEETING_DECISION, {**one, "request_id": f"{base}-{code}"}, user
            )
        except FormInvalid as refused:
            raise FormInvalid(f"{code}：{refused.zh}", f"{code}: {refused.en}") from refused
        assert isinstance(decision, MeetingDecision)
        items.append(MeetingItem(code, decision))
    if not items:
        raise FormInvalid(
            "请至少为一个联盟选择审议结果", "choose a decision for at least one alliance"
        )
    return items


def _rows(form: dict[str, str], prefix: str) -> list[int]:
    """The row numbers the form sent for `prefix` (member_3_name → 3), in order."""
    found = {int(k.split("_")[1]) for k in form if k.startswith(prefix) and k.count("_") >= 2}
    return sorted(found)


def _change_membership(form, request_id, actor, user):
    """The whole new list of members and contacts; blank rows are ignored."""
    members = []
    for n, i in enumerate(_rows(form, "member_"), start=1):
        name = form.get(f"member_{i}_name", "").strip()
        code = form.get(f"member_{i}_code", "").strip()
        if not name and not code:
            continue  # a blank row, whatever its dropdowns say
        members.append(
            Member(
                name=name,
                kind=_choice(
                    form.get(f"member_{i}_kind", ""), MemberKind, f"第{n}行成员的类型", "kind"
                ),
                credit_code=code.upper(),
                role=_choice(
                    form.get(f"member_{i}_role", ""), MemberRole, f"第{n}行成员的角色", "role"
                ),
                task=form.get(f"member_{i}_task", "").strip(),
            )
        )
    contacts = []
    for i in _rows(form, "contact_"):
        row = {k: form.get(f"contact_{i}_{k}", "").strip() for k in ("name", "email", "phone")}
        if any(row.values()):
            contacts.append(Contact(**row))
    return MembershipChange(
        request_id=request_id,
        actor=actor,
        members=members,
        contacts=contacts,
        note=_opinion(form, "note", "变更说明", "note on the change"),
    )


# Actions entered on a page of their own rather than a form on the alliance page.
PAGE_FORMS = {StaffAction.RESUBMIT: "/alliances/{code}/resubmit"}  # the application form

PARSERS = {
    StaffAction.DISTRICT_REVIEW: _district_review,
    StaffAction.EXPERT_REVIEW: _expert_review,
    StaffAction.MEETING_DECISION: _meeting_decision,
    StaffAction.FILE_OBJECTION: _file_objection,
    StaffAction.RESOLVE_OBJECTION: _resolve_objection,
    StaffAction.RECORD_APPROVAL: _record_approval,
    StaffAction.WITHDRAW: _withdraw,
    StaffAction.SUBMIT_ANNUAL_REPORT: _submit_annual_report,
    StaffAction.REVIEW_ANNUAL_REPORT: _review_annual_report,
    StaffAction.SUBMIT_ASSESSMENT_MATERIALS: _submit_assessment_materials,
    StaffAction.RECORD_ASSESSMENT: _record_assessment,
    StaffAction.SUBMIT_RECTIFICATION_REPORT: _submit_rectification_report,
    StaffAction.RECHECK_RECTIFICATION: _recheck_rectification,
    StaffAction.EXTEND_RECTIFICATION: _extend_rectification,
    StaffAction.CHANGE_MEMBERSHIP: _change_membership,
    StaffAction.RENOUNCE: _withdraw,
    StaffAction.REVOKE: _revoke,
    StaffAction.EXTEND_TERM: _extend_term,
    StaffAction.RECORD_PLAQUE_HANDOVER: _record_plaque_handover,
    StaffAction.RETRY_INCIDENT: _retry_incident,
}
