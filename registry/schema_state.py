"""Telling a registry that was never migrated (or is behind the code) from other database
errors, so a command or page can say "run `alliance-admin migrate`" instead of a trace."""

from __future__ import annotations

MIGRATE_FIRST = (
    "登记库尚未建立或版本落后，请先运行 alliance-admin migrate "
    "(the registry schema is missing or behind the code: run `alliance-admin migrate`)"
)

# SQLite and PostgreSQL's words for a table or column the code expects and the schema lacks
_MISSING = ("no such table", "no such column", "UndefinedTable", "UndefinedColumn")


def schema_missing(error: BaseException) -> bool:
    """Whether `error` (or what caused it) is a query on a table or column not created yet."""
    visited: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and seen not in visited:
        if any(word in f"{type(seen).__name__}: {seen}" for word in _MISSING):
            return True
        visited.append(seen)
        seen = seen.__cause__ or seen.__context__
    return False
