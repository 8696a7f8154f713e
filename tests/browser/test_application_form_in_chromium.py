"""Bureau staff enter an application in a real browser: the form's script adds and removes
member and contact rows (no inline script: the Content-Security-Policy allows none), and
after submitting the page waits for the registry, then opens the alliance."""

from __future__ import annotations

import re

from tests.browser.conftest import fill_application, new_page, screenshot, sign_in
from tests.support.temporal import sample_application


async def test_staff_add_and_remove_rows_and_submit_in_chromium(bureau, console, chromium):
    base, _ = console
    app = sample_application()
    page = await new_page(chromium)
    errors: list[str] = []  # a script refused by the Content-Security-Policy, or failing
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    missing: list[str] = []
    page.on("response", lambda response: response.status == 404 and missing.append(response.url))
    await sign_in(page, base, "staff")
    await page.goto(f"{base}/applications/new")
    members = page.locator("tbody[data-rows=member] tr[data-row]")
    contacts = page.locator("div[data-rows=contact] div[data-row]")
    assert await members.count() == 12, "rows offered without the script"

    for _ in range(8):
        await members.nth(0).get_by_role("button", name="删除").click()
    await page.get_by_role("button", name="添加成员").click()
    assert await members.count() == len(app.members) == 5
    added = members.nth(4).locator("input[name$=_name]")
    assert await added.get_attribute("name") == "member_12_name", "a new number for a new row"
    await contacts.nth(2).get_by_role("button", name="删除").click()
    assert await contacts.count() == len(app.contacts) == 2

    await fill_application(page, app)
    await screenshot(page, "new-application")

    await page.get_by_role("button", name="提交申请").click()
    code = bureau.code_of(app)
    await page.wait_for_url(re.compile(rf"/alliances/{code}\?done=submitted"), timeout=20_000)
    assert "已受理" in await page.locator("#accepted").inner_text()
    shown = await page.content()
    assert all(member.name in shown for member in app.members)
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
