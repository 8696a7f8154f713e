"""节假日安排年度检查: one small workflow for the whole system, started by the worker.

At once when it starts and then every day at 09:00 Beijing time it asks whether a holiday
year the article-9 limits need is missing (`domain.holiday_years`: this year, and from
1 November next year) and emails the active administrators who have an address. The
email's key names only the year and the email activity never sends a key twice, so each
missing year is mailed once, however often the check runs or the worker restarts. It
continues as new after each check, so its history stays a few events long.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from activities.email import EmailActivities
    from domain.effects import EffectRules
    from domain.holiday_years import HolidayYearCheck, next_check_at
    from domain.shanghai_time import local_date

CALENDAR_WATCH_ID = "calendar-watch"


class CalendarWatchInput(BaseModel):
    effects: EffectRules = EffectRules()  # how the check and the email are retried


@workflow.defn
class CalendarWatchWorkflow:
    @workflow.run
    async def run(self, watch: CalendarWatchInput) -> None:
        rules = watch.effects
        # A registry or SMTP fault is retried until it passes; a refused email is tried
        # again at the next day's check, since its key was not recorded as sent.
        retry = RetryPolicy(maximum_interval=timedelta(seconds=rules.retry_max_seconds))
        notices = await workflow.execute_activity_method(
            CalendarActivities.holiday_year_warnings,
            HolidayYearCheck(today=local_date(workflow.now())),
            start_to_close_timeout=timedelta(seconds=rules.registry_timeout_seconds),
            retry_policy=retry,
        )
        for notice in notices:
            await workflow.execute_activity_method(
                EmailActivities.send_notice,
                notice,
                start_to_close_timeout=timedelta(seconds=rules.email_timeout_seconds),
                heartbeat_timeout=timedelta(seconds=rules.heartbeat_seconds),
                retry_policy=retry,
            )
        await workflow.sleep(next_check_at(workflow.now()) - workflow.now())
        workflow.continue_as_new(watch)
