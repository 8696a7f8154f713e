"""Several `alliance-admin migrate` jobs starting at once on a fresh PostgreSQL registry
(a compose restart, two deployments racing) all succeed: one migrates and seeds the holiday
calendar, the others wait and find both current, instead of failing on a duplicate table,
version row or holiday day."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

from domain.settings import PROJECT_ROOT
from registry.calendar_store import package_years
from tests.support.databases import POSTGRES_ADMIN_DSN

ADMIN = str(Path(sys.executable).parent / "alliance-admin")


def test_three_migrate_jobs_on_a_fresh_database_at_once_all_succeed(tmp_path):
    name = f"alliance_race_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    env = {
        **os.environ,
        "ALLIANCE_DATABASE_URL": f"{base}/{name}",
        "ALLIANCE_DATA_DIR": str(tmp_path),
    }
    try:
        processes = [
            subprocess.Popen(
                [ADMIN, "migrate"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(3)
        ]
        outcomes = [(p.wait(timeout=120), p.stdout.read() if p.stdout else "") for p in processes]
        assert [status for status, _ in outcomes] == [0, 0, 0], outcomes
        said = "".join(output for _, output in outcomes)
        assert said.count("holiday calendar seeded") == 1, said
        assert said.count("holiday years loaded") == 2, said
        with psycopg.connect(POSTGRES_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}") as db:
            versions = db.execute("SELECT version_num FROM alembic_version").fetchall()
            years = db.execute("SELECT count(*) FROM calendaryear").fetchone()
        assert len(versions) == 1  # one head, written once
        assert years == (len(package_years()),)
    finally:
        with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
