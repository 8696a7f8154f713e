"""Only `alliance-admin migrate` changes the registry's schema. The web app and the other
commands, started on a registry nobody migrated, change nothing and say what to run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect

from domain.settings import PROJECT_ROOT, Settings
from registry.migrate import migrate
from tests.support.databases import postgres_registry
from web.app import create_app

ADMIN = str(Path(sys.executable).parent / "alliance-admin")


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_command_on_a_registry_never_migrated_says_to_migrate_and_creates_nothing(tmp_path):
    env = {**os.environ, "ALLIANCE_DATA_DIR": str(tmp_path)}
    env.pop("ALLIANCE_DATABASE_URL", None)
    listed = subprocess.run(
        [ADMIN, "list"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 3  # as for a registry that cannot be reached
    assert "alliance-admin migrate" in listed.stderr
    assert "Traceback" not in listed.stderr
    assert _tables(f"sqlite:///{tmp_path / 'registry.db'}") == set()

    migrated = subprocess.run(
        [ADMIN, "migrate"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "holiday calendar seeded" in migrated.stdout
    listed = subprocess.run(
        [ADMIN, "list"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'never-migrated.db'}"
        return
    with postgres_registry() as url:  # migrated by the helper: empty it again
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
        yield url


async def test_the_web_app_does_not_migrate_and_its_pages_say_to(tmp_path, unmigrated_url):
    app = create_app(Settings(data_dir=tmp_path, database_url=unmigrated_url), client=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as web:
        page = await web.get("/notices")
    assert page.status_code == 503
    assert "alliance-admin migrate" in page.text
    assert _tables(unmigrated_url) == set()

    migrate(unmigrated_url)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as web:
        page = await web.get("/notices")
    assert page.status_code == 200  # the public notices: the registry answers
