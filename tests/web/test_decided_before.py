"""The alliance page shows what was decided before and where the alliance stands: every
step's record with its reasons and details, the article-9 steps, and what is still ahead
in its term."""

from __future__ import annotations

from domain.term import report_years
from tests.web.test_registry_pages import registered


def _section(html: str, section_id: str) -> str:
    return html.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


async def test_the_director_s_clerk_sees_the_district_and_expert_records(bureau, as_user):
    code = await bureau.at_director_meeting()
    await registered(bureau, code, "director_meeting")
    clerk = await as_user("clerk")
    page = (await clerk.get(f"/alliances/{code}")).text

    decisions = _section(page, "decisions")
    assert "县区审查推荐：推荐" in decisions and "专家评审：通过" in decisions
    for expert, score in [("张教授", "88"), ("刘研究员", "85"), ("陈高工", "90")]:
        assert expert in decisions and score in decisions
    assert "87.67" in decisions  # the panel's average
    assert "组建必要" in decisions and "组建可行" in decisions
    assert "辽宁省科技咨询评估中心" in decisions

    process = _section(page, "process")
    assert '<li class="step-done">县区审查推荐' in process
    assert '<li class="step-current">局长办公会' in process
    assert '<li class="step-ahead">公示' in process


async def test_a_recognised_alliance_shows_its_meeting_approval_and_the_term_ahead(bureau, as_user):
    code = await bureau.recognise()
    await registered(bureau, code, "active")
    staff = await as_user("staff")
    page = (await staff.get(f"/alliances/{code}")).text

    decisions = _section(page, "decisions")
    assert "年第12次" in decisions  # the office meeting's number
    assert "局长办公会审议：通过，进入公示" in decisions and "下达批复文件：已下达" in decisions
    process = _section(page, "process")
    assert "step-current" not in process and "step-ahead" not in process
    term = await bureau.term_state(code)
    upcoming = process.split('id="upcoming"', 1)[1]  # the next six, then the rest folded
    assert any(f"{year}年度报告提醒" in upcoming for year in report_years(term))
    assert "期中考核评估开始" in upcoming and "期末综合评估开始" in upcoming
    assert "认定有效期届满" in upcoming
