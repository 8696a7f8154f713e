"""Fresh registry databases for tests: a SQLite file, or a new PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from registry.database import engine_for, upgrade_schema

POSTGRES_ADMIN_DSN = os.environ.get(
    "ALLIANCE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)


@contextmanager
def sqlite_registry(folder: Path) -> Iterator[str]:
    url = f"sqlite:///{folder / f'registry-{uuid.uuid4().hex[:8]}.db'}"
    upgrade_schema(url)
    yield url
    engine_for(url).dispose()


@contextmanager
def postgres_registry() -> Iterator[str]:
    name = f"alliance_test_{uuid.uuid4().hex[:10]}"
    try:
        admin_connection = psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_DSN}: every database test runs on "
            f"SQLite and PostgreSQL. Start it, or set ALLIANCE_TEST_POSTGRES_DSN. ({err})"
        )
    with admin_connection as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    url = f"{base}/{name}"
    try:
        upgrade_schema(url)
        yield url
    finally:
        engine_for(url).dispose()
        with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
