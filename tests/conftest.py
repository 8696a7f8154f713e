"""Shared fixtures: registry databases on SQLite and PostgreSQL."""

from __future__ import annotations

import os

import pytest

from tests.support.databases import postgres_registry, sqlite_registry


def pytest_configure(config):
    """pytest-xdist starts its workers with COLUMNS=80; Rich fixes a console's width from
    COLUMNS when the console is made (at import), so the CLI tests' own COLUMNS would be
    ignored. Without it, the width is read at each print, as in a serial run."""
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request, tmp_path):
    """A migrated, empty registry; tests using it run once on each database."""
    if request.param == "sqlite":
        with sqlite_registry(tmp_path) as url:
            yield url
    else:
        with postgres_registry() as url:
            yield url


@pytest.fixture
def sqlite_url(tmp_path):
    with sqlite_registry(tmp_path) as url:
        yield url
