"""/metrics counts open incidents and undelivered notices, on the Temporal CLI dev server
(the time-skipping server does not answer the visibility query it sums)."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.web.conftest import browser, start_dev_server, submit_with_refused_receipt


@pytest.fixture
async def env():
    """Replaces the time-skipping server for this module's `bureau`."""
    env = await start_dev_server()
    yield env
    await env.shutdown()


async def _scrape_until(prometheus, line: str, seconds: float = 15) -> str:
    """The metrics once `line` is in them (visibility follows within a moment)."""
    deadline = time.monotonic() + seconds
    while line not in (text := (await prometheus.get("/metrics")).text):
        if time.monotonic() > deadline:
            return text
        await asyncio.sleep(0.2)
    return text


async def test_a_refused_receipt_shows_as_a_failed_notice_and_an_open_incident(bureau, web_app):
    async with browser(web_app) as prometheus:
        before = await _scrape_until(prometheus, "alliance_open_incidents 0.0")
        code, _ = await submit_with_refused_receipt(bureau)
        during = await _scrape_until(prometheus, "alliance_open_incidents 1.0")

    assert 'alliance_metrics_source_up{source="temporal"} 1.0' in before
    assert "alliance_open_incidents 0.0" in before
    assert "alliance_open_incidents 1.0" in during
    assert 'alliance_notices{purpose="application_received",status="failed"} 1.0' in during
    assert code not in during and "@" not in during  # no alliance, name or address in it
