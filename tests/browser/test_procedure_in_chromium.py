"""The article-9 procedure's other turns, in the console alone, in Chromium: the district
returns the application, staff enter the alliance's correction in the application form,
the district recommends it; at the notice an objection from the public page is dismissed
and one received on paper is upheld, which ends the procedure."""

from __future__ import annotations

from datetime import timedelta

from domain.procedure import Stage
from domain.shanghai_time import start_of_day
from tests.browser.conftest import act, new_page, screenshot, sign_in
from tests.support.temporal import sample_application


async def test_a_return_a_correction_and_two_objections_through_the_pages(
    bureau, console, chromium
):
    base, sync_clock = console
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.wait_for_state(code, lambda s: s.clock is not None)
    reviewer = await new_page(chromium)
    await sign_in(reviewer, base, "gaoxin")

    async def give_back(form):
        await form.locator("input[value=return]").check()
        await form.locator("textarea[name=reasons]").fill("请补充经费管理制度")

    await act(reviewer, base, code, "district_review", give_back)
    await bureau.wait_for_state(code, lambda s: s.stage == Stage.CORRECTION)

    staff = await new_page(chromium)
    await sign_in(staff, base, "staff")
    for _ in range(40):  # the registry records the return a moment later
        await staff.goto(f"{base}/alliances/{code}")
        if await staff.locator("#open-resubmission").count():
            break
        await staff.wait_for_timeout(250)
    await staff.click("#open-resubmission")
    assert await staff.locator("input[name=alliance_name]").input_value() == app.alliance_name
    await staff.fill("textarea[name=management_rule]", "《联盟经费管理办法》（2026年修订）")
    await staff.fill("textarea[name=note]", "已补充经费管理制度")
    await screenshot(staff, "resubmission-form")
    async with staff.expect_navigation():
        await staff.click("form button.primary")
    assert "已受理" in await staff.locator("#accepted").inner_text()
    state = await bureau.wait_for_state(code, lambda s: s.stage == Stage.DISTRICT_REVIEW)
    assert state.application_version == 2

    async def recommend(form):
        await form.locator("input[value=recommend]").check()
        await form.locator("textarea[name=reasons]").fill("补正后符合条件")

    await act(reviewer, base, code, "district_review", recommend)
    await bureau.pass_expert_review(code)
    await bureau.approve_at_meeting(code)
    notice = (await bureau.wait_for_state(code, lambda s: s.notice is not None)).notice
    await bureau.sleep_until(start_of_day(notice.start) + timedelta(hours=10))
    await sync_clock()

    public = await new_page(chromium)
    await public.goto(f"{base}/notices/{code}")
    await public.fill("input[name=name]", "孙实名")
    await public.fill("input[name=contact]", "sun@example.com")
    await public.fill("textarea[name=text]", "成员单位数量有误")
    async with public.expect_navigation():
        await public.locator("form button").last.click()
    await bureau.wait_for_state(code, lambda s: len(s.objections) == 1)

    async def on_paper(form):
        await form.locator("input[name=name]").fill("王来信")
        await form.locator("input[name=contact]").fill("鞍山市铁东区来信路1号")
        await form.locator("textarea[name=text]").fill("牵头单位近三年有严重失信记录")

    await act(staff, base, code, "file_objection", on_paper)

    def resolve(number: int, result: str, reason: str):
        async def fill(form):
            await form.locator("input[name=objection_no]").fill(str(number))
            await form.locator(f"input[value={result}]").check()
            await form.locator("textarea[name=reason]").fill(reason)

        return fill

    summary = await act(staff, base, code, "resolve_objection", resolve(1, "dismiss", "经核实无误"))
    assert "异议不成立" in summary
    summary = await act(
        staff, base, code, "resolve_objection", resolve(2, "uphold", "经核实存在失信记录")
    )
    assert "异议成立" in summary
    assert (await bureau.result(code)).stage == Stage.REJECTED

    await staff.goto(f"{base}/alliances/{code}")
    page = await staff.content()
    assert "异议不成立" in page and "异议成立" in page
    await screenshot(staff, "objections-resolved")
    await staff.goto(f"{base}/lang/en?back=/alliances/{code}")
    assert "not recognised" in await staff.locator("#status").inner_text()
    await screenshot(staff, "objections-resolved-english")
