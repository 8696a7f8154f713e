"""Numbers articles 11 and 12 leave open, as named rules with stated defaults.

Counted in calendar days: the regulation's own deadlines (12月底前, 第3年, 第5年) are
calendar dates, so the term needs no holiday calendar. Reminders go out at 09:00
Beijing time; a deadline is 23:59:59 Beijing time of its last day.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, field_validator


class TermRules(BaseModel):
    report_reminder_days_before: list[int] = Field(
        [30, 14, 7, 1], description="reminders before the December-31 report deadline"
    )
    report_grace_days: int = Field(
        30, ge=1, description="days after the deadline before a missing report goes to staff"
    )
    report_final_reminder_days: int = Field(
        7, ge=1, description="one more reminder to the alliance this many days after escalation"
    )
    report_resubmission_days: int = Field(
        15, ge=1, description="days to resubmit a report sent back by staff"
    )
    late_recognition_month_day: str = Field(
        "10-01",
        pattern=r"^\d{2}-\d{2}$",
        description="a first term recognised on or after this MM-DD owes no report that year",
    )
    midterm_opens_months: int = Field(
        30, ge=24, le=35, description="months after recognition the year-3 assessment opens"
    )
    final_opens_months: int = Field(
        54, ge=48, le=59, description="months after recognition the year-5 assessment opens"
    )
    assessment_materials_days: int = Field(
        30, ge=1, description="days the alliance has to hand in assessment materials"
    )
    assessment_reminder_days_before: list[int] = Field(
        [7, 1], description="reminders before the assessment materials are due"
    )
    assessment_result_days: int = Field(
        30, ge=1, description="days after the materials deadline for staff to record a result"
    )
    rectification_days: int = Field(90, ge=1, description="限期整改: days to rectify")
    rectification_reminder_days_before: list[int] = Field(
        [14, 3], description="reminders before the rectification deadline"
    )
    rectification_extensions_max: int = Field(
        1, ge=0, le=5, description="times staff may extend a rectification deadline"
    )
    rectification_extension_max_days: int = Field(
        90, ge=1, le=365, description="the longest one rectification extension may be (days)"
    )
    term_extensions_max: int = Field(
        1, ge=0, le=5, description="times staff may extend the validity past the term's end"
    )
    term_extension_max_months: int = Field(
        6, ge=1, le=24, description="how far past the term's end the validity may be extended"
    )
    final_escalation_days_before_end: int = Field(
        30, ge=1, description="days before the term ends that staff hear of a missing final result"
    )

    @field_validator("late_recognition_month_day")
    @classmethod
    def _a_real_day(cls, value: str) -> str:
        month, day = (int(x) for x in value.split("-"))
        try:
            date(2001, month, day)  # a common year: 02-29 would not exist every year
        except ValueError as err:
            raise ValueError(f"{value} is not a day that exists every year (MM-DD)") from err
        return value
