"""What printing and archiving read from the registry: an alliance's approval form, its
audit trail and the signed objection letters, for staff who may see the alliance (the
alliance page's rule: `staff_queries.NotVisible` otherwise)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from documents.approval_form import ApprovalRecord
from registry.database import session_scope
from registry.tables import (
    Alliance,
    AuditEntry,
    Certificate,
    ObjectionRow,
    PublicNoticeRow,
    StaffUser,
    UploadedFile,
)
from web import staff_queries


def approval_record(url: str, user: StaffUser, code: str) -> ApprovalRecord:
    """Everything the approval form prints of alliance `code`."""
    record = staff_queries.alliance_record(url, user, code)
    with session_scope(url) as session:
        certificates = session.exec(
            select(Certificate).where(Certificate.alliance_code == code).order_by(Certificate.term)
        ).all()
        notice = session.exec(
            select(PublicNoticeRow).where(PublicNoticeRow.alliance_code == code)
        ).first()
    return ApprovalRecord(
        alliance=record.alliance,
        members=record.members,
        decisions=record.decisions,
        audit=_in_order(record.audit),
        objections=record.objections,
        notice=notice,
        certificates=list(certificates),
        reports=record.reports,
        assessments=record.assessments,
    )


def audit_trail(url: str, user: StaffUser, code: str) -> tuple[Alliance, list[AuditEntry]]:
    """The alliance and every audit entry of it, in the order they happened."""
    record = staff_queries.alliance_record(url, user, code)
    return record.alliance, _in_order(record.audit)


def _in_order(entries: list[AuditEntry]) -> list[AuditEntry]:
    # Entries of one instant keep the order they were written in.
    return sorted(entries, key=lambda e: (e.at, e.id or 0))


@dataclass(frozen=True)
class Letter:
    filename: str
    content_type: str
    content: bytes


def objection_letter(url: str, user: StaffUser, code: str, number: int) -> Letter | None:
    """The signed letter filed with objection `number` of alliance `code`, if there is one."""
    with session_scope(url) as session:
        if not staff_queries.visible(user, session.get(Alliance, code)):
            raise staff_queries.NotVisible(code)
        objection = session.exec(
            select(ObjectionRow).where(
                ObjectionRow.alliance_code == code, col(ObjectionRow.number) == number
            )
        ).first()
        if objection is None or not objection.letter_sha256:
            return None
        stored = session.get(UploadedFile, objection.letter_sha256)
        if stored is None:
            return None
        return Letter(objection.letter_name, stored.content_type, stored.content)
