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

from domain.application import Contact, Member
from domain.input_rules import ACTION_FIELD_ZH
from domain.labels import enum_words
from domain.procedure import PanelMember
from domain.report_statistics import FIGURES
from domain.term import ResourceStatistics


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
    if isinstance(value, Enum):
        return enum_words(value)
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
        described = [(m.name, enum_words(m.kind), enum_words(m.role)) for m in value]
        zh = "；".join(f"{name}（{kind[0]}，{role[0]}）" for name, kind, role in described)
        en = "; ".join(f"{name} ({kind[1]}, {role[1]})" for name, kind, role in described)
        return zh, en
    if isinstance(value, list) and value and isinstance(value[0], Contact):
        text = "；".join(f"{c.name} <{c.email}> {c.phone}".strip() for c in value)
        return text, text
    if isinstance(value, date):
        return value.isoformat(), value.isoformat()
    return str(value), str(value)
