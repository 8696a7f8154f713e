"""Working days (工作日) under the State Council holiday schedule, and the limits counted in them.

Pure: the calendar is data handed in by an activity, so the workflow never guesses a
holiday. A day of a year that is not loaded raises `CalendarYearMissing`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel

from domain.procedure import ApprovalPlan, NoticeWindow, Stage, StageClock
from domain.rules import PUBLIC_NOTICE_WORKING_DAYS
from domain.shanghai_time import at_local, end_of_day, local_date

REMINDER_HOUR = 9  # reminders go out at the start of the office day


class CalendarYearMissing(Exception):
    """The holiday schedule of `year` is needed but has not been loaded."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"{year}年节假日安排尚未导入 (the holiday schedule for {year} is not loaded)"
        )
        self.year = year


class WorkCalendar(BaseModel):
    """The loaded years and the days in them that break the Monday–Friday rule."""

    loaded_years: set[int]
    exceptions: dict[date, bool] = {}  # weekday holiday → False, make-up working day (调休) → True

    def is_workday(self, d: date) -> bool:
        if d.year not in self.loaded_years:
            raise CalendarYearMissing(d.year)
        return self.exceptions.get(d, d.weekday() < 5)

    def next_working_day(self, d: date, inclusive: bool = False) -> date:
        """The first working day after `d` (or on it, when `inclusive`)."""
        day = d if inclusive else d + timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after `start`; `start` itself for n = 0."""
        if n < 0:
            raise ValueError(f"negative number of working days: {n}")
        day = start
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def working_days_before(self, d: date, n: int) -> date:
        """The working day n working days before `d`; `d` itself for n = 0."""
        if n < 0:
            raise ValueError(f"negative number of working days: {n}")
        day = d
        for _ in range(n):
            day -= timedelta(days=1)
            while not self.is_workday(day):
                day -= timedelta(days=1)
        return day

    def count_working_days(self, a: date, b: date) -> int:
        """How many working days lie in [a, b], both ends included."""
        return sum(self.is_workday(a + timedelta(days=i)) for i in range((b - a).days + 1))


class StageClockRequest(BaseModel):
    stage: Stage
    entered_at: datetime
    working_days: int
    reminder_working_days_before: int


class PublicNoticeRequest(BaseModel):
    earliest_start: date


class ApprovalPlanRequest(BaseModel):
    notice_end: date
    entered_on: date  # the day the procedure reached the approval stage


def notice_window(
    cal: WorkCalendar, earliest_start: date, days: int = PUBLIC_NOTICE_WORKING_DAYS
) -> NoticeWindow:
    """公示 of `days` working days from the first working day on or after `earliest_start`."""
    if days < 1:
        raise ValueError(f"a public notice lasts at least one working day, not {days}")
    start = cal.next_working_day(earliest_start, inclusive=True)
    return NoticeWindow(start=start, end=cal.add_working_days(start, days - 1))


def stage_clock(
    cal: WorkCalendar,
    stage: Stage,
    entered_at: datetime,
    working_days: int,
    reminder_working_days_before: int,
) -> StageClock:
    """Deadline at the end of the n-th working day after entry; reminder at 09:00 before it."""
    entered_day = local_date(entered_at)
    deadline_day = cal.add_working_days(entered_day, working_days)
    # Counting back past the day the stage began would only be clamped to `entered_at`,
    # and could ask for the previous year's calendar, which need not be loaded.
    if reminder_working_days_before < cal.count_working_days(entered_day, deadline_day):
        reminder_day = cal.working_days_before(deadline_day, reminder_working_days_before)
        reminder_at = max(at_local(reminder_day, REMINDER_HOUR), entered_at)
    else:
        reminder_at = entered_at
    return StageClock(
        stage=stage,
        entered_at=entered_at,
        reminder_at=reminder_at,
        deadline=end_of_day(deadline_day),
    )


def approval_plan(cal: WorkCalendar, notice_end: date, entered_on: date) -> ApprovalPlan:
    """9.5: the approval document bears a working day after the notice. The calendar of
    the years read is kept with the plan, so a date staff give can be checked later."""
    first_day = cal.next_working_day(notice_end)
    return ApprovalPlan(
        first_day=first_day,
        # Objections resolved after that day: the system numbers on the next working day.
        numbering_day=cal.next_working_day(max(first_day, entered_on), inclusive=True),
        loaded_years=sorted(cal.loaded_years),
        exceptions=cal.exceptions,
    )


def approval_calendar(plan: ApprovalPlan) -> WorkCalendar:
    """The calendar an approval plan was made with."""
    return WorkCalendar(loaded_years=set(plan.loaded_years), exceptions=plan.exceptions)
