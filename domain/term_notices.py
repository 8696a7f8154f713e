"""What each dated step of the term tells whom (articles 11 and 12), as data.

The term workflow wakes at a milestone and asks `milestone_notice` what to send and what
to put on record; opening an assessment and the end of the term change the state and
are left to the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.notices import Purpose
from domain.shanghai_time import local_date
from domain.term import ASSESSMENT_ZH, Milestone, MilestoneKind


@dataclass(frozen=True)
class MilestoneNotice:
    purpose: Purpose
    to_alliance: bool
    to_staff: bool
    context: dict[str, Any] = field(default_factory=dict)
    record: str = ""  # an audit entry written with it, if any
    detail: dict[str, Any] = field(default_factory=dict)  # the audit entry's detail


def milestone_notice(step: Milestone, today: date) -> MilestoneNotice | None:
    """The notice a milestone sends; None for the steps that change the state."""
    due = step.due.isoformat() if step.due else None
    kind = step.kind
    if kind in _REPORT:
        purpose, to_staff, record = _REPORT[kind]
        context = {"year": step.year, "due": due}
        if kind == MilestoneKind.REPORT_REMINDER:
            context["days_left"] = step.days_left
        detail = {"year": step.year} if record else {}
        return MilestoneNotice(purpose, not to_staff, to_staff, context, record, detail)
    if kind == MilestoneKind.REPORT_RESUBMISSION_OVERDUE:
        context = {"year": step.year, "resubmit_by": due}
        return MilestoneNotice(Purpose.REPORT_RESUBMISSION_OVERDUE, True, True, context)
    if step.assessment is not None and kind in _ASSESSMENT:
        purpose, to_alliance, to_staff, record = _ASSESSMENT[kind]
        context = {
            "assessment": step.assessment.value,
            "assessment_name": ASSESSMENT_ZH[step.assessment],
            "materials_due": due,
            "days_left": step.days_left,
        }
        return MilestoneNotice(purpose, to_alliance, to_staff, context, record)
    if kind == MilestoneKind.RECTIFICATION_REMINDER:
        context = {"rectification_due": due, "days_left": step.days_left}
        return MilestoneNotice(Purpose.RECTIFICATION_REMINDER, True, False, context)
    if kind == MilestoneKind.RECTIFICATION_OVERDUE:
        context = {"rectification_due": due}
        return MilestoneNotice(
            Purpose.RECTIFICATION_OVERDUE, True, True, context, "rectification.overdue"
        )
    if kind == MilestoneKind.TERM_ENDING and step.due is not None:
        context = {"days_left": (local_date(step.due) - today).days}
        return MilestoneNotice(
            Purpose.TERM_ENDING, False, True, context, "term.ending_without_final_result"
        )
    return None


# kind: (purpose, to staff instead of the alliance, audit entry)
_REPORT = {
    MilestoneKind.REPORT_REMINDER: (Purpose.REPORT_REMINDER, False, ""),
    MilestoneKind.REPORT_OVERDUE: (Purpose.REPORT_OVERDUE, False, ""),
    MilestoneKind.REPORT_ESCALATION: (Purpose.REPORT_ESCALATION, True, "report.escalated"),
    MilestoneKind.REPORT_FINAL_REMINDER: (Purpose.REPORT_FINAL_REMINDER, False, ""),
}
# kind: (purpose, to the alliance, to staff, audit entry)
_ASSESSMENT = {
    MilestoneKind.ASSESSMENT_REMINDER: (Purpose.ASSESSMENT_REMINDER, True, False, ""),
    MilestoneKind.ASSESSMENT_OVERDUE: (Purpose.ASSESSMENT_OVERDUE, True, True, ""),
    MilestoneKind.ASSESSMENT_RESULT_OVERDUE: (
        Purpose.ASSESSMENT_RESULT_OVERDUE,
        False,
        True,
        "assessment.result_overdue",
    ),
}
