"""Apply online in a real browser: a person registers an address on the portal, activates
the account from the captured email, saves a draft, sees every problem at once, submits
and lands on the alliance's portal home; the district returns the application, and the
alliance reads the reasons, corrects it and resubmits. Each page is photographed."""

from __future__ import annotations

import re
import time
import uuid

from client.actions import StaffAction
from client.alliances import act
from domain.districts import District
from domain.procedure import Actor, DistrictReview, ReviewOutcome, Role
from tests.browser.conftest import fill_application, new_page, pdf, screenshot
from tests.support.temporal import body_of, sample_application
from tests.web.test_registry_pages import registered

ACTIVATION = re.compile(r"https?://\S+?(/portal/activate\?token=[\w-]+)")
APPLICANT = "shenqing@lead-unit.cn"
SECRET = "shenqing-password-2026"
REASONS = "经费管理制度不完整，请补充经费使用和审计办法"
# the draft already holds the alliance's name and its agreement
ATTACHED_LATER = ("application_form", "necessity_statement")


async def test_the_alliance_applies_online_is_returned_and_resubmits(bureau, console, chromium):
    base, _ = console
    app = sample_application()
    page = await new_page(chromium)

    await page.goto(f"{base}/portal/apply")
    await screenshot(page, "portal-apply-register")
    await page.fill("#register-form input[name=email]", APPLICANT)
    async with page.expect_navigation():
        await page.click("#register-form button")
    assert await page.locator("#link-sent").count() == 1
    [mail] = bureau.smtp.to(APPLICANT)
    found = ACTIVATION.search(body_of(mail))
    assert found, "the email carries no activation link"
    await page.goto(base + found.group(1))
    await screenshot(page, "portal-apply-activate")
    await page.fill("input[name=name]", "李申报")
    await page.fill("input[name=password]", SECRET)
    await page.fill("input[name=password_again]", SECRET)
    async with page.expect_navigation():
        await page.click("#activate button.primary")
    assert page.url == f"{base}/portal/apply"

    # a draft: the name and the signed agreement, kept by the server
    await page.fill("input[name=alliance_name]", app.alliance_name)
    await page.set_input_files("input[name=agreement]", pdf("agreement.pdf"))
    async with page.expect_navigation():
        await page.click("#save-draft")
    assert await page.locator("#saved").count() == 1
    assert "agreement.pdf" in await page.locator("main").inner_text()
    await screenshot(page, "portal-apply-draft")

    # submitted half done: every problem at once, nothing registered
    async with page.expect_navigation():
        await page.click("#submit-application")
    problems = page.locator("#problems li")
    assert await problems.count() > 3
    assert await page.locator("input[name=alliance_name]").input_value() == app.alliance_name
    await screenshot(page, "portal-apply-problems")

    await fill_application(page, app, documents=ATTACHED_LATER)
    await page.click("#submit-application")
    code = bureau.code_of(app)
    await page.wait_for_url(f"{base}/portal/a/{code}", timeout=20_000)
    assert await page.locator("#alliance-code").inner_text() == code
    assert "联盟管理员" in await page.locator("main").inner_text()
    await screenshot(page, "portal-apply-home")

    # the district returns it, as its reviewer does in the console
    await bureau.wait_for_state(code, lambda s: s.clock is not None)
    reviewer = Actor(
        name="高新区审查员", role=Role.DISTRICT_REVIEWER, district=District(app.district)
    )
    review = DistrictReview(
        request_id=uuid.uuid4().hex,
        actor=reviewer,
        outcome=ReviewOutcome.RETURN,
        reasons=REASONS,
    )
    await act(bureau.client, code, StaffAction.DISTRICT_REVIEW, review)
    await registered(bureau, code, "correction")

    await page.goto(f"{base}/portal/a/{code}")
    async with page.expect_navigation():
        await page.click(f"#dues a[href='/portal/a/{code}/application']")
    assert await page.locator("#reasons").inner_text() == REASONS
    assert "agreement.pdf" in await page.locator("main").inner_text()
    await screenshot(page, "portal-apply-returned")
    await page.fill("textarea[name=management_rule]", "《联盟经费管理办法》：专款专用，年度审计")
    await page.fill("textarea[name=note]", "已补充经费使用和审计办法")
    async with page.expect_navigation():
        await page.click("#submit-application")
    assert await page.locator("#resubmitted").count() == 1
    state = await bureau.state(code)
    assert state.application_version == 2 and state.decisions[-1].actor.name == "李申报"

    deadline = time.monotonic() + 15
    while await page.locator("#versions tr[data-version]").count() < 2:
        assert time.monotonic() < deadline, "the second version was never listed"
        await page.wait_for_timeout(200)
        await page.reload()
    await screenshot(page, "portal-apply-resubmitted")
