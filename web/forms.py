"""Staff forms to workflow actions: one parser per form, the actor from the signed-in user.

A malformed form (a score that is not a number, a missing date) is refused here with a
message; everything else is judged by the workflow's validators.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import TypeVar

from pydantic import ValidationError

from domain.districts import District
from domain.effects import IncidentRetry
from domain.input_rules import bilingual
from domain.procedure import (
    Actor,
    ApprovalDocument,
    DistrictReview,
    ExpertReview,
    MeetingDecision,
    ObjectionResolution,
    PanelMember,
    ReviewOutcome,
    Role,
)
from domain.report_statistics import FIGURES
from domain.term import (
    AnnualReportReview,
    AnnualReportSubmission,
    AssessmentKind,
    AssessmentMaterials,
    AssessmentResult,
    Grade,
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
    """The form cannot become an action; the message tells the clerk what to change."""


def actor_of(user: StaffUser) -> Actor:
    return Actor(
        name=user.display_name,
        role=Role(user.role),
        district=District(user.district) if user.district else None,
    )


def on_behalf_of_alliance(user: StaffUser) -> Actor:
    """Staff enter the alliance's own submissions (reports, materials) for it."""
    return Actor(name=f"{user.display_name}（代联盟录入）", role=Role.APPLICANT)


def _date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise FormInvalid(
            f"{what}应为日期，如 2026-09-28 ({what}: a date like 2026-09-28)"
        ) from err


def _choice(value: str, kind: type[Choice], what: str) -> Choice:
    try:
        return kind(value)
    except ValueError as err:
        raise FormInvalid(f"请选择{what} (choose the {what})") from err


def _number(value: str, what: str, kind=float):
    try:
        return kind(value)
    except ValueError as err:
        raise FormInvalid(f"{what}应为数字 ({what} must be a number)") from err


def _figure(value: str, name: str) -> float | int:
    """One figure of the innovation resource statistics, named by its label when wrong."""
    figure = FIGURES[name]
    if not value.strip():
        raise FormInvalid(f"请填写{figure.title_zh} (fill in {figure.title_en})")
    return _number(value, figure.title_zh, float if figure.money else int)


def _panel(text: str) -> list[PanelMember]:
    panel = []
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        parts = [p.strip() for p in line.replace("：", ":").split(":")]
        if len(parts) not in (2, 3):
            raise FormInvalid(f"“{line}”格式应为 姓名:单位:分数 (name:affiliation:score)")
        score = _number(parts[-1], f"{parts[0]}的评分")
        panel.append(
            PanelMember(name=parts[0], affiliation=parts[1] if len(parts) == 3 else "", score=score)
        )
    return panel


def parse(name: str, form: dict[str, str], user: StaffUser):
    """(update name, action) for the form `name`."""
    request_id = form.get("request_id") or uuid.uuid4().hex
    try:
        return _PARSERS[name](form, request_id, actor_of(user), user)
    except KeyError as missing:
        raise FormInvalid(f"表单缺少字段 {missing} (missing field)") from missing
    except ValidationError as invalid:
        zh, en = bilingual(invalid)
        raise FormInvalid(f"表单内容有误，未办理：{zh} (not done: {en})") from invalid
    except ValueError as invalid:  # a choice outside its list
        raise FormInvalid(f"表单选项无效：{invalid} (invalid choice)") from invalid


def _district_review(form, request_id, actor, user):
    return "district_review", DistrictReview(
        request_id=request_id,
        actor=actor,
        outcome=ReviewOutcome(form["outcome"]),
        reasons=form.get("reasons", ""),
    )


def _expert_review(form, request_id, actor, user):
    return "expert_review", ExpertReview(
        request_id=request_id,
        actor=actor,
        organisation=form["organisation"],
        panel=_panel(form["panel"]),
        necessity_opinion=form["necessity_opinion"],
        feasibility_opinion=form["feasibility_opinion"],
        passed=form["result"] == "pass",
    )


def _meeting_decision(form, request_id, actor, user):
    notice_start = form.get("notice_start", "")
    return "meeting_decision", MeetingDecision(
        request_id=request_id,
        actor=actor,
        meeting_number=form["meeting_number"],
        meeting_date=_date(form["meeting_date"], "会议日期"),
        approved=form["result"] == "approve",
        reasons=form.get("reasons", ""),
        notice_start=_date(notice_start, "公示开始日期") if notice_start else None,
    )


def _resolve_objection(form, request_id, actor, user):
    return "resolve_objection", ObjectionResolution(
        request_id=request_id,
        actor=actor,
        objection_no=_number(form["objection_no"], "异议编号", int),
        upheld=form["result"] == "uphold",
        reason=form["reason"],
    )


def _record_approval(form, request_id, actor, user):
    return "record_approval", ApprovalDocument(
        request_id=request_id,
        actor=actor,
        document_number=form["document_number"],
        document_date=_date(form["document_date"], "批复日期"),
    )


def _record_plaque_handover(form, request_id, actor, user):
    return "record_plaque_handover", PlaqueHandover(
        request_id=request_id,
        actor=actor,
        handed_over_on=_date(form["handed_over_on"], "交付日期"),
        received_by=form["received_by"],
    )


def _submit_annual_report(form, request_id, actor, user):
    statistics = {name: _figure(form.get(name, ""), name) for name in FIGURES}
    return "submit_annual_report", AnnualReportSubmission(
        request_id=request_id,
        actor=on_behalf_of_alliance(user),
        year=_number(form["year"], "年度", int),
        summary=form["summary"],
        next_year_plan=form["next_year_plan"],
        statistics=ResourceStatistics(**statistics),
    )


def _review_annual_report(form, request_id, actor, user):
    return "review_annual_report", AnnualReportReview(
        request_id=request_id,
        actor=actor,
        year=_number(form["year"], "年度", int),
        accepted=form["result"] == "accept",
        reasons=form.get("reasons", ""),
    )


def _submit_assessment_materials(form, request_id, actor, user):
    return "submit_assessment_materials", AssessmentMaterials(
        request_id=request_id,
        actor=on_behalf_of_alliance(user),
        kind=AssessmentKind(form["kind"]),
        summary=form["summary"],
    )


def _record_assessment(form, request_id, actor, user):
    return "record_assessment", AssessmentResult(
        request_id=request_id,
        actor=actor,
        kind=AssessmentKind(form["kind"]),
        grade=Grade(form["grade"]),
        opinion=form["opinion"],
    )


def _submit_rectification_report(form, request_id, actor, user):
    return "submit_rectification_report", RectificationReport(
        request_id=request_id, actor=on_behalf_of_alliance(user), report=form["report"]
    )


def _recheck_rectification(form, request_id, actor, user):
    return "recheck_rectification", RectificationRecheck(
        request_id=request_id, actor=actor, passed=form["result"] == "pass", reason=form["reason"]
    )


def _extend_rectification(form, request_id, actor, user):
    return "extend_rectification", RectificationExtension(
        request_id=request_id,
        actor=actor,
        days=_number(form["days"], "延长天数", int),
        reason=form["reason"],
    )


def _revoke(form, request_id, actor, user):
    return "revoke", Revocation(
        request_id=request_id,
        actor=actor,
        ground=_choice(form.get("ground", ""), RevocationGround, "取消理由"),
        legal_basis=form.get("legal_basis", ""),
        reason=form["reason"],
    )


def _extend_term(form, request_id, actor, user):
    return "extend_term", TermExtension(
        request_id=request_id,
        actor=actor,
        until=_date(form["until"], "延期至"),
        reason=form["reason"],
    )


def _retry_incident(form, request_id, actor, user):
    return "retry_incident", IncidentRetry(
        request_id=request_id,
        actor=actor,
        incident_no=_number(form["incident_no"], "故障编号", int),
    )


_PARSERS = {
    "district_review": _district_review,
    "expert_review": _expert_review,
    "meeting_decision": _meeting_decision,
    "resolve_objection": _resolve_objection,
    "record_approval": _record_approval,
    "submit_annual_report": _submit_annual_report,
    "review_annual_report": _review_annual_report,
    "submit_assessment_materials": _submit_assessment_materials,
    "record_assessment": _record_assessment,
    "submit_rectification_report": _submit_rectification_report,
    "recheck_rectification": _recheck_rectification,
    "extend_rectification": _extend_rectification,
    "revoke": _revoke,
    "extend_term": _extend_term,
    "record_plaque_handover": _record_plaque_handover,
    "retry_incident": _retry_incident,
}
