"""The one step that changes the registry's schema: Alembic to head, then the holiday
calendar seeded when no year is loaded. Run by `alliance-admin migrate` (the image's
`migrate` job); the worker and web processes never migrate."""

from __future__ import annotations

from dataclasses import dataclass

from registry.calendar_store import loaded_years, seed_from_package
from registry.database import upgrade_schema


@dataclass(frozen=True)
class Migrated:
    seeded_years: list[int]  # empty: the calendar was already loaded
    loaded_years: list[int]


def migrate(url: str) -> Migrated:
    upgrade_schema(url)
    seeded = [] if loaded_years(url) else seed_from_package(url)
    return Migrated(seeded_years=seeded, loaded_years=loaded_years(url))
