"""A recognised alliance's five years in the console alone, in Chromium: an annual report
entered, returned and accepted; a poor mid-term with its rectification re-checked; a
final passed into term 2. Every decision goes through its form and the confirmation page,
and the alliance page is photographed in both languages."""

from __future__ import annotations

from datetime import timedelta

from domain.report_statistics import FIGURES
from domain.shanghai_time import end_of_day
from domain.term import AssessmentKind, TermStatus, assessment_opens, report_years
from tests.browser.conftest import act, new_page, screenshot, sign_in


async def test_five_years_in_the_console_to_the_second_term(bureau, console, chromium):
    base, sync_clock = console
    code = await bureau.recognise()
    term = await bureau.term_state(code)
    year = report_years(term)[0]
    staff = await new_page(chromium)
    await sign_in(staff, base, "staff")

    async def report(form):
        await form.locator("input[name=year]").fill(str(year))
        await form.locator("textarea[name=summary]").fill("完成三项共性技术攻关")
        await form.locator("textarea[name=next_year_plan]").fill("推进两项团体标准")
        for name, figure in FIGURES.items():
            await form.locator(f"input[name={name}]").fill("12.5" if figure.money else "4")

    await act(staff, base, code, "submit_annual_report", report)

    async def give_back(form):
        await form.locator("input[name=year]").fill(str(year))
        await form.locator("input[value=return]").check()
        await form.locator("textarea[name=reasons]").fill("缺少研发投入佐证材料")

    summary = await act(staff, base, code, "review_annual_report", give_back)
    assert "退回修改" in summary and "缺少研发投入佐证材料" in summary
    await bureau.wait_for_mail("report_returned")
    await act(staff, base, code, "submit_annual_report", report)

    async def accept(form):
        await form.locator("input[name=year]").fill(str(year))
        await form.locator("input[value=accept]").check()
        await form.locator("textarea[name=reasons]").fill("材料齐全，审核通过")

    await act(staff, base, code, "review_annual_report", accept)
    await bureau.wait_for_mail("report_accepted")

    # Year 3: the mid-term opens; the materials come in, the grade is poor.
    await bureau.sleep_until(assessment_opens(term, AssessmentKind.MIDTERM) + timedelta(hours=1))
    await bureau.wait_for_mail("assessment_opened")
    await sync_clock()

    def materials(kind: str):
        async def fill(form):
            await form.locator(f"input[name=kind][value={kind}]").check()
            await form.locator("textarea[name=summary]").fill("考核材料：工作总结、成果清单")

        return fill

    await act(staff, base, code, "submit_assessment_materials", materials("midterm"))

    def grade(kind: str, value: str, opinion: str):
        async def fill(form):
            await form.locator(f"input[name=kind][value={kind}]").check()
            await form.locator(f"input[name=grade][value={value}]").check()
            await form.locator("textarea[name=opinion]").fill(opinion)

        return fill

    summary = await act(
        staff, base, code, "record_assessment", grade("midterm", "poor", "合作项目进展缓慢")
    )
    assert "较差" in summary and "poor" not in summary
    await bureau.wait_for_mail("rectification_notice")

    async def rectified(form):
        await form.locator("textarea[name=report]").fill("已调整合作项目计划并落实经费")

    await act(staff, base, code, "submit_rectification_report", rectified)

    async def recheck(form):
        await form.locator("input[value=pass]").check()
        await form.locator("textarea[name=reason]").fill("整改到位")

    await act(staff, base, code, "recheck_rectification", recheck)
    await bureau.wait_for_term(code, lambda s: s.status == TermStatus.ACTIVE)
    await staff.goto(f"{base}/alliances/{code}")
    await screenshot(staff, "term-after-rectification")

    # Year 5: the final passes and the certificate is renewed for a second term.
    await bureau.sleep_until(assessment_opens(term, AssessmentKind.FINAL) + timedelta(hours=1))
    await sync_clock()
    await act(staff, base, code, "submit_assessment_materials", materials("final"))
    await act(staff, base, code, "record_assessment", grade("final", "good", "联盟运行良好"))
    await bureau.wait_for_mail("renewed")
    await bureau.sleep_until(end_of_day(term.term_end) + timedelta(days=2))
    await bureau.wait_for_term(code, lambda s: s.term_no == 2)
    await sync_clock()

    await staff.goto(f"{base}/alliances/{code}")
    assessments = await staff.locator("#assessments").inner_text()
    assert "期中考核评估" in assessments and "较差" in assessments and "良好" in assessments
    timeline = await staff.locator("#timeline").inner_text()
    assert "整改复核通过" in timeline and "期末综合评估结果：良好" in timeline
    await screenshot(staff, "term-2-started")
    await staff.goto(f"{base}/lang/en?back=/alliances/{code}")
    timeline = await staff.locator("#timeline").inner_text()
    assert "rectification re-check passed" in timeline
    await screenshot(staff, "term-2-started-english")


PAGES = {
    "dashboard": "/",
    "inbox": "/inbox",
    "alliances": "/alliances",
    "incidents": "/incidents",
    "meeting": "/meetings/new",
    "new-application": "/applications/new",
    "notices": "/notices",
    "certificates": "/certificates",
    "objection-lookup": "/objections",
}


async def test_every_page_in_both_languages_for_staff_and_administrators(bureau, console, chromium):
    base, _ = console
    code = await bureau.recognise()
    for user, pages in [
        ("staff", {**PAGES, "alliance": f"/alliances/{code}"}),
        ("admin", {"users": "/users", "calendar": "/calendar"}),
    ]:
        page = await new_page(chromium)
        await sign_in(page, base, user)
        for lang in ("zh-CN", "en"):
            await page.goto(f"{base}/lang/{lang}?back=/")
            for name, path in pages.items():
                response = await page.goto(f"{base}{path}")
                assert response is not None and response.status == 200, (user, path)
                await screenshot(page, f"{lang}-{name}")
