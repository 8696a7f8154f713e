"""Headless Debian Chromium, driven by Playwright, against the real console app.

The app runs in this test's event loop (uvicorn), wired to the time-skipping Temporal
server, the in-process SMTP server and the registry, like the rest of the suite.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import async_playwright

from domain.settings import PROJECT_ROOT
from tests.support.smtp_fixture import smtp_server  # noqa: F401
from tests.web.conftest import PASSWORD, as_user, web_app  # noqa: F401
from tests.workflows.conftest import bureau, env  # noqa: F401

SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Debian's chromium is not installed: scripts/test.sh installs it (apt-get)"
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def console(web_app, bureau):  # noqa: F811
    """The console served on a free local port; its clock is the simulated one."""
    clock_offset = {"now": await bureau.now()}
    web_app.state.clock = lambda: clock_offset["now"]
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning")
    )
    server.install_signal_handlers = lambda: None
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)

    async def sync_clock() -> None:
        clock_offset["now"] = await bureau.now()

    yield f"http://127.0.0.1:{port}", sync_clock
    server.should_exit = True
    await task


@pytest.fixture
async def chromium():
    """A headless Chromium; `await new_page(chromium)` gives each user a fresh session."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        await browser.close()


async def new_page(browser):
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    return await context.new_page()


async def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def sign_in(page, base: str, username: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button.primary")
    await page.wait_for_url(f"{base}/")


async def open_form(page, base: str, code: str, form_id: str, seconds: float = 10):
    """The alliance page with the form `form_id`, reloaded until the registry offers it."""
    for _ in range(int(seconds / 0.25)):
        await page.goto(f"{base}/alliances/{code}")
        form = page.locator(f"#form-{form_id}")
        if await form.count():
            if await form.get_attribute("open") is None:  # folded: open it by its title
                await form.locator("summary").click()
            return form
        await page.wait_for_timeout(250)
    raise AssertionError(f"the alliance page never offered {form_id}")


async def act(page, base: str, code: str, form_id: str, fill) -> str:
    """Fill the form, check the summary, confirm; the accepted line is returned."""
    form = await open_form(page, base, code, form_id)
    await fill(form)
    async with page.expect_navigation():
        await form.locator("button.primary").click()
    summary = await page.locator("#will-record").inner_text()
    async with page.expect_navigation():
        await page.locator("#confirm-action").click()
    assert "已受理" in await page.locator("#accepted").inner_text(), summary
    return summary


def pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": f"%PDF-1.4 {name}".encode()}


async def fill_application(
    page, app, documents=("agreement", "application_form", "necessity_statement")
) -> None:
    """Fill the application form (console or portal) with `app`: members with their
    licences, contacts, every field, and the article-10 `documents` as PDFs."""
    members = page.locator("tbody[data-rows=member] tr[data-row]")
    for i, member in enumerate(app.members):
        row = members.nth(i)
        await row.locator("input[name$=_name]").fill(member.name)
        await row.locator("select[name$=_kind]").select_option(member.kind.value)
        await row.locator("input[name$=_code]").fill(member.credit_code)
        await row.locator("select[name$=_role]").select_option(member.role.value)
        await row.locator("input[name$=_task]").fill(member.task)
        await row.locator("input[type=file]").set_input_files(pdf(f"licence-{i}.pdf"))
    contacts = page.locator("div[data-rows=contact] div[data-row]")
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
    for name in documents:
        await page.set_input_files(f"input[name={name}]", pdf(f"{name}.pdf"))
