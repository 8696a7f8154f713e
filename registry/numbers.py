"""Per-year counters for document numbers and alliance codes, in the registry."""

from __future__ import annotations

from sqlmodel import Session, col, update

from registry.tables import NumberSequence


def next_number(session: Session, name: str) -> int:
    """The next value of a per-year counter, inside the caller's transaction."""
    # Incrementing in place takes the row (PostgreSQL) or database (SQLite) write lock at
    # once, so concurrent issuers queue instead of both reading the same value.
    value = session.exec(
        update(NumberSequence)
        .where(col(NumberSequence.name) == name)
        .values(value=NumberSequence.value + 1)
        .returning(col(NumberSequence.value))
    ).scalar_one_or_none()
    if value is not None:
        return value
    session.add(NumberSequence(name=name, value=1))
    session.flush()
    return 1
