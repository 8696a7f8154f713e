"""Bureau staff enter an application in a real browser: the form's script adds and removes
member and contact rows (no inline script: the Content-Security-Policy allows none), and
after submitting the page waits for the registry, then opens the alliance."""

from __future__ import annotations

import re

from tests.browser.conftest import new_page, screenshot, sign_in
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

    for i, member in enumerate(app.members):
        row = members.nth(i)
        await row.locator("input[name$=_name]").fill(member.name)
        await row.locator("select[name$=_kind]").select_option(member.kind.value)
        await row.locator("input[name$=_code]").fill(member.credit_code)
        await row.locator("select[name$=_role]").select_option(member.role.value)
        await row.locator("input[name$=_task]").fill(member.task)
        await row.locator("input[type=file]").set_input_files(
            {"name": f"licence-{i}.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}
        )
    for i, contact in enumerate(app.contacts):
        await contacts.nth(i).locator("input[name$=_name]").fill(contact.name)
        await contacts.nth(i).locator("input[name$=_email]").fill(contact.email)
    fields = {
        "alliance_name": app.alliance_name,
        "industry_field": app.industry_field,
        "lead_unit": app.lead_unit,
        "established_on": app.established_on.isoformat() if app.established_on else "",
        "establishment_basis": app.establishment_basis,
        "operating_funds_wan": str(app.funding.operating_funds_wan),
        "project_funds_wan": str(app.funding.project_funds_wan),
    }
    for key in ("decision", "executive", "advisory"):
        body = getattr(app.bodies, key)
        fields |= {f"{key}_name": body.name, f"{key}_person": body.responsible_person}
    for name, value in fields.items():
        await page.fill(f"input[name={name}]", value)
    for name in ("institute_advanced_level", "innovation_goals", "early_results"):
        await page.fill(f"textarea[name={name}]", getattr(app, name))
    await page.fill("textarea[name=management_rule]", app.funding.management_rule)
    await page.select_option("select[name=industry_sector]", app.industry_sector)
    await page.select_option("select[name=district]", app.district.value)
    await page.check("input[name=agreement_complies]")
    await page.check("input[name=executive_full_time]")
    for name in ("agreement", "application_form", "necessity_statement"):
        await page.set_input_files(
            f"input[name={name}]",
            {"name": f"{name}.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"},
        )
    await screenshot(page, "new-application")

    await page.get_by_role("button", name="提交申请").click()
    code = bureau.code_of(app)
    await page.wait_for_url(re.compile(rf"/alliances/{code}\?done=submitted"), timeout=20_000)
    assert "已受理" in await page.locator("#accepted").inner_text()
    shown = await page.content()
    assert all(member.name in shown for member in app.members)
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
