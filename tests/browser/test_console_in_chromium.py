"""Clerks in a real browser: article 9 through the pages, the public objection form, and an
annual report entered through the form that stops the reminders."""

from __future__ import annotations

from datetime import timedelta

from domain.procedure import Stage
from domain.report_statistics import FIGURES
from domain.shanghai_time import at_local, end_of_day, local_date, start_of_day
from domain.term import report_due, report_years
from tests.browser.conftest import new_page, screenshot, sign_in
from tests.support.temporal import sample_application


async def _act_on_page(page, base, code, form_id, fill):
    await page.goto(f"{base}/alliances/{code}")
    form = page.locator(f"#form-{form_id}")
    if await form.get_attribute("open") is None:  # folded unless it is the step waited on
        await form.locator("summary").click()
    await fill(form)
    async with page.expect_navigation():
        await form.locator("button.primary").click()
    # 核对: what will be recorded, in words, before it is
    assert "请核对后确认" in await page.locator("#confirm").inner_text()
    await screenshot(page, f"confirm-{form_id}")
    async with page.expect_navigation():
        await page.locator("#confirm-action").click()


async def test_staff_take_an_application_to_a_certificate_through_the_pages(
    bureau, console, chromium
):
    base, sync_clock = console
    code = await bureau.submit(sample_application())
    await bureau.wait_for_state(code, lambda s: s.clock is not None)

    reviewer = await new_page(chromium)
    await sign_in(reviewer, base, "gaoxin")
    await reviewer.goto(f"{base}/inbox")
    await screenshot(reviewer, "inbox-district-reviewer")
    await reviewer.click(f"a[href='/alliances/{code}']")
    await screenshot(reviewer, "alliance-district-review")

    async def recommend(form):
        await form.locator("input[value=recommend]").check()
        await form.locator("textarea[name=reasons]").fill("材料齐全，符合认定条件")

    await _act_on_page(reviewer, base, code, "district_review", recommend)
    accepted = await reviewer.locator("#accepted").inner_text()
    assert accepted.startswith("已受理（请求编号 ") and "邮件通知随后完成" in accepted

    await bureau.wait_for_state(code, lambda s: s.stage == Stage.EXPERT_REVIEW and s.clock)
    expert = await new_page(chromium)
    await sign_in(expert, base, "expert")

    async def review(form):
        await form.locator("input[name=organisation]").fill("辽宁省科技咨询评估中心")
        await form.locator("textarea[name=panel]").fill(
            "张教授:辽宁科技大学:88\n刘研究员:鞍钢:85\n陈高工:质检院:90"
        )
        await form.locator("textarea[name=necessity_opinion]").fill("组建必要")
        await form.locator("textarea[name=feasibility_opinion]").fill("组建可行")
        await form.locator("input[value=pass]").check()

    await _act_on_page(expert, base, code, "expert_review", review)

    await bureau.wait_for_state(code, lambda s: s.stage == Stage.DIRECTOR_MEETING and s.clock)
    clerk = await new_page(chromium)
    await sign_in(clerk, base, "clerk")
    today = local_date(await bureau.now()).isoformat()

    async def approve(form):
        await form.locator("input[name=meeting_number]").fill("2026年第12次")
        await form.locator("input[name=meeting_date]").fill(today)
        await form.locator("input[value=approve]").check()
        await form.locator("textarea[name=reasons]").fill("同意认定，进入公示")

    await _act_on_page(clerk, base, code, "meeting_decision", approve)
    state = await bureau.wait_for_state(code, lambda s: s.notice is not None)
    await clerk.goto(f"{base}/alliances/{code}")
    assert f"{state.notice.start} — {state.notice.end}" in await clerk.content()

    # 9.5: after the notice, bureau staff record the approval document on a working day.
    await bureau.sleep_until(end_of_day(state.notice.end) + timedelta(hours=1))
    waiting = await bureau.wait_for_state(code, lambda s: s.stage == Stage.APPROVAL and s.clock)
    first_day = waiting.approval_plan.first_day
    await bureau.sleep_until(at_local(first_day, 10))
    await bureau.settled(code)
    await sync_clock()
    staff = await new_page(chromium)
    await sign_in(staff, base, "staff")
    await staff.goto(f"{base}/alliances/{code}")
    await screenshot(staff, "alliance-approval-document")

    async def record_approval(form):
        await form.locator("input[name=document_number]").fill("鞍科批〔2026〕7号")
        await form.locator("input[name=document_date]").fill(first_day.isoformat())

    await _act_on_page(staff, base, code, "record_approval", record_approval)
    await bureau.wait_for_mail("term_started")
    await bureau.settled(code)
    await staff.goto(f"{base}/alliances/{code}")
    assert "认定有效" in await staff.locator("#status").inner_text()
    await screenshot(staff, "alliance-recognised")
    async with staff.expect_download() as download:
        await staff.click("text=下载证书")
    assert (await download.value).suggested_filename.endswith(".pdf")
    await staff.goto(f"{base}/")
    await screenshot(staff, "dashboard")
    await staff.goto(f"{base}/alliances")
    assert code in await staff.content()
    await screenshot(staff, "alliance-list")
    await staff.goto(f"{base}/lang/en?back=/alliances")
    assert "Alliances" in await staff.content()
    await screenshot(staff, "alliance-list-english")
    # The same pages in English: words, not the Chinese labels or stored codes.
    await staff.goto(f"{base}/alliances/{code}")
    assert "recognised (valid)" in await staff.locator("#status").inner_text()
    decisions = await staff.locator("#decisions").inner_text()
    assert "expert review: passed" in decisions and "专家评审" not in decisions
    await screenshot(staff, "alliance-recognised-english")
    await staff.goto(f"{base}/")
    await screenshot(staff, "dashboard-english")
    await staff.goto(f"{base}/inbox")
    await screenshot(staff, "inbox-english")


async def test_an_objection_filed_on_the_public_page_holds_recognition(bureau, console, chromium):
    base, sync_clock = console
    code = await bureau.at_director_meeting()
    await bureau.approve_at_meeting(code)
    notice = (await bureau.wait_for_state(code, lambda s: s.notice is not None)).notice
    await bureau.sleep_until(start_of_day(notice.start) + timedelta(hours=10))
    await sync_clock()

    public = await new_page(chromium)
    await public.goto(f"{base}/notices")
    assert sample_application().alliance_name in await public.content()
    await screenshot(public, "public-notices")
    await public.goto(f"{base}/notices/{code}")
    await public.fill("input[name=name]", "孙实名")
    await public.fill("input[name=contact]", "sun@example.com")
    await public.fill("textarea[name=text]", "成员单位存在虚报情况")
    await public.locator("form button").last.click()
    await public.wait_for_load_state()
    assert "编号" in await public.content()
    await screenshot(public, "public-objection-received")

    await bureau.sleep_until(end_of_day(notice.end) + timedelta(days=3))
    assert (await bureau.state(code)).stage == Stage.PUBLIC_NOTICE
    assert bureau.mails("recognised") == []
    assert len(bureau.mails("objection_received")) == 1


async def test_an_annual_report_entered_through_the_form_stops_the_reminders(
    bureau, console, chromium
):
    base, sync_clock = console
    code = await bureau.recognise()
    term = await bureau.term_state(code)
    year = report_years(term)[0]
    await bureau.sleep_until(at_local(local_date(report_due(year)) - timedelta(days=30), 10))
    assert len(await bureau.wait_for_mail("report_reminder")) == 1

    staff = await new_page(chromium)
    await sign_in(staff, base, "staff")

    async def enter_report(form):
        await form.locator("input[name=year]").fill(str(year))
        await form.locator("textarea[name=summary]").fill("年度总结")
        await form.locator("textarea[name=next_year_plan]").fill("下一年度计划")
        for name, figure in FIGURES.items():
            await form.locator(f"input[name={name}]").fill("3.5" if figure.money else "3")

    await _act_on_page(staff, base, code, "submit_annual_report", enter_report)
    await screenshot(staff, "alliance-report-entered")
    await bureau.wait_for_term(code, lambda s: s.report(year) is not None)
    await bureau.sleep_until(report_due(year) + timedelta(days=40))
    assert len(bureau.mails("report_reminder")) == 1
    assert bureau.mails("report_overdue") == [] and bureau.mails("report_escalation") == []
