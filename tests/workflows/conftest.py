"""The recognition workflow on the time-skipping server, with real SMTP and registry."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest

from tests.support.databases import postgres_registry, sqlite_registry
from tests.support.smtp_fixture import settings_for, smtp_server  # noqa: F401
from tests.support.temporal import Bureau, start_time_skipping
from worker import build_worker


@pytest.fixture
async def env():
    env = await start_time_skipping()
    yield env
    await env.shutdown()


@asynccontextmanager
async def _running_bureau(env, url, smtp, tmp_path):
    """`url`: a registry holding the test calendar (`prepare_calendar`)."""
    settings = settings_for(smtp, url, tmp_path)
    async with build_worker(env.client, settings):
        yield Bureau(env=env, settings=settings, smtp=smtp)


@pytest.fixture
async def bureau(env, smtp_server, tmp_path):  # noqa: F811
    """The whole system on SQLite: time-skipping Temporal, worker, SMTP, registry."""
    with sqlite_registry(tmp_path, calendar=True) as url:
        async with _running_bureau(env, url, smtp_server, tmp_path) as bureau:
            yield bureau


@pytest.fixture(params=["sqlite", "postgresql"])
async def bureau_each_db(request, env, smtp_server, tmp_path):  # noqa: F811
    """The whole system once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        registry = sqlite_registry(tmp_path, calendar=True)
    else:
        registry = postgres_registry(calendar=True)
    with registry as url:
        async with _running_bureau(env, url, smtp_server, tmp_path) as bureau:
            yield bureau


@pytest.fixture
def operator_env(bureau, monkeypatch):
    """Point the operator commands' settings at the system the test runs."""
    from domain.settings import get_settings

    monkeypatch.setenv("ALLIANCE_TEMPORAL_ADDRESS", bureau.client.service_client.config.target_host)
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", bureau.settings.registry_url())
    monkeypatch.setenv("ALLIANCE_SMTP_PORT", str(bureau.settings.smtp_port))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield bureau
    get_settings.cache_clear()
