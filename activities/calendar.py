"""Calendar look-ups: working-day limits computed against the holiday schedule in the registry,
and the daily check for holiday years that must be loaded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from sqlmodel import col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.holiday_years import HolidayYearCheck, holiday_year_notice, holiday_years_missing
from domain.notices import Notice
from domain.procedure import ApprovalPlan, NoticeWindow, Role, StageClock
from domain.settings import Settings
from domain.working_days import (
    ApprovalPlanRequest,
    CalendarYearMissing,
    PublicNoticeRequest,
    StageClockRequest,
    WorkCalendar,
    approval_plan,
    notice_window,
    stage_clock,
)
from registry.calendar_store import load_calendar, loaded_years
from registry.database import session_scope
from registry.tables import StaffUser

T = TypeVar("T")


class CalendarActivities:
    def __init__(self, settings: Settings) -> None:
        self._url = settings.registry_url()
        self._console_url = settings.public_base_url

    @activity.defn
    async def plan_stage_clock(self, request: StageClockRequest) -> StageClock:
        """Reminder and deadline of a stage limited to some working days."""
        return await asyncio.to_thread(
            self._with_calendar,
            request.entered_at.year,
            lambda cal: stage_clock(
                cal,
                request.stage,
                request.entered_at,
                request.working_days,
                request.reminder_working_days_before,
            ),
        )

    @activity.defn
    async def plan_public_notice(self, request: PublicNoticeRequest) -> NoticeWindow:
        """公示 window: explicit first and last day."""
        return await asyncio.to_thread(
            self._with_calendar,
            request.earliest_start.year,
            lambda cal: notice_window(cal, request.earliest_start),
        )

    @activity.defn
    async def plan_approval(self, request: ApprovalPlanRequest) -> ApprovalPlan:
        """批复: the first working day after the notice, and the calendar to check dates by."""
        return await asyncio.to_thread(
            self._with_calendar,
            request.notice_end.year,
            lambda cal: approval_plan(cal, request.notice_end, request.entered_on),
        )

    @activity.defn
    async def holiday_year_warnings(self, check: HolidayYearCheck) -> list[Notice]:
        """The emails a missing holiday year calls for today: one per year, to the active
        administrators with an address. None while no administrator has one: the dashboard
        still shows the warning, and the email goes once an address is recorded."""
        return await asyncio.to_thread(self._holiday_year_warnings, check.today)

    def _holiday_year_warnings(self, today: date) -> list[Notice]:
        missing = holiday_years_missing(today, loaded_years(self._url))
        if not missing:
            return []
        with session_scope(self._url) as session:
            addresses = session.exec(
                select(StaffUser.email)
                .where(StaffUser.role == Role.ADMINISTRATOR.value, col(StaffUser.active))
                .order_by(col(StaffUser.id))
            )
            administrators = [
                address.strip() for address in addresses if address and address.strip()
            ]
        if not administrators:
            activity.logger.warning(
                "holiday years %s not loaded; no administrator has an email address", missing
            )
            return []
        return [
            holiday_year_notice(year, today, administrators, self._console_url) for year in missing
        ]

    def _with_calendar(self, first_year: int, compute: Callable[[WorkCalendar], T]) -> T:
        """Run `compute` on the calendar, loading further years only when it reaches them."""
        # Limits often cross New Year, so the following year is read up front.
        years = {first_year, first_year + 1}
        while True:
            calendar = load_calendar(self._url, years)
            try:
                return compute(calendar)
            except CalendarYearMissing as missing:
                if missing.year in years:
                    raise _year_not_loaded(missing.year) from None
                years.add(missing.year)


def _year_not_loaded(year: int) -> ApplicationError:
    # Retrying cannot help until an operator loads the year, so the workflow is told at once.
    return ApplicationError(
        f"{year}年国务院节假日安排尚未导入，无法计算工作日；请运维人员导入后重试 "
        f"(the State Council holiday schedule for {year} is not loaded, so working days "
        f"cannot be counted; an operator must load it, then retry)",
        {"year": year},
        type="CalendarYearMissing",
        non_retryable=True,
    )
