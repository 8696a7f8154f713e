"""The dashboard's resource statistics, summed by the database and kept between requests:
the totals are those `domain.report_statistics.add_up` gives, and a report the worker
stores (another process) shows on the next page, never the figures kept from before."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from activities.registry import record_term_event_now
from domain.districts import District
from domain.events import TermEvent
from domain.procedure import Actor, Role
from domain.report_statistics import FIGURES, ResourceStatistics, add_up
from domain.settings import Settings
from domain.term import ReportRecord, ReportStatus, TermStatus
from registry.database import session_scope
from registry.staff_accounts import create_user
from registry.tables import Alliance, AnnualReportRow
from tests.support.calendars import prepare_calendar
from tests.web.conftest import PASSWORD, USERS
from tests.web.test_dashboard_holidays_and_statistics import chart_of, on
from web.app import create_app

TODAY = date(2029, 3, 5)
STORED = datetime(2029, 1, 10, 2, 0, tzinfo=UTC)
MONEY = [name for name, figure in FIGURES.items() if figure.money]


@pytest.fixture
def web_app(registry_url, tmp_path):
    """The console on a registry of its own; these pages need no Temporal server."""
    prepare_calendar(registry_url)
    for username, (role, district) in USERS.items():
        create_user(registry_url, username, f"{username}用户", PASSWORD, role, district)
    return create_app(Settings(data_dir=tmp_path, database_url=registry_url))


def register(url: str, codes: list[str]) -> None:
    with session_scope(url) as session:
        for k, code in enumerate(codes):
            session.add(
                Alliance(
                    code=code,
                    name=f"联盟{code}",
                    district=list(District)[k % len(District)].value,
                    status=TermStatus.ACTIVE.value,
                    recognised_on=date(2026, 3, 2),
                    term_no=1,
                    term_end=date(2031, 3, 1),
                    created_at=STORED,
                    updated_at=STORED,
                )
            )


def add_reports(url: str, reports: list[tuple[str, int, str, dict]]) -> None:
    with session_scope(url) as session:
        for code, year, status, statistics in reports:
            session.add(
                AnnualReportRow(
                    alliance_code=code,
                    term_no=1,
                    year=year,
                    status=status,
                    versions=1,
                    statistics=statistics,
                    updated_at=STORED,
                )
            )


def realistic(rng: random.Random) -> dict:
    """A report's figures as alliances send them: amounts in 万元 with one or two decimals
    (or none), counts as whole numbers."""
    figures: dict[str, float | int] = {}
    for name, figure in FIGURES.items():
        if figure.money:
            places = rng.choice((0, 1, 1, 2))
            figures[name] = round(rng.uniform(0, 5000), places) if places else rng.randint(0, 9000)
            figures[name] = float(figures[name])
        else:
            figures[name] = rng.randint(0, 200)
    return figures


def expected_chart(years: dict[int, list[dict]]) -> dict:
    """figure → year → the total as the old code (`add_up` in Python) showed it."""
    chart: dict[str, dict[int, str]] = {name: {} for name in FIGURES}
    for year, stored in years.items():
        for total in add_up(stored):
            chart[total.name][year] = total.shown
    return chart


async def test_totals_of_many_reports_are_those_added_up_as_decimals(
    web_app, registry_url, as_user
):
    rng = random.Random(12)
    codes = [f"2026-{k:04d}" for k in range(1, 121)]
    register(registry_url, codes)
    years: dict[int, list[dict]] = {2026: [], 2027: [], 2028: []}
    reports = []
    for year in years:
        for code in codes:
            figures = realistic(rng)
            years[year].append(figures)
            reports.append((code, year, ReportStatus.ACCEPTED.value, figures))
    # The sums the figures came from: 1250.5 + 980.3 makes 2230.8, never
    # 2230.8000000000002, however many such amounts are added.
    for k, code in enumerate(codes[:60]):
        figures = {**realistic(rng), "rd_spending_wan": (1250.5, 980.3)[k % 2]}
        years.setdefault(2025, []).append(figures)
        reports.append((code, 2025, ReportStatus.SUBMITTED.value, figures))
    add_reports(registry_url, reports)
    on(web_app, TODAY)
    staff = await as_user("staff")

    chart = chart_of((await staff.get("/")).text)

    assert chart == expected_chart(dict(sorted(years.items())))
    assert chart["rd_spending_wan"][2025] == "66924"  # 30 × 2230.8
    assert any("." in chart[name][year] for name in MONEY for year in years)


def accepted(code: str, year: int, statistics: dict, versions: int, action: str) -> TermEvent:
    return TermEvent(
        key=f"{code}:{action}:{year}:{versions}",
        alliance_code=code,
        workflow_id=f"alliance-{code}",
        actor=Actor(name="市科技局", role=Role.BUREAU_STAFF),
        action=action,
        at=STORED,  # no later than the stored reports: the change is seen all the same
        status=TermStatus.ACTIVE,
        term_no=1,
        term_start=date(2026, 3, 2),
        term_end=date(2031, 3, 1),
        report=ReportRecord(
            year=year,
            status=ReportStatus.ACCEPTED if action == "report.accepted" else ReportStatus.SUBMITTED,
            versions=versions,
            submitted_at=STORED,
            statistics=ResourceStatistics(**statistics),
        ),
    )


async def test_a_report_stored_by_the_worker_shows_on_the_next_dashboard(
    web_app, registry_url, as_user
):
    first = {name: (1250.5 if figure.money else 10) for name, figure in FIGURES.items()}
    second = {name: (980.3 if figure.money else 7) for name, figure in FIGURES.items()}
    register(registry_url, ["2026-0001", "2026-0002"])
    add_reports(
        registry_url,
        [
            ("2026-0001", 2028, ReportStatus.SUBMITTED.value, first),
            ("2026-0002", 2028, ReportStatus.RETURNED.value, second),
        ],
    )
    on(web_app, TODAY)
    staff = await as_user("staff")
    page = (await staff.get("/")).text
    assert "报告1份，已审核通过0份" in page
    assert chart_of(page)["rd_spending_wan"] == {2028: "1250.5"}
    assert (await staff.get("/")).text.count("报告1份，已审核通过0份") == 1  # kept

    # The worker, in its own process, records the review of the first report …
    record_term_event_now(registry_url, accepted("2026-0001", 2028, first, 1, "report.accepted"))
    page = (await staff.get("/")).text
    assert "报告1份，已审核通过1份" in page
    assert chart_of(page)["rd_spending_wan"] == {2028: "1250.5"}

    # … and the second report, sent again after it came back.
    resent = {**second, "rd_spending_wan": 980.4}
    record_term_event_now(registry_url, accepted("2026-0002", 2028, resent, 2, "report.submitted"))
    page = (await staff.get("/")).text
    assert "报告2份，已审核通过1份" in page
    assert chart_of(page)["rd_spending_wan"] == {2028: "2230.9"}
    assert chart_of(page)["researchers"] == {2028: "17"}
