"""The alliance portal in a real browser: the contact activates the account from the link in
the captured receipt, signs in, and sees its alliance; every portal page is photographed
in Chinese and in English."""

from __future__ import annotations

import re

from tests.browser.conftest import new_page, screenshot
from tests.support.temporal import body_of

ACTIVATION = re.compile(r"https?://\S+?(/portal/activate\?token=[\w-]+)")
SECRET = "mishu-password-2026"


async def _switch_language(page, lang: str) -> None:
    if await page.locator("html").get_attribute("lang") != lang:
        async with page.expect_navigation():
            await page.click("#lang-switch")


async def test_the_alliance_activates_from_the_email_and_sees_its_pages(bureau, console, chromium):
    base, _ = console
    code = await bureau.submit()
    [receipt] = await bureau.wait_for_mail("application_received")
    contact = receipt["To"].split(",")[0].strip().lower()
    found = ACTIVATION.search(body_of(receipt))
    assert found, "the receipt carries no activation link"

    page = await new_page(chromium)
    await page.goto(base + found.group(1))
    assert code in await page.locator("main").inner_text()
    await screenshot(page, "portal-activate-zh")
    await page.fill("input[name=name]", "王秘书")
    await page.fill("input[name=password]", SECRET)
    await page.fill("input[name=password_again]", SECRET)
    async with page.expect_navigation():
        await page.click("#activate button.primary")
    assert page.url == f"{base}/portal/a/{code}"
    assert await page.locator("#alliance-code").inner_text() == code
    assert "王秘书" in await page.locator("#portal-user").inner_text()

    tasks = {
        "home": f"/portal/a/{code}",
        "report": f"/portal/a/{code}/reports/2026",
        "assessment": f"/portal/a/{code}/assessments/midterm",
        "rectification": f"/portal/a/{code}/rectification",
        "application": f"/portal/a/{code}/application",
    }
    for lang, suffix in (("zh-CN", "zh"), ("en", "en")):
        await _switch_language(page, lang)
        for name, path in tasks.items():
            await page.goto(base + path)
            assert await page.locator("html").get_attribute("lang") == lang
            await screenshot(page, f"portal-{name}-{suffix}")
        await page.goto(base + found.group(1))  # used once already
        assert await page.locator("#link-invalid").count() == 1
        await screenshot(page, f"portal-link-used-{suffix}")

    # Signed out, the person comes back with the password, in Chinese again.
    await _switch_language(page, "zh-CN")
    async with page.expect_navigation():
        await page.click("form[action='/portal/sign-out'] button")
    for lang, suffix in (("en", "en"), ("zh-CN", "zh")):
        await _switch_language(page, lang)
        await screenshot(page, f"portal-sign-in-{suffix}")
    await page.fill("#link-sign-in input[name=email]", contact)
    async with page.expect_navigation():
        await page.click("#link-sign-in button")
    assert await page.locator("#link-sent").count() == 1
    await screenshot(page, "portal-link-sent-zh")
    assert len(bureau.smtp.to(contact)) >= 2  # the receipt and the sign-in link

    await page.goto(f"{base}/portal/sign-in")
    await page.fill("#password-sign-in input[name=email]", contact)
    await page.fill("#password-sign-in input[name=password]", SECRET)
    async with page.expect_navigation():
        await page.click("#password-sign-in button.primary")
    assert page.url == f"{base}/portal/a/{code}"
    assert "待办事项" in await page.locator("#dues").inner_text()
