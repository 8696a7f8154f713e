"""节假日安排年度检查: is a needed year of the State Council holiday schedule missing?

The article-9 steps count their limits in working days, and a limit set in November or
December often ends in January. From 1 November (Beijing date) next year's schedule is
therefore needed; this year's is needed every day. A year that is not loaded stops the
step that reaches it (`domain.working_days.CalendarYearMissing`), so the dashboard warns
and the administrators get one email per missing year (`workflows/calendar_watch.py`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from pydantic import BaseModel

from domain.notices import Notice, Purpose
from domain.shanghai_time import at_local, local_date

NEXT_YEAR_NEEDED_FROM = (11, 1)  # month, day: the State Council usually publishes by then
CHECK_HOUR = 9  # the daily check runs at 09:00 Beijing time, with the day's reminders


def holiday_years_missing(today: date, loaded_years: Collection[int]) -> list[int]:
    """The years whose schedule is needed on `today` and not loaded, earliest first.

    This year always; next year from 1 November. After New Year the year that was "next"
    is this year, so a schedule still missing in January stays listed.
    """
    needed = [today.year]
    if (today.month, today.day) >= NEXT_YEAR_NEEDED_FROM:
        needed.append(today.year + 1)
    return [year for year in needed if year not in loaded_years]


def next_check_at(now: datetime) -> datetime:
    """The next 09:00 Beijing time strictly after `now`."""
    today = local_date(now)
    check = at_local(today, CHECK_HOUR)
    return check if check > now else at_local(today + timedelta(days=1), CHECK_HOUR)


class HolidayYearCheck(BaseModel):
    """One daily check, on Temporal's clock (so simulated time gives simulated dates)."""

    today: date


def holiday_year_notice(
    year: int, today: date, administrators: list[str], console_url: str
) -> Notice:
    """The one email to the administrators about a missing year; its key names only the
    year, so the email activity sends it once whatever the number of checks."""
    return Notice(
        key=f"bureau:calendar:{Purpose.HOLIDAY_YEAR_MISSING.value}:{year}",
        alliance_code="",
        purpose=Purpose.HOLIDAY_YEAR_MISSING,
        to_emails=administrators,
        context={
            "year": year,
            "checked_on": today.isoformat(),
            "current_year": year == today.year,
            "calendar_url": f"{console_url.rstrip('/')}/calendar",
            "load_command": f"alliance-admin calendar load <{year}年节假日安排文件.yaml>",
        },
    )
