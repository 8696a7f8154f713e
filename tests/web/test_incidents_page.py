"""The incidents page on the Temporal CLI dev server, which answers the visibility list
query (`AllianceOpenIncidents > 0`) that the time-skipping server does not implement."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.web.conftest import retry, start_dev_server, submit_with_refused_receipt


@pytest.fixture
async def env():
    """Replaces the time-skipping server for this module's `bureau`."""
    env = await start_dev_server()
    yield env
    await env.shutdown()


async def listed(client, code: str, seconds: float = 15) -> str:
    """The incidents page once it lists the alliance (visibility follows within a moment)."""
    deadline = time.monotonic() + seconds
    while True:
        page = await client.get("/incidents")
        if f'id="incidents-{code}"' in page.text or time.monotonic() > deadline:
            return page.text
        await asyncio.sleep(0.2)


async def test_the_incidents_page_lists_an_open_incident_with_its_retry_button(bureau, as_user):
    staff = await as_user("staff")
    empty = await staff.get("/incidents")
    assert "目前没有待处理的故障" in empty.text and "没有被拒收或发送失败的邮件" in empty.text

    code, addresses = await submit_with_refused_receipt(bureau)
    page = await listed(staff, code)
    section = page.split(f'id="incidents-{code}"')[1].split("</section>")[0]
    assert f'href="/alliances/{code}"' in section
    assert "发送邮件通知：受理回执" in section and "待处理" in section
    assert f"/alliances/{code}/actions/retry_incident" in section
    assert all(a in page.split('id="undelivered"')[1] for a in addresses)
    assert "/incidents" in page and "故障" in page  # in the navigation

    bureau.smtp.refused.clear()
    assert (await retry(staff, code, 1)).status_code == 303
    await bureau.wait_for_mail("application_received")
    await bureau.settled(code)
    deadline = time.monotonic() + 15
    while f'id="incidents-{code}"' in (page := (await staff.get("/incidents")).text):
        assert time.monotonic() < deadline, "the re-queued incident is still listed"
        await asyncio.sleep(0.2)
    assert "目前没有待处理的故障" in page
