"""The registry pages on the running system: dashboard, alliance list, Excel export, holidays."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import date, datetime, timedelta
from io import BytesIO
from urllib.parse import quote

from openpyxl import load_workbook
from sqlmodel import func, select

from admin.simulation import request_id
from domain.application import Application
from domain.credit_code import complete_code
from domain.districts import District
from domain.procedure import Actor, Role
from domain.report_statistics import FIGURES
from domain.shanghai_time import SHANGHAI
from domain.term import AnnualReportSubmission
from registry.calendar_store import loaded_years
from registry.database import session_scope
from registry.tables import Alliance, AnnualReportRow, CalendarYear
from tests.support.temporal import sample_application
from tests.web.conftest import csrf_of, post_action
from tests.workflows.test_term import STATS
from web.export import HEADER

SAMPLE_LEAD = sample_application().lead_unit_code()


def variant(suffix: str, district: District, name: str) -> Application:
    """The sample under another lead-unit code, district and name."""
    application = sample_application()
    old = application.lead_unit_code()
    new = complete_code(old[:15] + suffix)
    application.lead_member().credit_code = new
    for material in application.materials:
        if material.member_credit_code == old:
            material.member_credit_code = new
    application.district = district
    application.alliance_name = name
    return application


async def registered(bureau, code: str, status: str, seconds: float = 15) -> Alliance:
    """The alliance's registry row once it shows `status` (activities write it)."""
    deadline = time.monotonic() + seconds
    while True:
        with session_scope(bureau.settings.registry_url()) as session:
            alliance = session.get(Alliance, code)
        if (alliance is not None and alliance.status == status) or time.monotonic() > deadline:
            assert alliance is not None and alliance.status == status, (code, alliance)
            return alliance
        await asyncio.sleep(0.05)


async def two_alliances(bureau) -> tuple[str, str]:
    """The sample (高新区, district review) and a 铁西区 variant taken on to expert review."""
    sample = await bureau.submit()
    tiexi_app = variant("07", District.TIEXI, "鞍山市AI视觉检测产业技术创新战略联盟")
    tiexi = await bureau.submit(tiexi_app)
    await registered(bureau, sample, "district_review")
    await registered(bureau, tiexi, "district_review")
    await bureau.recommend(tiexi, District.TIEXI)
    await registered(bureau, tiexi, "expert_review")
    return sample, tiexi


def listed(html: str) -> list[str]:
    return re.findall(r'<tr data-code="([^"]+)"', html)


def exported(content: bytes) -> tuple[tuple, list[tuple]]:
    sheet = load_workbook(BytesIO(content)).active
    header, *rows = sheet.iter_rows(values_only=True)
    return header, rows


def fix_clock(web_app, day: date) -> None:
    web_app.state.clock = lambda: datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI)


async def test_list_shows_submitted_alliances_and_filters_them(bureau, as_user):
    sample, tiexi = await two_alliances(bureau)
    staff = await as_user("staff")

    async def codes(**params) -> list[str]:
        response = await staff.get("/alliances", params=params)
        assert response.status_code == 200, response.text
        return listed(response.text)

    assert sorted(await codes()) == sorted([sample, tiexi])
    assert await codes(status="district_review") == [sample]
    assert await codes(status="expert_review") == [tiexi]
    assert await codes(status="recognised") == []
    assert await codes(district="tiexi") == [tiexi]
    assert await codes(q=tiexi.lower()) == [tiexi], "a code matches case-insensitively"
    assert sorted(await codes(q=tiexi[:8])) == sorted([sample, tiexi]), "a code prefix matches"
    assert await codes(q=tiexi[3:]) == [], "a code matches from its start only"
    assert await codes(q="ai视觉") == [tiexi], "a name matches anywhere, any case"
    assert await codes(q="菱镁") == [sample]
    assert await codes(q="100%") == [], "wildcards in a search are plain text"
    page = (await staff.get("/alliances", params={"status": "expert_review"})).text
    assert "专家评审" in page and f'href="/alliances/{tiexi}"' in page
    assert (await staff.get("/alliances", params={"year": "20x6"})).status_code == 400
    assert (await staff.get("/alliances", params={"status": "nonsense"})).status_code == 400


async def test_district_reviewer_sees_only_alliances_of_their_district(bureau, as_user):
    sample, tiexi = await two_alliances(bureau)
    reviewer = await as_user("tiexi")

    page = await reviewer.get("/alliances")
    assert listed(page.text) == [tiexi] and sample not in page.text
    assert (await reviewer.get(f"/alliances/{sample}")).status_code in (403, 404)
    assert 'name="district"' not in page.text, "no district filter for a district reviewer"
    assert listed((await reviewer.get("/alliances", params={"q": sample})).text) == []
    dashboard = await reviewer.get("/")
    assert sample not in dashboard.text and 'id="total">1<' in dashboard.text

    export = await reviewer.get("/alliances.xlsx")
    assert [row[0] for row in exported(export.content)[1]] == [tiexi]
    assert exported((await reviewer.get("/alliances.xlsx", params={"q": sample})).content)[1] == []
    for path in ("/alliances", "/alliances.xlsx"):
        other = await reviewer.get(path, params={"district": "high_tech_zone"})
        assert other.status_code == 403, path

    gaoxin = await as_user("gaoxin")
    assert listed((await gaoxin.get("/alliances")).text) == [sample]


async def test_excel_export_holds_exactly_the_filtered_rows(bureau, web_app, as_user):
    sample, tiexi = await two_alliances(bureau)
    fix_clock(web_app, date(2027, 3, 5))
    staff = await as_user("staff")

    response = await staff.get("/alliances.xlsx", params={"district": "tiexi"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('联盟列表-20270305.xlsx')}" in disposition
    header, rows = exported(response.content)
    assert header == HEADER
    assert len(rows) == 1
    code, name, district, status, *_ = rows[0]
    assert (code, name, district, status) == (
        tiexi,
        "鞍山市AI视觉检测产业技术创新战略联盟",
        "铁西区",
        "专家评审",
    )
    everything = exported((await staff.get("/alliances.xlsx")).content)[1]
    assert sorted(row[0] for row in everything) == sorted([sample, tiexi])
    by_name = exported((await staff.get("/alliances.xlsx", params={"q": "菱镁"})).content)[1]
    assert [row[0] for row in by_name] == [sample]


async def test_dashboard_counts_match_the_registry(bureau, as_user):
    await two_alliances(bureau)
    third = await bureau.submit(variant("08", District.TIEXI, "鞍山市钢铁冶金产业技术创新战略联盟"))
    await registered(bureau, third, "district_review")
    with session_scope(bureau.settings.registry_url()) as session:
        expected = dict(
            session.exec(select(Alliance.status, func.count()).group_by(Alliance.status)).all()
        )
    assert expected == {"district_review": 2, "expert_review": 1}

    page = (await (await as_user("staff")).get("/")).text
    shown = re.findall(
        r'data-status="([^"]+)">\s*<div class="muted">([^<]+)</div>\s*'
        r'<div class="stat">(\d+)</div>',
        page,
    )
    assert {status: int(count) for status, _, count in shown} == expected
    assert {name for _, name, _ in shown} == {"县区审查推荐", "专家评审"}
    assert 'id="total">3<' in page


async def test_dashboard_shows_deadlines_overdue_reports_and_reports_per_year(
    bureau, web_app, as_user
):
    code = await bureau.recognise()
    alliance = await registered(bureau, code, "active")
    year = alliance.recognised_on.year + 1  # a full report year whatever the recognition day
    staff = await as_user("staff")

    def rows_of(html: str, table: str) -> list[str]:
        section = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
        return re.findall(r'data-code="([^"]+)"(?: data-kind="([^"]+)")?', section)

    fix_clock(web_app, date(year, 12, 10))
    page = (await staff.get("/")).text
    assert (code, "annual_report") in rows_of(page, "deadlines")
    assert f"{year}年度报告提交截止" in page

    fix_clock(web_app, date(year + 1, 1, 5))
    page = (await staff.get("/")).text
    assert [c for c, _ in rows_of(page, "overdue")] == [code]
    assert listed((await staff.get("/alliances", params={"overdue": "1"})).text) == [code]

    fix_clock(web_app, alliance.term_end - timedelta(days=10))
    assert (code, "term_end") in rows_of((await staff.get("/")).text, "deadlines")

    await bureau.act(code, "submit_annual_report", annual_report(year))
    await reports_received(bureau, code, year)
    fix_clock(web_app, date(year + 1, 1, 5))
    page = (await staff.get("/")).text
    assert rows_of(page, "overdue") == []
    assert re.search(rf'<tr data-year="{year}">.*?class="count">1<', page, re.S)
    assert listed((await staff.get("/alliances", params={"overdue": "1"})).text) == []
    # The page seen on December 10 before the report came is not shown again after it.
    fix_clock(web_app, date(year, 12, 10))
    assert (code, "annual_report") not in rows_of((await staff.get("/")).text, "deadlines")
    figures = figures_on_page((await staff.get(f"/alliances/{code}")).text, year)
    assert figures["成果转化收入（万元）"] == "415.8"
    assert figures["技术创新平台建设或共享（个）"] == "3"
    assert len(figures) == len(FIGURES)


def figures_on_page(html: str, year: int) -> dict[str, str]:
    """The alliance page's innovation resource statistics of one report: label -> value."""
    section = html.split(f'id="statistics-{year}"', 1)[1].split("</details>", 1)[0]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(.*?)</td></tr>", section)
    return {label: re.sub(r"<[^>]+>", "", value) for label, value in rows}


async def test_a_report_entered_on_the_page_needs_every_figure_and_old_ones_show_not_reported(
    bureau, as_user
):
    code = await bureau.recognise()
    alliance = await registered(bureau, code, "active")
    year = alliance.recognised_on.year + 1
    staff = await as_user("staff")
    form = {
        "year": str(year),
        "summary": "年度总结：完成三项共性技术攻关",
        "next_year_plan": "下一年度计划：推进两项标准制定",
        **{name: str(value) for name, value in STATS.model_dump().items()},
    }

    async def enter(data: dict[str, str]):
        page = await staff.get(f"/alliances/{code}")
        assert "引进人才（人）" in page.text.split('id="form-submit_annual_report"', 1)[1]
        return await post_action(staff, code, "submit_annual_report", data)

    refused = await enter({**form, "government_funding_wan": ""})
    assert refused.status_code == 400 and "请填写获得政府资金支持（万元）" in refused.text
    refused = await enter({**form, "new_products": "-1"})
    assert refused.status_code == 400 and "新产品（项）应在0至1000000之间" in refused.text
    assert (await enter(form)).status_code == 303
    await reports_received(bureau, code, year)

    # A report stored before the later figures were asked for: the registry row has eight.
    with session_scope(bureau.settings.registry_url()) as session:
        session.add(
            AnnualReportRow(
                alliance_code=code,
                term_no=1,
                year=year - 1,
                status="accepted",
                statistics=STATS.model_dump(include=set(list(FIGURES)[:8])),
                updated_at=datetime.now(SHANGHAI),
            )
        )
    page = (await staff.get(f"/alliances/{code}")).text
    entered, stored = figures_on_page(page, year), figures_on_page(page, year - 1)
    assert entered["获得政府资金支持（万元）"] == "300" and entered["引进人才（人）"] == "12"
    assert stored["研发投入（万元）"] == "1250.5"
    assert stored["引进人才（人）"] == stored["新产品（项）"] == "未填报"


def annual_report(year: int) -> AnnualReportSubmission:
    return AnnualReportSubmission(
        request_id=request_id(),
        actor=Actor(name="联盟秘书处", role=Role.APPLICANT),
        year=year,
        summary="年度总结：完成三项共性技术攻关",
        next_year_plan="下一年度计划：推进两项标准制定",
        statistics=STATS,
    )


async def reports_received(bureau, code: str, year: int, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with session_scope(bureau.settings.registry_url()) as session:
            row = session.exec(
                select(AnnualReportRow).where(
                    AnnualReportRow.alliance_code == code, AnnualReportRow.year == year
                )
            ).first()
        if row is not None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {year} report row for {code}")


INVALID_HOLIDAYS = b"""year: 2031
holidays: ["2031-02-30", "2030-12-31"]
workdays: ["2031-01-06"]
colour: red
"""
VALID_HOLIDAYS = b"""year: 2031
holidays: ["2031-01-01"]
source: test
"""


async def upload(client, filename: str, content: bytes, csrf: str | None = None):
    page = await client.get("/calendar")
    return await client.post(
        "/calendar",
        data={"csrf": csrf if csrf is not None else csrf_of(page.text)},
        files={"file": (filename, content, "application/x-yaml")},
    )


async def test_holiday_calendar_is_for_administrators_only(as_user):
    staff = await as_user("staff")
    assert (await staff.get("/calendar")).status_code == 403
    csrf = csrf_of((await staff.get("/")).text)
    refused = await staff.post(
        "/calendar", data={"csrf": csrf}, files={"file": ("h.yaml", VALID_HOLIDAYS)}
    )
    assert refused.status_code == 403
    admin = await as_user("admin")
    page = await admin.get("/calendar")
    assert page.status_code == 200 and f'data-year="{date.today().year}"' in page.text


async def test_invalid_holiday_file_lists_every_problem_and_stores_nothing(bureau, as_user):
    url = bureau.settings.registry_url()
    before = loaded_years(url)
    admin = await as_user("admin")

    response = await upload(admin, "holidays-2031.yaml", INVALID_HOLIDAYS)
    assert response.status_code == 400
    problems = re.findall(r"<li>(.*?)</li>", response.text.split('id="problems"', 1)[1], re.S)
    assert len(problems) == 4, problems
    for needle in ("colour", "2031-02-30", "2030-12-31", "2031-01-06"):
        assert any(needle in p for p in problems), needle
    assert loaded_years(url) == before and 2031 not in before

    not_yaml = await upload(admin, "holidays.txt", VALID_HOLIDAYS)
    assert not_yaml.status_code == 400 and loaded_years(url) == before
    no_token = await upload(admin, "holidays-2031.yaml", VALID_HOLIDAYS, csrf="")
    assert no_token.status_code == 403 and loaded_years(url) == before


async def test_valid_holiday_file_is_loaded_listed_and_wakes_open_procedures(bureau, as_user):
    code = await bureau.submit()
    await registered(bureau, code, "district_review")
    admin = await as_user("admin")

    response = await upload(admin, "holidays-2031.yaml", VALID_HOLIDAYS)
    assert response.status_code == 200, response.text
    assert "已载入 2031 年节假日安排，已通知 1 个办理中的流程" in response.text
    assert re.search(r'<tr data-year="2031"><td>2031</td><td>test</td>', response.text)
    with session_scope(bureau.settings.registry_url()) as session:
        assert session.get(CalendarYear, 2031).source == "test"
    listing = (await admin.get("/calendar")).text
    assert '<tr data-year="2031"><td>2031</td><td>test</td>' in listing
