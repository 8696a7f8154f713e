"""Fresh registry databases for tests: a SQLite file, or a new PostgreSQL database.

Each is a copy of a template that a test process migrates once (and, for `calendar=True`,
gives the test holiday calendar of `tests.support.calendars.prepare_calendar` once):
running Alembic and seeding the calendar for every test cost more than most tests. A
SQLite template is copied with SQLite's backup API; a PostgreSQL one is the TEMPLATE of
CREATE DATABASE. Templates are removed when the process exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import psycopg
import pytest

from registry.database import engine_for, in_utc, session_scope, upgrade_schema
from registry.tables import Alliance

POSTGRES_ADMIN_DSN = os.environ.get(
    "ALLIANCE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)


def _prepared(url: str, calendar: bool) -> None:
    """What every copy starts from: the newest schema, and the calendar when asked."""
    upgrade_schema(url)
    if calendar:
        from tests.support.calendars import prepare_calendar

        prepare_calendar(url)
    engine_for(url).dispose()  # no connection left open on the template


@lru_cache
def _sqlite_template(calendar: bool) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="registry-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "registry.db"
    _prepared(f"sqlite:///{path}", calendar)
    return path


@contextmanager
def sqlite_registry(folder: Path, calendar: bool = False) -> Iterator[str]:
    """A migrated registry in a new SQLite file of `folder`; with `calendar`, holding the
    test holiday calendar too."""
    path = folder / f"registry-{uuid.uuid4().hex[:8]}.db"
    with (
        closing(sqlite3.connect(_sqlite_template(calendar))) as template,
        closing(sqlite3.connect(path)) as copy,
    ):
        template.backup(copy)
    url = f"sqlite:///{path}"
    yield url
    engine_for(url).dispose()


def _admin_connection() -> psycopg.Connection:
    try:
        return psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_DSN}: every database test runs on "
            f"SQLite and PostgreSQL. Start it, or set ALLIANCE_TEST_POSTGRES_DSN. ({err})"
        )


def _postgres_url(name: str) -> str:
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


def _drop(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@lru_cache
def _postgres_template(calendar: bool) -> str:
    name = f"alliance_template_{uuid.uuid4().hex[:10]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    atexit.register(_drop, name)
    _prepared(_postgres_url(name), calendar)
    return name


@contextmanager
def postgres_registry(calendar: bool = False) -> Iterator[str]:
    """A migrated registry in a new PostgreSQL database, dropped afterwards; with
    `calendar`, holding the test holiday calendar too."""
    with _admin_connection() as admin:
        template = _postgres_template(calendar)
        name = f"alliance_test_{uuid.uuid4().hex[:10]}"
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = _postgres_url(name)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        _drop(name)


def limit_in_registry(url: str, code: str) -> tuple[datetime | None, datetime | None]:
    """The inbox's time limit of the alliance as its workflow wrote it to the registry, and
    when the workflow set it (None, None: not written, or cleared by a status change)."""
    with session_scope(url) as session:
        alliance = session.get(Alliance, code)
        assert alliance is not None, code
        return in_utc(alliance.next_deadline), in_utc(alliance.deadline_as_of)
