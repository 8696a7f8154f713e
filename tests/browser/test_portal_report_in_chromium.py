"""The annual report through the alliance portal, in Chromium, on real parts: a recognised
alliance gets the first report reminder; its link leads (through sign-in) to the report
form; the report is sent with an attachment; a clerk accepts it in the console; and no
further reminder for that year is sent. The term's portal pages are photographed."""

from __future__ import annotations

import re
from datetime import timedelta

from domain.report_statistics import FIGURES
from domain.shanghai_time import at_local, local_date
from domain.term import ReportStatus, report_due, report_years
from tests.browser.conftest import act, new_page, screenshot, sign_in
from tests.support.temporal import body_of
from tests.web.test_portal_accounts import SECRET
from tests.web.test_portal_term import PDF, _recognised_with_account


def _report_mails(bureau, year: int) -> list:
    """Reminders and overdue notices that ask for `year`'s report."""
    return [
        m
        for purpose in ("report_reminder", "report_overdue", "report_final_reminder")
        for m in bureau.mails(purpose)
        if f"/reports/{year}" in body_of(m)
    ]


async def test_the_reminder_link_leads_to_the_report_which_is_sent_and_accepted(
    bureau, console, chromium, tmp_path
):
    base, sync_clock = console
    code, email = await _recognised_with_account(bureau)
    year = report_years(await bureau.term_state(code))[0]
    first_reminder = at_local(local_date(report_due(year)) - timedelta(days=30), 9)
    await bureau.sleep_until(first_reminder + timedelta(hours=1))
    await bureau.wait_for_mail("report_reminder")
    await sync_clock()
    [reminder] = _report_mails(bureau, year)
    link = re.search(r"https?://\S+?(/portal/a/\S+?/reports/\d+)", body_of(reminder))
    assert link, "the reminder carries no link to the report form"

    page = await new_page(chromium)
    await page.goto(base + link.group(1))  # not signed in yet: the sign-in page first
    await page.fill("#password-sign-in input[name=email]", email)
    await page.fill("#password-sign-in input[name=password]", SECRET)
    async with page.expect_navigation():
        await page.click("#password-sign-in button.primary")
    assert page.url == f"{base}/portal/a/{code}/reports/{year}"
    form = page.locator("#hand-in")
    for name, figure in FIGURES.items():
        await form.locator(f"input[name={name}]").fill("12.5" if figure.money else "4")
    # The text last: leaving a focused number field as the button is pressed moves the
    # button in headless Chromium, and the click lands on the form instead.
    await form.locator("textarea[name=summary]").fill("完成镁质耐火材料三项共性技术攻关")
    await form.locator("textarea[name=next_year_plan]").fill("推进两项团体标准")
    evidence = tmp_path / "研发投入明细.pdf"
    evidence.write_bytes(PDF)
    await form.locator("input[name=attachments]").set_input_files(str(evidence))
    await screenshot(page, "portal-term-report-form")
    async with page.expect_navigation():
        await form.locator("button.primary").click()
    assert "已提交" in await page.locator("#sent").inner_text()
    assert "研发投入明细.pdf" in await page.locator("#sent-files").inner_text()
    await screenshot(page, "portal-term-report-sent")
    state = await bureau.wait_for_term(
        code, lambda s: s.report(year) is not None and s.report(year).status == "submitted"
    )
    assert state.report(year).summary == "完成镁质耐火材料三项共性技术攻关"

    clerk = await new_page(chromium)
    await sign_in(clerk, base, "staff")

    async def accept(form):
        await form.locator("input[name=year]").fill(str(year))
        await form.locator("input[value=accept]").check()
        await form.locator("textarea[name=reasons]").fill("材料齐全，审核通过")

    await act(clerk, base, code, "review_annual_report", accept)
    await bureau.wait_for_mail("report_accepted")
    await clerk.goto(f"{base}/alliances/{code}")
    assert "研发投入明细.pdf" in await clerk.locator("#portal-files").inner_text()

    # Past every later reminder date and the deadline itself: nothing more is asked.
    asked = len(_report_mails(bureau, year))
    await bureau.sleep_until(report_due(year) + timedelta(days=2))
    await bureau.settled(code)
    await sync_clock()
    assert len(_report_mails(bureau, year)) == asked == 1
    assert (await bureau.term_state(code)).report(year).status == ReportStatus.ACCEPTED

    for name, path in (
        ("home", ""),
        ("report-accepted", f"/reports/{year}"),
        ("record", "/record"),
        ("changes", "/changes"),
    ):
        await page.goto(f"{base}/portal/a/{code}{path}")
        await screenshot(page, f"portal-term-{name}")
    await page.goto(f"{base}/portal/a/{code}/record")
    assert "年度报告审核通过" in await page.locator("#timeline").inner_text()
    assert await page.locator("#certificate-download").count() == 1
