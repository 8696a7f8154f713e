"""The working-day calendar in the registry: seeded from `chinesecalendar`, extended by operators.

Only the days that break the Monday–Friday rule are stored, with one `CalendarYear` row
per loaded year. A year is always replaced whole, in one transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import chinese_calendar
import yaml
from sqlmodel import Session, col, delete, select

from domain.input_rules import (
    HOLIDAY_FILE_MAX,
    LINE,
    WORKING_DAYS_MIN,
    YEAR_MAX,
    YEAR_MIN,
    InputRefused,
    clean_text,
    shortened,
)
from domain.working_days import WorkCalendar
from registry.database import session_scope
from registry.tables import CalendarException, CalendarYear

HOLIDAY_NOTE = "节假日"
WORKDAY_NOTE = "调休上班"
_DAY = r"\d{4}-\d{2}-\d{2}"
_ENTRY = re.compile(rf"({_DAY})(?:\.\.({_DAY}))?")
_FILE_KEYS = {"year", "holidays", "workdays", "source"}
_FESTIVAL_ZH = {h.value: h.chinese for h in chinese_calendar.Holiday}


class _DatesAsText(yaml.SafeLoader):
    """YAML without implicit dates, so an impossible date is one listed problem, not a crash."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class CalendarFileInvalid(Exception):
    """A holiday file with problems; nothing was stored."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"{path}: 节假日文件有误，未导入 (calendar file rejected, nothing stored):\n{listing}"
        )
        self.path = path
        self.problems = problems


def package_years() -> list[int]:
    """The years the installed `chinesecalendar` knows."""
    return sorted({d.year for d in chinese_calendar.holidays})


def package_exceptions(year: int) -> dict[date, tuple[bool, str]]:
    """The package's days of `year` off the Monday–Friday rule: day → (working?, note)."""
    found = {}
    for day in _days_of(year):
        working = chinese_calendar.is_workday(day)
        if working != _is_weekday(day):
            _, name = chinese_calendar.get_holiday_detail(day)
            note = _FESTIVAL_ZH.get(name, name or HOLIDAY_NOTE)
            found[day] = (working, f"{note}{WORKDAY_NOTE}" if working else note)
    return found


def seed_from_package(url: str, years: Iterable[int] | None = None) -> list[int]:
    """Store the package's schedule for `years` (default: all it knows); returns those years."""
    supported = package_years()
    wanted = sorted(set(supported if years is None else years))
    unknown = [y for y in wanted if y not in supported]
    source = f"chinesecalendar {version('chinesecalendar')}"
    if unknown:
        raise ValueError(
            f"{source} 不含 {unknown} 年的节假日安排，请用节假日文件导入 "
            f"(no data for {unknown}; load a holiday file instead)"
        )
    with session_scope(url) as session:
        for year in wanted:
            _replace_year(session, year, source, package_exceptions(year))
    return wanted


def load_year_file(url: str, path: Path) -> int:
    """Store the holiday schedule in a YAML or JSON file; returns its year.

    The whole file is checked first; any problem raises `CalendarFileInvalid` listing them all.
    """
    year, source, exceptions = _read_year_file(path)
    with session_scope(url) as session:
        _replace_year(session, year, source, exceptions)
    return year


def loaded_years(url: str) -> list[int]:
    with session_scope(url) as session:
        return sorted(session.exec(select(CalendarYear.year)).all())


def load_calendar(url: str, years: Iterable[int]) -> WorkCalendar:
    """The calendar of those `years` that are loaded; the others stay missing."""
    wanted = set(years)
    with session_scope(url) as session:
        present = set(
            session.exec(select(CalendarYear.year).where(col(CalendarYear.year).in_(wanted))).all()
        )
        if not present:
            return WorkCalendar(loaded_years=set())
        rows = session.exec(
            select(CalendarException).where(
                col(CalendarException.day) >= date(min(present), 1, 1),
                col(CalendarException.day) <= date(max(present), 12, 31),
            )
        ).all()
    return WorkCalendar(
        loaded_years=present,
        exceptions={r.day: r.is_workday for r in rows if r.day.year in present},
    )


def _days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


def _is_weekday(day: date) -> bool:
    return day.weekday() < 5


def _replace_year(
    session: Session, year: int, source: str, exceptions: dict[date, tuple[bool, str]]
) -> None:
    session.exec(
        delete(CalendarException).where(
            col(CalendarException.day) >= date(year, 1, 1),
            col(CalendarException.day) <= date(year, 12, 31),
        )
    )
    session.exec(delete(CalendarYear).where(col(CalendarYear.year) == year))
    session.add(CalendarYear(year=year, source=source, loaded_at=datetime.now(UTC)))
    session.add_all(
        CalendarException(day=day, is_workday=working, note=note)
        for day, (working, note) in sorted(exceptions.items())
    )


def _read_year_file(path: Path) -> tuple[int, str, dict[date, tuple[bool, str]]]:
    """Parse and check a holiday file: (year, source, exceptions) or `CalendarFileInvalid`."""
    try:
        size, limit = path.stat().st_size, HOLIDAY_FILE_MAX // 1024
        if size > HOLIDAY_FILE_MAX:
            raise CalendarFileInvalid(
                path,
                [
                    f"文件有{size}字节，超过{limit} KiB上限；一年的安排只需几十行 "
                    f"(the file has {size} bytes, over the {limit} KiB limit; "
                    "a year's schedule takes a few dozen lines)"
                ],
            )
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.load(text, _DatesAsText)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, yaml.YAMLError) as err:
        raise CalendarFileInvalid(path, [f"无法读取 (cannot read the file): {err}"]) from err
    if not isinstance(data, dict):
        raise CalendarFileInvalid(
            path, ["文件应为含 year、holidays、workdays 的映射 (expected a mapping of those keys)"]
        )

    problems = [
        f"未知字段 {shortened(key)!r} (unknown key; allowed: {', '.join(sorted(_FILE_KEYS))})"
        for key in data
        if key not in _FILE_KEYS
    ]
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not YEAR_MIN <= year <= YEAR_MAX:
        problems.append(
            f"year 应为 {YEAR_MIN} 至 {YEAR_MAX} 之间的年份，如 2027 "
            f"(year must be a number such as 2027, from {YEAR_MIN} to {YEAR_MAX}, "
            f"not {shortened(year)!r})"
        )
        year = None
    source = data.get("source", f"file {path.name}")
    if not isinstance(source, str) or not source.strip():
        problems.append(f"source 应为文字说明 (source must be text, not {shortened(source)!r})")
    else:
        try:
            source = clean_text(source, LINE)
        except InputRefused as refused:
            problems.append(f"source {refused.zh} (source {refused.en})")

    holidays = _read_days(data, "holidays", year, problems, required=True)
    workdays = _read_days(data, "workdays", year, problems, required=False)
    for day in sorted(holidays & workdays):
        problems.append(
            f"{day} 同时列为节假日和调休上班日 (listed both as holiday and as make-up working day)"
        )
    for day in sorted(workdays):
        if _is_weekday(day):
            problems.append(
                f"workdays: {day} 是周一至周五，本就上班；调休上班日须为周六或周日 "
                f"(a make-up working day must be a Saturday or Sunday)"
            )
    if year is not None:
        problems += _working_year_problems(year, holidays, workdays)
    if problems or year is None:
        raise CalendarFileInvalid(path, problems)
    exceptions = {day: (False, HOLIDAY_NOTE) for day in holidays if _is_weekday(day)}
    exceptions |= {day: (True, WORKDAY_NOTE) for day in workdays}
    return year, source, exceptions


def _working_year_problems(year: int, holidays: set[date], workdays: set[date]) -> list[str]:
    """A schedule that leaves too few working days is a mistyped file, not a real year."""
    days = _days_of(year)
    if holidays >= set(days):
        return [f"{year} 年每一天都列为节假日 (every day of {year} is listed as a holiday)"]
    working = sum(
        1 for day in days if day in workdays or (_is_weekday(day) and day not in holidays)
    )
    if working < WORKING_DAYS_MIN:
        return [
            f"{year} 年只剩 {working} 个工作日，少于 {WORKING_DAYS_MIN} 个，请核对节假日区间 "
            f"(only {working} working days are left in {year}, fewer than {WORKING_DAYS_MIN}; "
            "check the holiday ranges)"
        ]
    return []


def _read_days(
    data: dict, key: str, year: int | None, problems: list[str], *, required: bool
) -> set[date]:
    """The days listed under `key` (dates or "YYYY-MM-DD..YYYY-MM-DD" ranges), problems appended."""
    entries = data.get(key)
    if entries is None and not required:
        return set()
    if not isinstance(entries, list) or (required and not entries):
        problems.append(f"{key} 应为日期列表 ({key} must be a non-empty list of dates or ranges)")
        return set()
    days: set[date] = set()
    for index, entry in enumerate(entries):
        where = f"{key}[{index}] {shortened(entry)!r}"
        try:
            first, last = _parse_entry(entry)
        except ValueError:
            problems.append(
                f"{where}: 应为有效日期 YYYY-MM-DD 或区间 YYYY-MM-DD..YYYY-MM-DD "
                f"(expected a real date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD)"
            )
            continue
        if last < first:
            problems.append(f"{where}: 结束日早于开始日 (the range ends before it starts)")
            continue
        if year is not None and (first.year != year or last.year != year):
            problems.append(f"{where}: 不在 {year} 年内 (outside the year {year})")
            continue
        listed = {first + timedelta(days=i) for i in range((last - first).days + 1)}
        if again := sorted(listed & days):
            problems.append(
                f"{where}: {again[0]} 等 {len(again)} 天已在前面列出，每天只应列一次 "
                f"({len(again)} day(s) from {again[0]} are listed twice; list each day once)"
            )
        days |= listed
    return days


def _parse_entry(entry: object) -> tuple[date, date]:
    match = _ENTRY.fullmatch(entry.strip()) if isinstance(entry, str) else None
    if not match:
        raise ValueError(entry)
    first = date.fromisoformat(match[1])
    return first, date.fromisoformat(match[2]) if match[2] else first
