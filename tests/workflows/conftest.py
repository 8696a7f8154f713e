"""The recognition workflow on the time-skipping server, with real SMTP and registry."""

from __future__ import annotations

import pytest

from tests.support.calendars import prepare_calendar
from tests.support.smtp_fixture import settings_for, smtp_server  # noqa: F401
from tests.support.temporal import Bureau, start_time_skipping
from worker import build_worker


@pytest.fixture
async def env():
    env = await start_time_skipping()
    yield env
    await env.shutdown()


@pytest.fixture
async def bureau(env, sqlite_url, smtp_server, tmp_path):  # noqa: F811
    """The whole system on SQLite: time-skipping Temporal, worker, SMTP, registry."""
    settings = settings_for(smtp_server, sqlite_url, tmp_path)
    prepare_calendar(sqlite_url)
    async with build_worker(env.client, settings):
        yield Bureau(env=env, settings=settings, smtp=smtp_server)
