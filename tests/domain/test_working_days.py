"""Working-day arithmetic against the State Council schedules of 2025 and 2026."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.procedure import NoticeWindow, Stage
from domain.shanghai_time import SHANGHAI, at_local, end_of_day, local_date, start_of_day
from domain.working_days import CalendarYearMissing, WorkCalendar, notice_window, stage_clock
from registry.calendar_store import package_exceptions


def package_calendar(*years: int) -> WorkCalendar:
    """A calendar built in memory from the chinesecalendar data."""
    exceptions = {}
    for year in years:
        exceptions |= {day: working for day, (working, _) in package_exceptions(year).items()}
    return WorkCalendar(loaded_years=set(years), exceptions=exceptions)


CAL = package_calendar(2025, 2026)
D = date.fromisoformat


@pytest.mark.parametrize(
    ("earliest_start", "start", "end"),
    [
        # National Day Oct 1–7 falls inside; the make-up Saturday Oct 10 comes after the end.
        ("2026-09-28", "2026-09-28", "2026-10-09"),
        # A make-up Saturday (调休) is a working day and counts as the first day.
        ("2026-10-10", "2026-10-10", "2026-10-15"),
        ("2026-09-20", "2026-09-20", "2026-09-24"),  # make-up Sunday before National Day
        # A window asked to start on a holiday starts on the next working day.
        ("2026-10-01", "2026-10-08", "2026-10-13"),
        ("2026-09-25", "2026-09-28", "2026-10-09"),  # Mid-autumn Friday, then the weekend
        # Spring Festival 2026: Feb 15–23 off, make-up Saturdays Feb 14 and Feb 28.
        ("2026-02-13", "2026-02-13", "2026-02-26"),
        ("2026-02-16", "2026-02-24", "2026-02-28"),
        ("2026-05-01", "2026-05-06", "2026-05-11"),  # Labour Day May 1–5, make-up Sat May 9
        ("2026-12-21", "2026-12-21", "2026-12-25"),  # an ordinary week
        ("2025-09-29", "2025-09-29", "2025-10-11"),  # 2025: Oct 1–8 off, make-up Sat Oct 11
        ("2025-12-31", "2025-12-31", "2026-01-07"),  # across New Year, make-up Sun Jan 4 2026
    ],
)
def test_public_notice_lasts_five_working_days(earliest_start, start, end):
    assert notice_window(CAL, D(earliest_start)) == NoticeWindow(start=D(start), end=D(end))


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-04-30", 0, "2026-04-30"),
        ("2026-05-02", 0, "2026-05-02"),  # n = 0 is the start itself, working day or not
        ("2026-04-30", 1, "2026-05-06"),  # Labour Day May 1–5 skipped
        ("2026-04-30", 4, "2026-05-09"),  # the make-up Saturday counts
        ("2026-02-13", 2, "2026-02-24"),  # Spring Festival: Sat Feb 14, then Tue Feb 24
        ("2026-02-13", 5, "2026-02-27"),
        ("2026-02-13", 6, "2026-02-28"),  # make-up Saturday after Spring Festival
        ("2025-12-31", 1, "2026-01-04"),  # New Year Jan 1–3, make-up Sunday Jan 4
        ("2026-09-28", 10, "2026-10-16"),
    ],
)
def test_add_working_days_skips_holidays_and_counts_make_up_days(start, n, expected):
    assert CAL.add_working_days(D(start), n) == D(expected)


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        ("2026-10-09", 0, "2026-10-09"),
        ("2026-10-08", 1, "2026-09-30"),
        ("2026-10-12", 1, "2026-10-10"),  # back onto the make-up Saturday
        ("2026-02-24", 2, "2026-02-13"),
    ],
)
def test_working_days_before_counts_back_over_holidays(day, n, expected):
    assert CAL.working_days_before(D(day), n) == D(expected)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2026-10-01", "2026-10-07", 0),
        ("2026-09-28", "2026-10-10", 6),
        ("2026-02-14", "2026-02-28", 6),
        ("2026-10-09", "2026-10-08", 0),
    ],
)
def test_count_working_days_includes_both_ends(a, b, expected):
    assert CAL.count_working_days(D(a), D(b)) == expected


def test_every_2026_day_matches_the_package():
    import chinese_calendar

    day = date(2026, 1, 1)
    while day.year == 2026:
        assert CAL.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("entered_at", "days", "before", "reminder_at", "deadline_day"),
    [
        # Five working days from Mon Sep 28: Sep 29, 30, Oct 8, 9 and the make-up Sat Oct 10.
        (at_local(D("2026-09-28"), 10), 5, 2, at_local(D("2026-10-08"), 9), "2026-10-10"),
        # Entered at 04:00 Shanghai (20:00 UTC the day before): the Shanghai day counts.
        (datetime(2026, 9, 27, 20, tzinfo=UTC), 5, 2, at_local(D("2026-10-08"), 9), "2026-10-10"),
        # Spring Festival: Feb 14, 24–28 (Sat 28 make-up), Mar 2–5.
        (at_local(D("2026-02-13"), 16), 10, 2, at_local(D("2026-03-03"), 9), "2026-03-05"),
        (at_local(D("2026-09-28"), 10), 5, 0, at_local(D("2026-10-10"), 9), "2026-10-10"),
    ],
)
def test_stage_clock_sets_reminder_and_deadline_in_shanghai(
    entered_at, days, before, reminder_at, deadline_day
):
    clock = stage_clock(CAL, Stage.DISTRICT_REVIEW, entered_at, days, before)
    assert clock.stage == Stage.DISTRICT_REVIEW
    assert clock.entered_at == entered_at
    assert clock.reminder_at == reminder_at
    assert clock.deadline == datetime.fromisoformat(f"{deadline_day}T23:59:59+08:00")
    assert clock.deadline.tzinfo == SHANGHAI


@pytest.mark.parametrize(
    ("entered_at", "days", "before"),
    [
        (at_local(D("2026-09-30"), 15), 1, 1),  # 09:00 Sep 30 is already past
        (at_local(D("2026-09-30"), 15), 1, 3),  # would count back before the stage began
        (at_local(D("2026-10-03"), 11), 2, 2),  # entered on a holiday
    ],
)
def test_stage_clock_never_reminds_before_the_stage_began(entered_at, days, before):
    clock = stage_clock(CAL, Stage.EXPERT_REVIEW, entered_at, days, before)
    assert clock.reminder_at == entered_at
    assert clock.reminder_at <= clock.deadline


def test_stage_clock_entered_early_reminds_at_nine_the_same_day():
    entered_at = at_local(D("2026-09-30"), 7, 30)
    clock = stage_clock(CAL, Stage.DIRECTOR_MEETING, entered_at, 1, 1)
    assert clock.reminder_at == at_local(D("2026-09-30"), 9)
    assert clock.deadline == end_of_day(D("2026-10-08"))


def test_stage_clock_entered_early_january_needs_no_previous_year():
    only_2026 = package_calendar(2026)
    clock = stage_clock(only_2026, Stage.CORRECTION, at_local(D("2026-01-05"), 10), 1, 5)
    assert clock.reminder_at == at_local(D("2026-01-05"), 10)
    assert clock.deadline == end_of_day(D("2026-01-06"))


@pytest.mark.parametrize(
    "call",
    [
        lambda cal: cal.is_workday(D("2027-01-04")),
        lambda cal: notice_window(cal, D("2026-12-29")),  # Dec 29, 30, 31, then 2027
        lambda cal: cal.add_working_days(D("2026-12-31"), 1),
        lambda cal: stage_clock(cal, Stage.EXPERT_REVIEW, at_local(D("2026-12-20"), 9), 20, 2),
    ],
)
def test_a_year_not_loaded_raises_calendar_year_missing(call):
    with pytest.raises(CalendarYearMissing) as missing:
        call(CAL)
    assert missing.value.year == 2027
    assert "2027" in str(missing.value)


def test_shanghai_helpers_are_utc_plus_eight():
    assert start_of_day(D("2026-10-01")) == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert end_of_day(D("2026-12-31")) == datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)
    assert local_date(datetime(2026, 12, 31, 16, tzinfo=UTC)) == D("2027-01-01")
    with pytest.raises(ValueError):
        local_date(datetime(2026, 1, 1))


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 20)))
def test_notice_window_always_spans_exactly_five_working_days(earliest_start):
    window = notice_window(CAL, earliest_start)
    assert earliest_start <= window.start
    assert CAL.is_workday(window.start)
    assert CAL.is_workday(window.end)
    assert CAL.count_working_days(window.start, window.end) == 5
    # No working day is skipped between the earliest start and the first day.
    assert CAL.count_working_days(earliest_start, window.start) == 1
