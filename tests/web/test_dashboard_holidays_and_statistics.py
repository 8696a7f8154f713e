"""The dashboard's holiday-year warning and the yearly innovation resource statistics,
on the page and in the Excel export, read from a real registry on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from io import BytesIO
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from domain.districts import District
from domain.report_statistics import FIGURES
from domain.settings import Settings
from domain.shanghai_time import SHANGHAI
from registry.calendar_store import loaded_years
from registry.database import session_scope
from registry.staff_accounts import create_user
from registry.tables import Alliance, AnnualReportRow
from tests.support.calendars import load_plain_years, prepare_calendar
from tests.web.conftest import PASSWORD, USERS, csrf_of
from web.app import create_app

# A year far enough ahead that only this test loads it; the year after stays missing.
YEAR = 2040


@pytest.fixture
def web_app(registry_url, tmp_path):
    """The console on a registry of its own; these pages need no Temporal server."""
    prepare_calendar(registry_url)
    for username, (role, district) in USERS.items():
        create_user(registry_url, username, f"{username}用户", PASSWORD, role, district)
    return create_app(Settings(data_dir=tmp_path, database_url=registry_url))


def on(web_app, day: date) -> None:
    """The console's "today" (Beijing), as tests on simulated time set it."""
    web_app.state.clock = lambda: datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI)


def warning_of(html: str) -> str | None:
    found = re.search(r'<section[^>]*id="holiday-years-missing".*?</section>', html, re.S)
    return found.group(0) if found else None


async def test_dashboard_warns_from_november_until_next_years_schedule_is_loaded(
    web_app, registry_url, as_user
):
    load_plain_years(registry_url, [YEAR])
    assert YEAR + 1 not in loaded_years(registry_url)
    admin, staff = await as_user("admin"), await as_user("staff")

    on(web_app, date(YEAR, 10, 31))
    assert warning_of((await admin.get("/")).text) is None

    on(web_app, date(YEAR, 11, 1))
    warning = warning_of((await admin.get("/")).text)
    assert warning is not None and 'role="alert"' in warning
    assert f"尚未导入{YEAR + 1}年国务院节假日安排" in warning
    assert "工作日计算期限" in warning and "暂停办理" in warning
    assert 'href="/calendar"' in warning, "an administrator is led to the holiday page"
    for_staff = warning_of((await staff.get("/")).text)
    assert for_staff is not None and f"{YEAR + 1}" in for_staff
    assert 'href="/calendar"' not in for_staff and "请联系系统管理员" in for_staff
    await staff.get("/lang/en?back=/")
    in_english = warning_of((await staff.get("/")).text) or ""
    assert f"The State Council holiday schedule for {YEAR + 1} is not loaded" in in_english
    assert "cannot be computed into a year that is not loaded" in in_english

    on(web_app, date(YEAR + 1, 1, 1))
    assert f"尚未导入{YEAR + 1}年" in (warning_of((await admin.get("/")).text) or ""), (
        "still missing after New Year, now for this year"
    )

    page = await admin.get("/calendar")
    loaded = await admin.post(
        "/calendar",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("h.yaml", f"year: {YEAR + 1}\nholidays: ['{YEAR + 1}-01-01']\n")},
    )
    assert loaded.status_code == 200, loaded.text
    on(web_app, date(YEAR, 11, 1))
    assert warning_of((await admin.get("/")).text) is None


# ---- the yearly innovation resource statistics, summed over the alliances

GAOXIN_2027 = {
    "rd_spending_wan": 1250.5,
    "researchers": 86,
    "joint_projects": 7,
    "patents_applied": 15,
    "patents_granted": 9,
    "standards_drafted": 2,
    "technology_transfers": 4,
    "people_trained": 120,
    "platforms": 3,
    "member_funds_invested_wan": 860.0,
    "government_funding_wan": 300.0,
    "achievements_commercialised": 2,
    "commercialisation_income_wan": 415.8,
    "new_products": 5,
    "ip_licensed": 3,
    "talents_introduced": 12,
}
# Stored before the bureau asked for the later eight figures.
TIEXI_2027 = {
    "rd_spending_wan": 980.3,
    "researchers": 40,
    "joint_projects": 3,
    "patents_applied": 6,
    "patents_granted": 2,
    "standards_drafted": 1,
    "technology_transfers": 1,
    "people_trained": 30,
}
GAOXIN_2028 = {
    "rd_spending_wan": 1300.2,
    "researchers": 90,
    "joint_projects": 8,
    "patents_applied": 12,
    "patents_granted": 10,
    "standards_drafted": 3,
    "technology_transfers": 5,
    "people_trained": 100,
    "platforms": 4,
    "member_funds_invested_wan": 900.5,
    "government_funding_wan": 250.25,
    "achievements_commercialised": 3,
    "commercialisation_income_wan": 500.1,
    "new_products": 6,
    "ip_licensed": 2,
    "talents_introduced": 10,
}
TIEXI_2028 = {
    "rd_spending_wan": 700.1,
    "researchers": 45,
    "joint_projects": 2,
    "patents_applied": 4,
    "patents_granted": 3,
    "standards_drafted": 0,
    "technology_transfers": 2,
    "people_trained": 25,
    "platforms": 1,
    "member_funds_invested_wan": 120.0,
    "government_funding_wan": 0.0,
    "achievements_commercialised": 1,
    "commercialisation_income_wan": 80.2,
    "new_products": 1,
    "ip_licensed": 0,
    "talents_introduced": 3,
}
# The sums, worked out by hand, in the order of FIGURES.
TOTAL_2027 = (2230.8, 126, 10, 21, 11, 3, 5, 150, 3, 860, 300, 2, 415.8, 5, 3, 12)
TOTAL_2028 = (2000.3, 135, 10, 16, 13, 3, 7, 125, 5, 1020.5, 250.25, 4, 580.3, 7, 2, 13)


def seed_reports(url: str) -> None:
    """Two alliances in two districts with reports for 2027 and 2028, and two that must not
    count: one sent back for correction, one not yet submitted."""
    now = datetime.now(UTC)
    alliances = [("2026-0001", District.HIGH_TECH_ZONE), ("2026-0002", District.TIEXI)]
    reports = [
        ("2026-0001", 2027, "accepted", GAOXIN_2027),
        ("2026-0002", 2027, "accepted", TIEXI_2027),
        ("2026-0001", 2028, "submitted", GAOXIN_2028),
        ("2026-0002", 2028, "accepted", TIEXI_2028),
        ("2026-0002", 2029, "returned", {**TIEXI_2028, "rd_spending_wan": 99999.0}),
        ("2026-0001", 2029, "due", None),
    ]
    with session_scope(url) as session:
        for code, district in alliances:
            session.add(
                Alliance(
                    code=code,
                    name=f"联盟{code}",
                    district=district.value,
                    status="active",
                    recognised_on=date(2026, 3, 2),
                    term_no=1,
                    term_end=date(2031, 3, 1),
                    created_at=now,
                    updated_at=now,
                )
            )
        session.flush()
        for code, year, status, statistics in reports:
            session.add(
                AnnualReportRow(
                    alliance_code=code,
                    term_no=1,
                    year=year,
                    status=status,
                    statistics=statistics,
                    updated_at=now,
                )
            )


def chart_of(html: str) -> dict[str, dict[int, str]]:
    """The dashboard's statistics chart: figure → year → the total shown."""
    section = html.split('id="statistics-chart"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-figure="([^"]+)">(.*?)</tr>', section, re.S)
    return {
        name: {
            int(year): total
            for year, total in re.findall(
                r'<td data-year="(\d+)">\s*<span class="total">([^<]+)</span>', cells
            )
        }
        for name, cells in rows
    }


def shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


async def test_statistics_are_summed_per_year_on_the_page_and_in_the_excel_export(
    web_app, registry_url, as_user
):
    seed_reports(registry_url)
    on(web_app, date(2029, 3, 5))
    staff = await as_user("staff")

    page = (await staff.get("/")).text
    assert "统计口径：已审核通过和已提交待审核的年度报告" in page
    assert "报告2份，已审核通过2份" in page and "报告2份，已审核通过1份" in page
    chart = chart_of(page)
    assert list(chart) == list(FIGURES)
    for index, name in enumerate(FIGURES):
        assert chart[name] == {
            2027: shown(TOTAL_2027[index]),
            2028: shown(TOTAL_2028[index]),
        }, name
    platforms = page.split('<tr data-figure="platforms">', 1)[1].split("</tr>", 1)[0]
    assert "（1份未填报）" in platforms.split('data-year="2028"')[0], "2027 lacks one report's"

    response = await staff.get("/statistics.xlsx")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote('创新资源统计-20290305.xlsx')}" in disposition
    book = load_workbook(BytesIO(response.content))
    header, *rows = book["创新资源统计"].iter_rows(values_only=True)
    assert header == (
        "年度",
        "计入报告数（份）",
        "其中已审核通过（份）",
        *(figure.title_zh for figure in FIGURES.values()),
        "未填报说明",
    )
    assert header[3] == "研发投入（万元）" and header[-2] == "引进人才（人）"
    assert [row[:3] for row in rows] == [(2027, 2, 2), (2028, 2, 1)]
    assert rows[0][3:-1] == pytest.approx(TOTAL_2027, abs=1e-9)
    assert rows[1][3:-1] == pytest.approx(TOTAL_2028, abs=1e-9)
    assert "引进人才（人）：1份报告未填报" in rows[0][-1] and rows[1][-1] in ("", None)
    about = dict(book["说明"].iter_rows(values_only=True))
    assert about["统计范围"] == "全市" and "已退回修改、尚未提交的不计入" in about["统计口径"]


async def test_a_district_reviewer_sums_only_their_districts_reports(
    web_app, registry_url, as_user
):
    seed_reports(registry_url)
    on(web_app, date(2029, 3, 5))
    reviewer = await as_user("tiexi")

    chart = chart_of((await reviewer.get("/")).text)
    assert chart["rd_spending_wan"] == {2027: "980.3", 2028: "700.1"}
    book = load_workbook(BytesIO((await reviewer.get("/statistics.xlsx")).content))
    rows = list(book["创新资源统计"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[3]) for row in rows] == [(2027, 980.3), (2028, 700.1)]
    assert dict(book["说明"].iter_rows(values_only=True))["统计范围"] == "铁西区"
