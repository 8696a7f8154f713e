"""The system's counters as the registry holds them, read at each scrape, so every web
process and worker reports the same numbers. No names or addresses: only purposes,
statuses, actions and roles."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from domain.notices import DeliveryStatus
from registry.database import session_scope
from registry.tables import AuditEntry, EmailMessage


@dataclass(frozen=True)
class RegistryCounts:
    notices: list[tuple[str, str, int]]  # (purpose, delivery status, notices)
    notices_retrying: int  # still sending after more than one attempt
    actions: list[tuple[str, str, int]]  # (action, role, audit entries)


def registry_counts(url: str) -> RegistryCounts:
    with session_scope(url) as session:
        notices = session.exec(
            select(EmailMessage.purpose, EmailMessage.status, func.count())
            .group_by(col(EmailMessage.purpose), col(EmailMessage.status))
            .order_by(col(EmailMessage.purpose), col(EmailMessage.status))
        ).all()
        retrying = session.exec(
            select(func.count())
            .select_from(EmailMessage)
            .where(col(EmailMessage.status) == DeliveryStatus.SENDING.value)
            .where(col(EmailMessage.attempts) > 1)
        ).one()
        actions = session.exec(
            select(AuditEntry.action, AuditEntry.role, func.count())
            .group_by(col(AuditEntry.action), col(AuditEntry.role))
            .order_by(col(AuditEntry.action), col(AuditEntry.role))
        ).all()
    return RegistryCounts(
        notices=[(purpose, status, count) for purpose, status, count in notices],
        notices_retrying=retrying,
        actions=[(action, role, count) for action, role, count in actions],
    )
