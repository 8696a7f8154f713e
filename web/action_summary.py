"""What a staff action will record, in words, for the confirmation step before it is sent.

Every field of the action's model is shown with its label and its value in words (an
outcome as 推荐, a grade as 良好, never `recommend` or `good`); the request id and the
actor are left out (the page says who is signed in).
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import NamedTuple

from pydantic import BaseModel

from domain.application import MEMBER_KIND_ZH, Contact, Member, MemberRole
from domain.input_rules import ACTION_FIELD_ZH
from domain.procedure import PanelMember, ReviewOutcome
from domain.report_statistics import FIGURES
from domain.term import (
    ASSESSMENT_ZH,
    GRADE_ZH,
    REVOCATION_GROUND_EN,
    REVOCATION_GROUND_ZH,
    AssessmentKind,
    Grade,
    ResourceStatistics,
    RevocationGround,
)


class Line(NamedTuple):
    label_zh: str
    label_en: str
    value_zh: str
    value_en: str


FIELD_EN = {
    "outcome": "Outcome",
    "reasons": "Reasons",
    "reason": "Reason",
    "note": "Note",
    "organisation": "Organisation",
    "panel": "Expert panel",
    "necessity_opinion": "Opinion on necessity",
    "feasibility_opinion": "Opinion on feasibility",
    "passed": "Result",
    "meeting_number": "Meeting number",
    "meeting_date": "Meeting date",
    "approved": "Decision",
    "notice_start": "Notice starts",
    "name": "Name",
    "contact": "Contact",
    "text": "Objection",
    "objection_no": "Objection number",
    "upheld": "Decision",
    "document_number": "Document number",
    "document_date": "Document date",
    "year": "Year",
    "summary": "Summary",
    "next_year_plan": "Next year's plan",
    "statistics": "Innovation resource statistics",
    "accepted": "Decision",
    "kind": "Assessment",
    "grade": "Grade",
    "opinion": "Experts' opinion",
    "report": "Rectification report",
    "days": "Days added",
    "ground": "Ground",
    "legal_basis": "Legal basis",
    "until": "Extended until",
    "handed_over_on": "Handed over on",
    "received_by": "Received by",
    "incident_no": "Incident number",
}
FIELD_ZH = {
    **ACTION_FIELD_ZH,
    "outcome": "审查意见",
    "organisation": "单位",
    "passed": "结果",
    "approved": "审议结果",
    "upheld": "处理结果",
    "document_number": "批复文件文号",
    "document_date": "批复日期",
    "accepted": "审核结果",
    "kind": "考核类别",
    "grade": "等次",
    "ground": "取消理由",
    "legal_basis": "依据",
    "handed_over_on": "交付日期",
    "received_by": "接收人",
    "incident_no": "故障编号",
}
YES_NO = {  # a decision's two answers, by field
    "passed": (("通过", "Passed"), ("不通过", "Not passed")),
    "approved": (("通过，进入公示", "Approved: public notice"), ("不通过", "Rejected")),
    "accepted": (("审核通过", "Accepted"), ("退回修改", "Returned for revision")),
    "upheld": (("异议成立（不予认定）", "Upheld (not recognised)"), ("异议不成立", "Dismissed")),
}
OUTCOME_WORDS = {
    ReviewOutcome.RECOMMEND: ("推荐", "Recommend"),
    ReviewOutcome.RETURN: ("退回补正", "Return for correction"),
    ReviewOutcome.REJECT: ("不予推荐", "Reject"),
}
ASSESSMENT_EN = {AssessmentKind.MIDTERM: "Mid-term", AssessmentKind.FINAL: "Final"}
GRADE_EN = {
    Grade.EXCELLENT: "Excellent",
    Grade.GOOD: "Good",
    Grade.PASS: "Pass",
    Grade.POOR: "Poor",
}
ROLE_WORDS = {
    MemberRole.LEAD: ("发起单位", "initiating unit"),
    MemberRole.BACKBONE: ("骨干成员", "core member"),
    MemberRole.MEMBER: ("一般成员", "member"),
}
SKIPPED = {"request_id", "actor"}


def summary(action: BaseModel) -> list[Line]:
    """One line per field that will be recorded, in words."""
    lines = []
    for name in type(action).model_fields:
        if name in SKIPPED:
            continue
        value = getattr(action, name)
        if value in (None, ""):
            continue
        zh, en = _words(name, value)
        lines.append(Line(FIELD_ZH.get(name, name), FIELD_EN.get(name, name), zh, en))
    return lines


def _words(name: str, value: object) -> tuple[str, str]:
    if isinstance(value, bool) and name in YES_NO:
        return YES_NO[name][0] if value else YES_NO[name][1]
    if isinstance(value, ReviewOutcome):
        return OUTCOME_WORDS[value]
    if isinstance(value, AssessmentKind):
        return ASSESSMENT_ZH[value], ASSESSMENT_EN[value]
    if isinstance(value, Grade):
        return GRADE_ZH[value], GRADE_EN[value]
    if isinstance(value, RevocationGround):
        return REVOCATION_GROUND_ZH[value], REVOCATION_GROUND_EN[value]
    if isinstance(value, ResourceStatistics):
        figures = [
            (FIGURES[key], figure) for key, figure in value.model_dump().items() if key in FIGURES
        ]
        zh = "；".join(f"{f.title_zh} {v}" for f, v in figures if v is not None)
        en = "; ".join(f"{f.title_en} {v}" for f, v in figures if v is not None)
        return zh, en
    if isinstance(value, list) and value and isinstance(value[0], PanelMember):
        text = "；".join(f"{p.name}（{p.affiliation}）{p.score:g}" for p in value)
        return text, text
    if isinstance(value, list) and value and isinstance(value[0], Member):
        zh = "；".join(
            f"{m.name}（{MEMBER_KIND_ZH[m.kind]}，{ROLE_WORDS[m.role][0]}）" for m in value
        )
        en = "; ".join(f"{m.name} ({m.kind.value}, {ROLE_WORDS[m.role][1]})" for m in value)
        return zh, en
    if isinstance(value, list) and value and isinstance(value[0], Contact):
        text = "；".join(f"{c.name} <{c.email}> {c.phone}".strip() for c in value)
        return text, text
    if isinstance(value, date):
        return value.isoformat(), value.isoformat()
    if isinstance(value, Enum):
        return str(value.value), str(value.value)
    return str(value), str(value)


def _role(member: Member) -> tuple[str, str]:
    return ROLE_WORDS[member.role]
