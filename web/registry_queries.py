"""What the registry pages read: the dashboard, the filtered alliance list, holiday years,
the yearly innovation resource statistics.

Every query goes through a `RegistryView`, which carries the user's district, so a
district reviewer never sees another district's alliances on any page or export.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, case, exists, or_, true
from sqlmodel import Session, col, func, select

from domain.districts import DISTRICT_ZH
from domain.holiday_years import holiday_years_missing
from domain.procedure import FINAL_STAGES, Role, Stage, status_zh
from domain.report_statistics import FIGURES, Figure, FigureTotal
from domain.shanghai_time import SHANGHAI
from domain.term import FIRST_REPORT_YEAR, IMPORT_ACTION, ReportStatus, TermStatus
from domain.term_rules import TermRules
from registry.calendar_store import loaded_years
from registry.database import session_scope
from registry.tables import Alliance, AnnualReportRow, AuditEntry, CalendarYear, StaffUser
from web.pages import Forbidden

T = TypeVar("T")

DEADLINE_WINDOW_DAYS = 30
DASHBOARD_ROWS = 20  # each dashboard list shows its first rows and how many there are
# Alliances in a running term owe annual reports, under rectification too.
IN_TERM = (TermStatus.ACTIVE.value, TermStatus.RECTIFICATION.value)
OPEN_STAGES = tuple(s.value for s in Stage if s not in FINAL_STAGES)
# Procedure stages first, then the term's statuses (withdrawn appears in both).
STATUS_ORDER = tuple(dict.fromkeys([*(s.value for s in Stage), *(s.value for s in TermStatus)]))
RECEIVED = ("submitted", "returned", "accepted")
# The reports the yearly statistics add up: accepted, and submitted but not yet reviewed. One
# sent back for correction counts again once resubmitted; its figures are in doubt until then.
SUMMED = (ReportStatus.ACCEPTED.value, ReportStatus.SUBMITTED.value)


class FilterInvalid(ValueError):
    """A list filter that cannot be read; the message says what to change."""


@dataclass(frozen=True)
class RegistryView:
    """Whose registry view: the database, the user's district (None: all) and today."""

    url: str
    district: str | None
    today: date
    rules: TermRules


def view_for(url: str, user: StaffUser, today: date, rules: TermRules) -> RegistryView:
    if user.role == Role.DISTRICT_REVIEWER.value:
        if not user.district:
            raise Forbidden("您的账号未设置所属县区，请联系管理员 (your account has no district)")
        return RegistryView(url, user.district, today, rules)
    return RegistryView(url, None, today, rules)


@dataclass(frozen=True)
class AllianceFilter:
    status: str = ""
    district: str = ""
    year: int | None = None
    overdue: bool = False
    q: str = ""
    sort: str = "-updated"  # a column of SORTS, "-" first for descending
    page: int = 1


# The columns the list sorts by; ties fall back to the alliance code.
SORTS = {
    "code": Alliance.code,
    "name": Alliance.name,
    "district": Alliance.district,
    "status": Alliance.status,
    "term_end": Alliance.term_end,
    "updated": Alliance.updated_at,
}
PAGE_SIZE = 50


def read_filter(
    status: str = "",
    district: str = "",
    year: str = "",
    overdue: str = "",
    q: str = "",
    sort: str = "",
    page: str = "",
) -> AllianceFilter:
    """The list's query parameters as typed filters; blank means "any"."""
    status, district, year, q = status.strip(), district.strip(), year.strip(), q.strip()
    sort, page = sort.strip() or "-updated", page.strip() or "1"
    if sort.removeprefix("-") not in SORTS:
        raise FilterInvalid(f"不能按 {sort!r} 排序 (cannot sort by {sort!r})")
    if not (page.isdigit() and 1 <= int(page) <= 100_000):
        raise FilterInvalid(f"页码应为正整数，而不是 {page!r} (page: a positive number)")
    if status and status not in STATUS_ORDER:
        raise FilterInvalid(f"未知的状态 {status!r} (unknown status)")
    if district and district not in DISTRICT_ZH:
        raise FilterInvalid(f"未知的县区 {district!r} (unknown district)")
    if year and not (year.isdigit() and len(year) == 4):
        raise FilterInvalid(f"认定年份应为四位数字，如 2026，而不是 {year!r} (year: e.g. 2026)")
    return AllianceFilter(
        status=status,
        district=district,
        year=int(year) if year else None,
        overdue=overdue.lower() in {"1", "true", "on", "yes"},
        q=q,
        sort=sort,
        page=int(page),
    )


@dataclass(frozen=True)
class AllianceRow:
    code: str
    name: str
    district: str
    status: str
    certificate_serial: str | None
    recognised_on: date | None
    term_end: date | None
    updated: datetime  # Beijing time, without zone (as shown and exported)

    @classmethod
    def of(cls, alliance: Alliance) -> AllianceRow:
        return cls(
            code=alliance.code,
            name=alliance.name,
            district=alliance.district,
            status=alliance.status,
            certificate_serial=alliance.certificate_serial,
            recognised_on=alliance.recognised_on,
            term_end=alliance.term_end,
            updated=_beijing(alliance.updated_at),
        )


@dataclass(frozen=True)
class AlliancePage:
    rows: list[AllianceRow]
    total: int
    page: int
    pages: int


def alliance_page(view: RegistryView, filters: AllianceFilter, size: int = PAGE_SIZE):
    """One page of the list, in the chosen order."""
    query = _alliance_query(view, filters)
    with session_scope(view.url) as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        pages = max(1, -(-total // size))
        page = min(filters.page, pages)
        found = session.exec(query.offset((page - 1) * size).limit(size))
        return AlliancePage([AllianceRow.of(a) for a in found], total, page, pages)


def find_alliances(view: RegistryView, filters: AllianceFilter) -> list[AllianceRow]:
    """Every alliance the filters select, in the chosen order (the Excel export)."""
    with session_scope(view.url) as session:
        return [AllianceRow.of(a) for a in session.exec(_alliance_query(view, filters))]


def _alliance_query(view: RegistryView, filters: AllianceFilter):
    if view.district and filters.district and filters.district != view.district:
        raise Forbidden("您只能查看本县区的联盟 (you may only see your own district's alliances)")
    query = select(Alliance).where(_scope(view))
    if filters.status:
        query = query.where(Alliance.status == filters.status)
    if filters.district:
        query = query.where(Alliance.district == filters.district)
    if filters.year is not None:
        query = query.where(
            col(Alliance.recognised_on) >= date(filters.year, 1, 1),
            col(Alliance.recognised_on) < date(filters.year + 1, 1, 1),
        )
    if filters.overdue:
        query = query.where(_report_missing(view, view.today.year - 1))
    if filters.q:
        query = query.where(
            or_(
                col(Alliance.name).icontains(filters.q, autoescape=True),
                col(Alliance.code).istartswith(filters.q, autoescape=True),
                # A lead unit's credit code lists every alliance it leads.
                col(Alliance.lead_unit_code) == filters.q.upper(),
            )
        )
    column = col(SORTS[filters.sort.removeprefix("-")])
    ordered = column.desc() if filters.sort.startswith("-") else column.asc()
    return query.order_by(ordered.nulls_last(), col(Alliance.code))


@dataclass(frozen=True)
class StatusCount:
    status: str
    name: str
    count: int


@dataclass(frozen=True)
class Deadline:
    code: str
    name: str
    kind: str  # term_end | annual_report
    due: date
    days_left: int
    year: int | None = None


@dataclass(frozen=True)
class YearCount:
    year: int
    count: int
    percent: int  # bar length relative to the busiest year


@dataclass(frozen=True)
class YearStatistics:
    """创新资源统计 of one report year, summed over the alliances' reports (`SUMMED`)."""

    year: int
    reports: int
    accepted: int  # of `reports`; the others are submitted and not yet reviewed
    totals: list[FigureTotal]

    @property
    def incomplete(self) -> list[FigureTotal]:
        """Figures some of the reports do not give (stored before they were asked for)."""
        return [t for t in self.totals if t.not_reported]


@dataclass(frozen=True)
class FigureBar:
    year: int
    total: FigureTotal
    percent: int  # bar length relative to this figure's largest yearly total


@dataclass(frozen=True)
class FigureChart:
    """One figure's yearly totals, as a row of bars on the dashboard."""

    name: str
    figure: Figure
    bars: list[FigureBar]


@dataclass
class Dashboard:
    status_counts: list[StatusCount] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)  # the first DASHBOARD_ROWS
    deadlines_total: int = 0
    overdue: list[AllianceRow] = field(default_factory=list)  # the first DASHBOARD_ROWS
    overdue_total: int = 0
    overdue_year: int = 0
    reports_per_year: list[YearCount] = field(default_factory=list)
    holiday_years_missing: list[int] = field(default_factory=list)
    statistics: list[YearStatistics] = field(default_factory=list)

    @property
    def charts(self) -> list[FigureChart]:
        return statistics_charts(self.statistics)

    @property
    def total(self) -> int:
        return sum(c.count for c in self.status_counts)


def dashboard(view: RegistryView) -> Dashboard:
    """The home page's figures, all from the registry; its lists show their first
    `DASHBOARD_ROWS` rows and how many there are in all.

    Kept (per registry, district and day) until the registry records anything
    (`_kept`): in December every alliance in term owes its report, and counting who has not
    sent it is most of the page's work."""
    rule = view.rules.late_recognition_month_day
    board = _kept(
        view.url, ("dashboard", view.district, view.today, rule), lambda: _counted_dashboard(view)
    )
    missing = holiday_years_missing(view.today, loaded_years(view.url))
    return replace(board, holiday_years_missing=missing)


def _counted_dashboard(view: RegistryView) -> Dashboard:
    deadlines, deadlines_total = upcoming_deadlines(view)
    overdue = alliance_page(view, AllianceFilter(overdue=True, sort="code"), DASHBOARD_ROWS)
    return Dashboard(
        status_counts=status_counts(view),
        deadlines=deadlines,
        deadlines_total=deadlines_total,
        overdue=overdue.rows,
        overdue_total=overdue.total,
        overdue_year=view.today.year - 1,
        reports_per_year=reports_per_year(view),
        statistics=resource_statistics(view),
    )


# (registry url, what, its view) → (the registry's fingerprint, the answer computed)
_KEPT: dict[tuple, tuple[tuple, Any]] = {}


def _kept(url: str, key: tuple, compute: Callable[[], T]) -> T:
    """`compute()`'s answer, kept until the registry records anything: a look at its
    fingerprint (1-2 ms) says whether it has."""
    with session_scope(url) as session:
        seen = _registry_fingerprint(session)
    cached = _KEPT.get((url, *key))
    if cached is not None and cached[0] == seen:
        return cached[1]
    found = compute()
    if len(_KEPT) >= 256:  # a few answers per district and day: a day's worth at most
        _KEPT.clear()
    _KEPT[(url, *key)] = (seen, found)
    return found


def _registry_fingerprint(session: Session) -> tuple:
    """Changes whenever the registry records an event: every write of an alliance's or a
    report's row comes with its audit entry (an import too), and their count changes even
    where concurrent writers commit their ids out of order. The alliances' count and newest
    change are looked at as well, each on its own index."""
    return (
        session.exec(select(func.count()).select_from(AuditEntry)).one(),
        session.exec(select(func.max(AuditEntry.id))).one(),
        session.exec(select(func.count()).select_from(Alliance)).one(),
        session.exec(select(func.max(Alliance.updated_at))).one(),
    )


def status_counts(view: RegistryView) -> list[StatusCount]:
    query = select(Alliance.status, func.count()).where(_scope(view)).group_by(col(Alliance.status))
    with session_scope(view.url) as session:
        counts = dict(session.exec(query).all())
    ordered = sorted(counts, key=lambda s: (STATUS_ORDER.index(s) if s in STATUS_ORDER else 99, s))
    return [StatusCount(s, status_zh(s), counts[s]) for s in ordered]


def upcoming_deadlines(
    view: RegistryView, limit: int = DASHBOARD_ROWS
) -> tuple[list[Deadline], int]:
    """Terms ending and December-31 annual reports still missing within the next 30 days:
    the first `limit` by due date, and how many there are in all."""
    today = view.today
    horizon = today + timedelta(days=DEADLINE_WINDOW_DAYS)
    ending = and_(
        _scope(view),
        col(Alliance.status).in_(IN_TERM),
        col(Alliance.term_end) >= today,
        col(Alliance.term_end) <= horizon,
    )
    report_day = date(today.year, 12, 31)
    days_left = (report_day - today).days
    reports_due = report_day <= horizon
    missing = and_(_scope(view), _report_missing(view, today.year))
    by_code = (col(Alliance.term_end), col(Alliance.code))
    with session_scope(view.url) as session:
        total = session.exec(select(func.count()).select_from(Alliance).where(ending)).one()
        rows = session.exec(
            select(Alliance.code, Alliance.name, Alliance.term_end)
            .where(ending)
            .order_by(*by_code)
            .limit(limit)
        )
        found = [
            Deadline(code, name, "term_end", end, (end - today).days)
            for code, name, end in rows
            if end is not None
        ]
        if reports_due:
            total += session.exec(select(func.count()).select_from(Alliance).where(missing)).one()
            rows = session.exec(
                select(Alliance.code, Alliance.name)
                .where(missing)
                .order_by(col(Alliance.code))
                .limit(limit)
            )
            found += [
                Deadline(code, name, "annual_report", report_day, days_left, today.year)
                for code, name in rows
            ]
    return sorted(found, key=lambda d: (d.due, d.kind, d.code))[:limit], total


def reports_per_year(view: RegistryView) -> list[YearCount]:
    """Annual reports received (submitted at least once), per report year."""
    query = (
        select(AnnualReportRow.year, func.count())
        .join(Alliance, col(Alliance.code) == col(AnnualReportRow.alliance_code))
        .where(_scope(view), col(AnnualReportRow.status).in_(RECEIVED))
        .group_by(col(AnnualReportRow.year))
        .order_by(col(AnnualReportRow.year))
    )
    with session_scope(view.url) as session:
        counts = session.exec(query).all()
    busiest = max((n for _, n in counts), default=0)
    return [YearCount(year, n, round(100 * n / busiest)) for year, n in counts]


def resource_statistics(view: RegistryView) -> list[YearStatistics]:
    """联盟年度创新资源统计 summed per report year over the view's alliances, oldest first.

    Added up by the database, and kept until the registry records anything (`_kept`)."""

    def summed() -> list[YearStatistics]:
        with session_scope(view.url) as session:
            return _summed_statistics(session, view)

    return _kept(view.url, ("statistics", view.district), summed)


def _summed_statistics(session: Session, view: RegistryView) -> list[YearStatistics]:
    """Per year: the reports counted, those accepted, and each figure's sum and how many
    reports give it (a figure a report does not give is NULL: not reported, never 0)."""
    figures = [AnnualReportRow.statistics[name].as_float() for name in FIGURES]
    accepted = case((col(AnnualReportRow.status) == ReportStatus.ACCEPTED.value, 1), else_=0)
    query = (
        select(
            AnnualReportRow.year,
            func.count(),
            func.sum(accepted),
            *(
                aggregate
                for figure in figures
                for aggregate in (func.sum(figure), func.count(figure))
            ),
        )
        .join(Alliance, col(Alliance.code) == col(AnnualReportRow.alliance_code))
        .where(_scope(view), col(AnnualReportRow.status).in_(SUMMED))
        .group_by(col(AnnualReportRow.year))
        .order_by(col(AnnualReportRow.year))
    )
    found = []
    for year, reports, accepted_count, *sums in session.exec(query):
        totals = [
            FigureTotal(
                name=name,
                figure=figure,
                total=_total(figure, sums[2 * index]),
                not_reported=reports - sums[2 * index + 1],
            )
            for index, (name, figure) in enumerate(FIGURES.items())
        ]
        found.append(YearStatistics(year, reports, int(accepted_count or 0), totals))
    return found


def _total(figure: Figure, summed: float | None) -> int | float:
    """A sum as `domain.report_statistics.add_up` gives it: a whole number as an int, an
    amount with decimals to 12 significant digits (1250.5 + 980.3 is 2230.8, not the
    2230.8000000000002 that adding floats gives)."""
    total = Decimal(repr(float(summed or 0))).normalize()
    if total == total.to_integral():
        return int(total)
    digits = 12 - total.adjusted() - 1
    return float(round(total, digits)) if figure.money else int(round(total))


def statistics_charts(years: list[YearStatistics]) -> list[FigureChart]:
    """Per figure, its total in each year with a bar scaled to its own largest year."""
    if not years:
        return []
    charts = []
    for index, first in enumerate(years[0].totals):
        largest = max(y.totals[index].total for y in years)
        bars = [
            FigureBar(
                y.year,
                y.totals[index],
                round(100 * y.totals[index].total / largest) if largest else 0,
            )
            for y in years
        ]
        charts.append(FigureChart(first.name, first.figure, bars))
    return charts


@dataclass(frozen=True)
class LoadedYear:
    year: int
    source: str
    loaded_at: datetime  # Beijing time, without zone


def calendar_years(url: str) -> list[LoadedYear]:
    """The loaded holiday years with where each came from, newest first."""
    with session_scope(url) as session:
        rows = session.exec(select(CalendarYear).order_by(col(CalendarYear.year).desc()))
        return [LoadedYear(r.year, r.source, _beijing(r.loaded_at)) for r in rows]


def open_procedure_codes(url: str) -> list[str]:
    """Alliances still in a recognition step, which may be waiting for a holiday year."""
    with session_scope(url) as session:
        return list(
            session.exec(select(Alliance.code).where(col(Alliance.status).in_(OPEN_STAGES)))
        )


def _beijing(instant: datetime) -> datetime:
    return instant.astimezone(SHANGHAI).replace(tzinfo=None)


def _scope(view: RegistryView) -> ColumnElement[bool]:
    if view.district is None:
        return true()
    return col(Alliance.district) == view.district


def _report_missing(view: RegistryView, year: int) -> ColumnElement[bool]:
    """In term, owing the report of `year` (article 11), and no report received for it.

    A first term recognised on or after the late-recognition day owes nothing that year,
    and a term ending before December 31 owes nothing for its last year. An alliance
    imported under article 13 owes nothing due before its import: the import recorded the
    first year its term owes (`domain.term.first_report_year`).
    """
    month, day = (int(x) for x in view.rules.late_recognition_month_day.split("-"))
    received = exists().where(
        col(AnnualReportRow.alliance_code) == col(Alliance.code),
        col(AnnualReportRow.year) == year,
        col(AnnualReportRow.status).in_(RECEIVED),
    )
    first_term_owes = and_(
        col(Alliance.recognised_on) < date(year, month, day),
        or_(col(Alliance.term_end).is_(None), col(Alliance.term_end) >= date(year, 12, 31)),
    )
    imported_later = exists().where(
        col(AuditEntry.alliance_code) == col(Alliance.code),
        col(AuditEntry.action) == IMPORT_ACTION,
        AuditEntry.detail[FIRST_REPORT_YEAR].as_integer() > year,
    )
    return and_(
        col(Alliance.status).in_(IN_TERM),
        col(Alliance.recognised_on).is_not(None),
        col(Alliance.recognised_on) <= date(year, 12, 31),
        or_(col(Alliance.term_no) > 1, first_term_owes),
        ~imported_later,
        ~received,
    )
