"""The holiday calendar in the registry, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from importlib.metadata import version

import chinese_calendar
import pytest
from sqlmodel import select

from domain.procedure import NoticeWindow
from domain.settings import PROJECT_ROOT
from domain.working_days import CalendarYearMissing, notice_window
from registry.calendar_store import (
    CalendarFileInvalid,
    load_calendar,
    load_year_file,
    loaded_years,
    package_years,
    seed_from_package,
)
from registry.database import session_scope
from registry.tables import CalendarException, CalendarYear

EXAMPLE_2027 = PROJECT_ROOT / "samples" / "holidays-2027-example.yaml"


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


def stored_rows(url: str) -> tuple[list[CalendarYear], list[CalendarException]]:
    """Every calendar row, ordered."""
    with session_scope(url) as session:
        return (
            list(session.exec(select(CalendarYear).order_by(CalendarYear.year)).all()),
            list(session.exec(select(CalendarException).order_by(CalendarException.day)).all()),
        )


def test_seeded_year_answers_like_the_package_for_every_day(registry_url):
    assert seed_from_package(registry_url, [2026]) == [2026]

    calendar = load_calendar(registry_url, [2026, 2027])
    assert calendar.loaded_years == {2026}
    for day in days_of(2026):
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
    years, rows = stored_rows(registry_url)
    assert [(y.year, y.source) for y in years] == [
        (2026, f"chinesecalendar {version('chinesecalendar')}")
    ]
    # Only the days that break the Monday–Friday rule are stored.
    assert {r.day: r.is_workday for r in rows}[date(2026, 10, 10)] is True
    assert date(2026, 10, 3) not in {r.day for r in rows}  # a Saturday holiday changes nothing
    assert all(r.day.weekday() >= 5 for r in rows if r.is_workday)
    assert all(r.day.weekday() < 5 for r in rows if not r.is_workday)
    assert next(r.note for r in rows if r.day == date(2026, 10, 1)) == "国庆节"


def test_seeding_again_replaces_the_year(registry_url):
    seed_from_package(registry_url, [2026])
    with session_scope(registry_url) as session:
        session.add(CalendarException(day=date(2026, 3, 2), is_workday=False, note="stray"))
    seed_from_package(registry_url, [2026])

    _, rows = stored_rows(registry_url)
    assert date(2026, 3, 2) not in {r.day for r in rows}
    assert len(rows) == len({r.day for r in rows})


def test_seeding_by_default_covers_every_package_year(registry_url):
    years = seed_from_package(registry_url)
    assert years == package_years() == loaded_years(registry_url)
    assert years[0] == 2004
    assert years[-1] == 2026


def test_seeding_a_year_the_package_lacks_is_refused(registry_url):
    with pytest.raises(ValueError, match="2027"):
        seed_from_package(registry_url, [2026, 2027])
    assert loaded_years(registry_url) == []


def test_example_2027_file_loads_and_extends_the_calendar(registry_url):
    seed_from_package(registry_url, [2026])
    assert load_year_file(registry_url, EXAMPLE_2027) == 2027

    assert loaded_years(registry_url) == [2026, 2027]
    calendar = load_calendar(registry_url, [2026, 2027])
    assert calendar.is_workday(date(2027, 2, 8)) is False  # Spring Festival weekday
    assert calendar.is_workday(date(2027, 2, 20)) is True  # make-up Saturday
    assert calendar.is_workday(date(2027, 2, 15)) is True  # an ordinary Monday
    # Dec 29, 30, 31, then New Year Jan 1 (Fri) and the weekend: Jan 4, 5.
    assert notice_window(calendar, date(2026, 12, 29)) == NoticeWindow(
        start=date(2026, 12, 29), end=date(2027, 1, 5)
    )
    years, rows = stored_rows(registry_url)
    assert "EXAMPLE" in {y.year: y.source for y in years}[2027]
    # Weekend holidays (Jan 2–3, Feb 6–7, ...) are listed in the file but change nothing.
    assert date(2027, 1, 2) not in {r.day for r in rows}


def test_load_calendar_leaves_years_not_loaded_missing(registry_url):
    seed_from_package(registry_url, [2025, 2026])
    calendar = load_calendar(registry_url, [2026])
    assert calendar.loaded_years == {2026}
    assert all(day.year == 2026 for day in calendar.exceptions)
    with pytest.raises(CalendarYearMissing):
        calendar.is_workday(date(2025, 10, 1))


def test_invalid_file_lists_every_problem_and_stores_nothing(registry_url, tmp_path):
    seed_from_package(registry_url, [2026])
    before = [r.model_dump() for r in stored_rows(registry_url)[1]]
    path = tmp_path / "holidays-2027.yaml"
    path.write_text(
        "year: 2027\n"
        "holidays:\n"
        "  - 2027-01-01\n"
        "  - 2026-12-31\n"  # the wrong year
        "  - 2027-02-30\n"  # no such day
        "  - 2027-10-07..2027-10-01\n"  # backwards range
        "  - 2027-05-03\n"
        "  - first of May\n"
        "workdays:\n"
        "  - 2027-05-03\n"  # also a holiday, and a Monday
        "  - 2027-09-26\n"
        "extra: 1\n",
        encoding="utf-8",
    )

    with pytest.raises(CalendarFileInvalid) as invalid:
        load_year_file(registry_url, path)

    problems = invalid.value.problems
    assert len(problems) == 7, problems
    message = str(invalid.value)
    for fragment in (
        "extra",
        "2026-12-31",
        "2027-02-30",
        "2027-10-07..2027-10-01",
        "first of May",
        "listed both as holiday and as make-up working day",
        "must be a Saturday or Sunday",
    ):
        assert fragment in message
    assert [r.model_dump() for r in stored_rows(registry_url)[1]] == before
    assert loaded_years(registry_url) == [2026]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("holidays: [2027-01-01]\n", "year must be a number"),
        ("year: 2027\n", "holidays must be a non-empty list"),
        ("- 2027-01-01\n", "expected a mapping"),
        ("year: 2027\nholidays: [2027-01-01\n", "cannot read"),
    ],
)
def test_malformed_file_is_refused_with_its_reason(registry_url, tmp_path, content, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CalendarFileInvalid, match=fragment):
        load_year_file(registry_url, path)
    assert loaded_years(registry_url) == []


def test_reloading_a_year_file_replaces_the_year(registry_url, tmp_path):
    load_year_file(registry_url, EXAMPLE_2027)
    corrected = tmp_path / "holidays-2027.json"
    corrected.write_text(
        '{"year": 2027, "source": "corrected", '
        '"holidays": ["2027-01-01", "2027-10-01..2027-10-06"], "workdays": ["2027-10-09"]}',
        encoding="utf-8",
    )

    assert load_year_file(registry_url, corrected) == 2027

    years, rows = stored_rows(registry_url)
    assert [(y.year, y.source) for y in years] == [(2027, "corrected")]
    assert sorted((r.day, r.is_workday) for r in rows) == [
        (date(2027, 1, 1), False),
        (date(2027, 10, 1), False),
        (date(2027, 10, 4), False),
        (date(2027, 10, 5), False),
        (date(2027, 10, 6), False),
        (date(2027, 10, 9), True),
    ]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        pytest.param(
            "big.yaml",
            "year: 2027\nholidays: [2027-01-01]\n" + "# padding\n" * 110_000,
            "over the 1024 KiB limit",
            id="file-over-1-mib",
        ),
        pytest.param(
            "twice.yaml",
            "year: 2027\nholidays: [2027-10-01..2027-10-07, 2027-10-03, 2027-10-01]\n",
            "2027-10-03 are listed twice",
            id="duplicate-date",
        ),
        pytest.param(
            "short.yaml",
            "year: 2027\nholidays: [2027-01-01..2027-08-31]\n",
            "fewer than 200",
            id="fewer-than-200-working-days",
        ),
        pytest.param(
            "all.yaml",
            "year: 2027\nholidays: [2027-01-01..2027-12-31]\n",
            "every day of 2027 is listed as a holiday",
            id="every-day-a-holiday",
        ),
        pytest.param(
            "far.yaml",
            "year: 99999\nholidays: [2027-01-01]\n",
            "from 2000 to 2100",
            id="year-out-of-range",
        ),
        pytest.param(
            "nul.json",
            '{"year": 2027, "source": "国务院\\u0000通知", "holidays": ["2027-01-01"]}',
            "source has a NUL character (U+0000) at character 4",
            id="nul-in-source",
        ),
        pytest.param(
            "bidi.yaml",
            'year: 2027\nsource: "通知\\u202e"\nholidays: [2027-01-01]\n',
            "bidirectional text control (U+202E)",
            id="bidi-in-source",
        ),
    ],
)
def test_implausible_holiday_file_is_refused_naming_the_fault(
    registry_url, tmp_path, name, content, fragment
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CalendarFileInvalid) as invalid:
        load_year_file(registry_url, path)

    assert fragment in str(invalid.value)
    assert all("(" in p and ")" in p for p in invalid.value.problems)  # Chinese (English)
    assert loaded_years(registry_url) == []
