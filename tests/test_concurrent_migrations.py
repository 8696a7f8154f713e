"""Several processes starting at once on a fresh PostgreSQL registry (a worker, two web
processes, the migrate job) all bring the schema up: one migrates, the others wait and
find it current, instead of failing on a duplicate table or version row."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg

from domain.settings import PROJECT_ROOT
from tests.support.databases import POSTGRES_ADMIN_DSN

MIGRATE = "import sys; from registry.database import upgrade_schema; upgrade_schema(sys.argv[1])"


def test_three_processes_migrating_a_fresh_database_at_once_all_succeed():
    name = f"alliance_race_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATE, f"{base}/{name}"],
                cwd=PROJECT_ROOT,
                env=os.environ.copy(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(3)
        ]
        outcomes = [(p.wait(timeout=120), p.stdout.read() if p.stdout else "") for p in processes]
        assert [status for status, _ in outcomes] == [0, 0, 0], outcomes
        with psycopg.connect(POSTGRES_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}") as db:
            versions = db.execute("SELECT version_num FROM alembic_version").fetchall()
        assert len(versions) == 1  # one head, written once
    finally:
        with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
