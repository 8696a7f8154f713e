"""Holiday calendars for tests that must not depend on today's date.

The package's real schedule is loaded for the years it knows; later years (up to a few
past today) are loaded as plain Monday–Friday years, marked as such.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import delete

from registry.calendar_store import package_years, seed_from_package
from registry.database import session_scope
from registry.tables import CalendarYear

PLAIN_SOURCE = "test: Monday–Friday, no holidays"


def prepare_calendar(url: str, years_ahead: int = 3) -> None:
    seed_from_package(url)
    last = max(datetime.now(UTC).year + years_ahead, max(package_years()))
    load_plain_years(url, range(max(package_years()) + 1, last + 1))


def load_plain_years(url: str, years) -> None:
    now = datetime.now(UTC)
    with session_scope(url) as session:
        for year in years:
            if session.get(CalendarYear, year) is None:
                session.add(CalendarYear(year=year, source=PLAIN_SOURCE, loaded_at=now))


def unload_years(url: str, years) -> None:
    """Forget loaded years, as if the State Council had not yet published them."""
    with session_scope(url) as session:
        session.exec(delete(CalendarYear).where(CalendarYear.year.in_(list(years))))
