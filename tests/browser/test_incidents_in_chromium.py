"""Bureau staff find an incident (故障) in a real browser and re-queue it.

On the Temporal CLI dev server: the incidents page lists alliances through the visibility
query, which the time-skipping server does not answer.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import new_page, screenshot, sign_in
from tests.web.conftest import start_dev_server, submit_with_refused_receipt


@pytest.fixture
async def env():
    """Replaces the time-skipping server for this module's `bureau`."""
    env = await start_dev_server()
    yield env
    await env.shutdown()


async def test_staff_find_an_incident_and_retry_it_from_the_incidents_page(
    bureau, console, chromium
):
    base, _ = console
    code, addresses = await submit_with_refused_receipt(bureau)
    staff = await new_page(chromium)
    await sign_in(staff, base, "staff")

    await staff.goto(f"{base}/alliances/{code}")
    assert "有 1 项故障待处理" in await staff.content()
    emails = await staff.locator("#emails").inner_text()
    assert "发送失败" in emails and all(a in emails for a in addresses)
    await screenshot(staff, "alliance-incident")

    await staff.click("nav >> text=故障")
    listed = staff.locator(f"#incidents-{code}")
    for _ in range(50):  # visibility follows the workflow within a moment
        if await listed.count():
            break
        await staff.wait_for_timeout(200)
        await staff.reload()
    assert "待处理" in await listed.inner_text()
    await screenshot(staff, "incidents")

    bureau.smtp.refused.clear()  # the addresses are corrected
    async with staff.expect_navigation():
        await listed.locator("button.primary").click()
    assert "已受理（请求编号" in await staff.locator("#accepted").inner_text()
    await bureau.wait_for_mail("application_received")
    await bureau.settled(code)
    await staff.reload()
    assert "已重新排队" in await staff.locator("#incidents").inner_text()
