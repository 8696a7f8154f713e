"""Calendar activities: working-day plans read from the registry, a missing year stops them."""

from __future__ import annotations

from datetime import date

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.calendar import CalendarActivities
from domain.procedure import NoticeWindow, Stage
from domain.settings import PROJECT_ROOT, Settings
from domain.shanghai_time import at_local, end_of_day
from domain.working_days import PublicNoticeRequest, StageClockRequest
from registry.calendar_store import load_year_file, seed_from_package

EXAMPLE_2027 = PROJECT_ROOT / "samples" / "holidays-2027-example.yaml"


@pytest.fixture
def calendar_activities(sqlite_url, tmp_path):
    seed_from_package(sqlite_url, [2026])
    return CalendarActivities(Settings(database_url=sqlite_url, data_dir=tmp_path))


async def test_public_notice_from_monday_before_national_day_ends_friday_after(
    calendar_activities,
):
    window = await ActivityEnvironment().run(
        calendar_activities.plan_public_notice,
        PublicNoticeRequest(earliest_start=date(2026, 9, 28)),
    )
    assert window == NoticeWindow(start=date(2026, 9, 28), end=date(2026, 10, 9))


async def test_stage_clock_counts_the_make_up_saturday(calendar_activities):
    entered_at = at_local(date(2026, 9, 28), 10)
    clock = await ActivityEnvironment().run(
        calendar_activities.plan_stage_clock,
        StageClockRequest(
            stage=Stage.DISTRICT_REVIEW,
            entered_at=entered_at,
            working_days=5,
            reminder_working_days_before=2,
        ),
    )
    assert clock.reminder_at == at_local(date(2026, 10, 8), 9)
    assert clock.deadline == end_of_day(date(2026, 10, 10))


async def test_missing_2027_stops_the_plan_until_an_operator_loads_it(
    calendar_activities, sqlite_url
):
    request = PublicNoticeRequest(earliest_start=date(2026, 12, 29))
    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(calendar_activities.plan_public_notice, request)
    assert refused.value.type == "CalendarYearMissing"
    assert refused.value.non_retryable
    assert refused.value.details == ({"year": 2027},)
    assert "2027年" in refused.value.message
    assert "2027 is not loaded" in refused.value.message

    load_year_file(sqlite_url, EXAMPLE_2027)

    window = await ActivityEnvironment().run(calendar_activities.plan_public_notice, request)
    assert window == NoticeWindow(start=date(2026, 12, 29), end=date(2027, 1, 5))


async def test_a_limit_reaching_two_years_ahead_loads_that_year_too(
    calendar_activities, sqlite_url
):
    load_year_file(sqlite_url, EXAMPLE_2027)
    seed_from_package(sqlite_url, [2025])
    clock = await ActivityEnvironment().run(
        calendar_activities.plan_stage_clock,
        StageClockRequest(
            stage=Stage.EXPERT_REVIEW,
            entered_at=at_local(date(2025, 12, 1), 9),
            working_days=300,
            reminder_working_days_before=2,
        ),
    )
    assert clock.deadline.year == 2027
