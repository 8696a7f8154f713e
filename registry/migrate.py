"""The one step that changes the registry's schema: Alembic to head, then the holiday
calendar seeded when no year is loaded. Run by `alliance-admin migrate` (the image's
`migrate` job); the worker and web processes never migrate."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text

from registry.calendar_store import loaded_years, seed_from_package
from registry.database import engine_for, upgrade_schema

# PostgreSQL advisory lock of the whole migrate step (schema and seed), apart from the one
# Alembic's environment takes around the schema alone: several migrate jobs started
# together run one after the other, and the later ones find nothing to do.
MIGRATE_STEP_LOCK = 0x616C6C69616E6366


@dataclass(frozen=True)
class Migrated:
    seeded_years: list[int]  # empty: the calendar was already loaded
    loaded_years: list[int]


@contextmanager
def _one_at_a_time(url: str) -> Iterator[None]:
    if not url.startswith("postgresql"):
        yield  # SQLite: one file, written by one local process
        return
    with engine_for(url).connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATE_STEP_LOCK})
        try:
            yield
        finally:
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATE_STEP_LOCK})
            holder.commit()


def migrate(url: str) -> Migrated:
    with _one_at_a_time(url):
        upgrade_schema(url)
        seeded = [] if loaded_years(url) else seed_from_package(url)
        return Migrated(seeded_years=seeded, loaded_years=loaded_years(url))
