"""When the dashboard and the administrators are warned that a holiday year is missing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.holiday_years import holiday_years_missing, next_check_at
from domain.shanghai_time import at_local

D = date.fromisoformat


@pytest.mark.parametrize(
    ("today", "loaded", "missing"),
    [
        ("2026-10-31", {2026}, []),  # the last day before next year is needed
        ("2026-11-01", {2026}, [2027]),  # from 1 November next year is needed
        ("2026-11-01", {2026, 2027}, []),  # loaded: no warning
        ("2026-12-31", {2026}, [2027]),
        ("2027-01-01", {2026}, [2027]),  # New Year: the missing year is now this year
        ("2027-01-01", {2026, 2027}, []),  # loaded in time: nothing until next November
        ("2027-10-31", {2027}, []),
        ("2027-11-01", {2027}, [2028]),
        ("2027-03-15", set(), [2027]),  # this year is needed every day
        ("2027-11-01", set(), [2027, 2028]),
        ("2027-11-01", {2028}, [2027]),
    ],
)
def test_holiday_years_missing_by_date_and_loaded_years(today, loaded, missing):
    assert holiday_years_missing(D(today), loaded) == missing


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.sets(st.integers(min_value=1999, max_value=2101), max_size=5),
)
def test_only_this_year_and_from_november_next_year_are_asked_for(today, loaded):
    missing = holiday_years_missing(today, loaded)
    assert not set(missing) & loaded
    assert (today.year in missing) == (today.year not in loaded)
    november = today >= date(today.year, 11, 1)
    assert (today.year + 1 in missing) == (november and today.year + 1 not in loaded)
    assert set(missing) <= {today.year, today.year + 1}


@pytest.mark.parametrize(
    ("now", "check"),
    [
        (at_local(D("2026-10-31"), 8, 59), at_local(D("2026-10-31"), 9)),
        (at_local(D("2026-10-31"), 9), at_local(D("2026-11-01"), 9)),  # strictly after
        (at_local(D("2026-12-31"), 23, 30), at_local(D("2027-01-01"), 9)),
        # 23:30 UTC on 31 October is 07:30 on 1 November in Beijing: that day's check.
        (datetime(2026, 10, 31, 23, 30, tzinfo=UTC), at_local(D("2026-11-01"), 9)),
    ],
)
def test_the_daily_check_runs_at_nine_beijing_time(now, check):
    assert next_check_at(now) == check
