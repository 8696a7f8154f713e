"""联盟编号: the registry assigns each alliance its code before its workflow starts.

The code (`2026-0007`: the year of the first application and a number within it) is the
alliance's for its whole life and names its workflow (`alliance-2026-0007`). A unit may
lead several alliances; applying again for the same alliance (same lead unit, same name)
gets the same code back, so the running procedure refuses the duplicate.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from registry.database import session_scope
from registry.numbers import next_number
from registry.tables import Alliance, AllianceCode

CODE_PATTERN = r"^\d{4}-\d{4,}$"


def format_code(year: int, number: int) -> str:
    return f"{year}-{number:04d}"


def assign_alliance_code(url: str, lead_unit_code: str, alliance_name: str, today: date) -> str:
    """The code of the alliance this lead unit leads under this name, assigned if new."""
    for _ in range(5):  # two first applications at once: one wins, the other reads it
        try:
            with session_scope(url) as session:
                found = _code_of(session, lead_unit_code, alliance_name)
                if found is not None:
                    return found
                code = format_code(today.year, next_number(session, f"alliance:{today.year}"))
                session.add(
                    AllianceCode(
                        code=code,
                        lead_unit_code=lead_unit_code,
                        alliance_name=alliance_name,
                        assigned_at=datetime.now(UTC),
                    )
                )
            return code
        except IntegrityError:
            continue
    raise RuntimeError(f"could not assign an alliance code to {lead_unit_code} {alliance_name}")


def alliances_led_by(url: str, lead_unit_code: str) -> list[Alliance]:
    """Every alliance in the registry this unit leads (or led), oldest code first."""
    with session_scope(url) as session:
        rows = session.exec(
            select(Alliance)
            .where(Alliance.lead_unit_code == lead_unit_code)
            .order_by(col(Alliance.code))
        ).all()
        session.expunge_all()
        return list(rows)


def codes_assigned_to(url: str, lead_unit_code: str) -> list[str]:
    """The codes this unit's alliances were given, including those never registered."""
    with session_scope(url) as session:
        return list(
            session.exec(
                select(AllianceCode.code)
                .where(AllianceCode.lead_unit_code == lead_unit_code)
                .order_by(col(AllianceCode.code))
            )
        )


def code_already_assigned(url: str, lead_unit_code: str, alliance_name: str) -> str | None:
    """The code this lead unit and alliance name were given before, if any (nothing is
    assigned): an application for them continues that alliance."""
    with session_scope(url) as session:
        return _code_of(session, lead_unit_code, alliance_name)


def _code_of(session: Session, lead_unit_code: str, alliance_name: str) -> str | None:
    return session.exec(
        select(AllianceCode.code).where(
            AllianceCode.lead_unit_code == lead_unit_code,
            AllianceCode.alliance_name == alliance_name,
        )
    ).first()
