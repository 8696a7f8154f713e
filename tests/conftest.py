"""Shared fixtures: registry databases on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.support.databases import postgres_registry, sqlite_registry


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
