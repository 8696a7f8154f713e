"""Numbers the regulation leaves open, as named rules with stated defaults.

A workflow copies these at its start, so a running procedure keeps the rules it began
with; operators change the defaults through settings (`ALLIANCE_RULES__…`).
"""

from pydantic import BaseModel, Field

# Article 9.4 fixes the public notice at five working days; it is not a setting.
PUBLIC_NOTICE_WORKING_DAYS = 5


class ProcedureRules(BaseModel):
    district_review_days: int = Field(10, ge=1, description="working days for district review")
    correction_days: int = Field(
        15, ge=1, description="working days to resubmit a returned application"
    )
    expert_review_days: int = Field(20, ge=1, description="working days for the expert review")
    director_meeting_days: int = Field(
        15, ge=1, description="working days for the director's office meeting"
    )
    objection_resolution_days: int = Field(
        5, ge=1, description="working days to resolve objections once the notice has ended"
    )
    approval_days: int = Field(
        5,
        ge=1,
        description="working days for staff to record the approval document (9.5) once the"
        " notice and its objections are done",
    )
    approval_numbered_by_system: bool = Field(
        False,
        description="the system numbers the approval document itself, from its counter, at"
        " 09:00 on the first working day after the notice, instead of staff recording it",
    )
    reminder_working_days_before: int = Field(
        2, ge=0, description="reminder to whoever must act, this many working days before the limit"
    )
    escalation_repeat_days: int = Field(
        7,
        ge=1,
        description="calendar days between repeated escalations while a stage stays overdue",
    )
    calendar_recheck_hours: int = Field(
        24,
        ge=1,
        description="how often a step blocked by a missing holiday year re-checks and re-alerts",
    )
    min_expert_panel: int = Field(3, ge=1, description="smallest expert panel accepted")
