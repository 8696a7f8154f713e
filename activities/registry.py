"""Registry writes: each procedure event becomes audit entry + read-model rows, once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, update
from sqlmodel import Session, col, select
from temporalio import activity

from activities.faults import in_thread
from domain.application import Member as MemberModel
from domain.effects import DeadlineRecord
from domain.events import ProcedureEvent, TermEvent
from domain.procedure import ObjectionStatus
from domain.settings import Settings
from registry.database import in_utc, session_scope
from registry.tables import (
    Alliance,
    AnnualReportRow,
    ApplicationVersion,
    AssessmentRow,
    AuditEntry,
    Certificate,
    DecisionRow,
    MaterialFile,
    Member,
    ObjectionRow,
    PublicNoticeRow,
)


class RegistryActivities:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @activity.defn
    async def record_event(self, event: ProcedureEvent) -> bool:
        """Write the event; False when its key was already recorded (a retried activity)."""
        return await in_thread(
            "RegistryDataError", record_event_now, self.settings.registry_url(), event
        )

    @activity.defn
    async def record_term_event(self, event: TermEvent) -> bool:
        """Write a term event; False when its key was already recorded."""
        return await in_thread(
            "RegistryDataError", record_term_event_now, self.settings.registry_url(), event
        )

    @activity.defn
    async def record_deadline(self, record: DeadlineRecord) -> bool:
        """Write the staff's time limit; False when a newer one is already there."""
        return await in_thread(
            "RegistryDataError", record_deadline_now, self.settings.registry_url(), record
        )


def record_deadline_now(url: str, record: DeadlineRecord) -> bool:
    """One UPDATE of the alliance's row, unless the row holds a limit set later."""
    as_of = record.as_of.astimezone(UTC)
    with session_scope(url) as session:
        written = session.exec(
            update(Alliance)
            .where(
                col(Alliance.code) == record.alliance_code,
                or_(col(Alliance.deadline_as_of).is_(None), col(Alliance.deadline_as_of) <= as_of),
            )
            .values(
                next_deadline=record.deadline.astimezone(UTC) if record.deadline else None,
                deadline_as_of=as_of,
            )
        )
        return bool(written.rowcount)


def record_event_now(url: str, event: ProcedureEvent) -> bool:
    with session_scope(url) as session:
        if not _audit(session, event):
            return False
        _update_alliance(session, event)
        if event.application is not None and event.application_version is not None:
            _store_application(session, event)
        if event.is_decision:
            session.add(
                DecisionRow(
                    alliance_code=event.alliance_code,
                    event_key=event.key,
                    stage=event.detail.get("decided_stage", event.stage.value),
                    action=event.action,
                    actor=event.actor.name,
                    role=event.actor.role.value,
                    reasons=event.reasons,
                    detail=event.detail,
                    decided_at=event.at,
                )
            )
        if event.objection is not None:
            _upsert_objection(session, event)
        if event.notice is not None:
            _upsert_notice(session, event)
    return True


def _audit(session: Session, event: ProcedureEvent | TermEvent) -> bool:
    """Add the event's audit entry; False when its key is already recorded."""
    if session.exec(select(AuditEntry.id).where(AuditEntry.key == event.key)).first():
        return False
    session.add(
        AuditEntry(
            key=event.key,
            alliance_code=event.alliance_code,
            actor=event.actor.name,
            role=event.actor.role.value,
            action=event.action,
            at=event.at,
            reason=event.reasons,
            detail=event.detail,
        )
    )
    return True


def record_term_event_now(url: str, event: TermEvent) -> bool:
    with session_scope(url) as session:
        alliance = session.get(Alliance, event.alliance_code)
        if alliance is None:
            raise ValueError(f"alliance {event.alliance_code} is not registered")
        if not _audit(session, event):
            return False
        _new_status(alliance, event.status.value, event.at)
        alliance.term_no = event.term_no
        alliance.term_end = event.term_end
        alliance.workflow_id = event.workflow_id
        alliance.updated_at = event.at
        if event.contacts is not None:
            alliance.contact_emails = [c.email for c in event.contacts]
        if event.members is not None:
            _store_member_change(session, alliance, event)
        session.add(alliance)
        if event.report is not None:
            _upsert_report(session, event)
        if event.assessment is not None:
            _upsert_assessment(session, event)
        if event.certificate_status is not None:
            for certificate in session.exec(
                select(Certificate).where(Certificate.alliance_code == event.alliance_code)
            ):
                certificate.status = event.certificate_status
                session.add(certificate)
    return True


def _new_status(alliance: Alliance, status: str, at: datetime) -> None:
    """The alliance's status; a time limit the workflow set before the status changed is
    the last step's, and goes with it. Until the workflow writes the new step's limit (its
    effect may wait behind a notice while the relay is down), the inbox reads the workflow."""
    recorded = in_utc(alliance.deadline_as_of)
    if alliance.status != status and recorded is not None and recorded < at:
        alliance.next_deadline = None
        alliance.deadline_as_of = None
    alliance.status = status


def _store_member_change(session: Session, alliance: Alliance, event: TermEvent) -> None:
    """A membership change is a new version of the member list; earlier ones are kept."""
    version = alliance.application_version + 1
    alliance.application_version = version
    session.add(
        ApplicationVersion(
            alliance_code=alliance.code,
            version=version,
            submitted_at=event.at,
            payload={
                "membership_change": True,
                "members": [m.model_dump(mode="json") for m in event.members or []],
                "contacts": [c.model_dump(mode="json") for c in event.contacts or []],
                "note": event.reasons,
            },
        )
    )
    _add_members(session, alliance.code, version, event.members or [])


def _upsert_report(session: Session, event: TermEvent) -> None:
    report = event.report
    assert report is not None
    row = session.exec(
        select(AnnualReportRow).where(
            AnnualReportRow.alliance_code == event.alliance_code,
            AnnualReportRow.year == report.year,
        )
    ).first() or AnnualReportRow(
        alliance_code=event.alliance_code,
        term_no=event.term_no,
        year=report.year,
        status=report.status,
        updated_at=event.at,
    )
    row.status = report.status
    row.submitted_at = report.submitted_at
    row.late = report.late
    row.versions = report.versions
    row.summary = report.summary
    row.next_year_plan = report.next_year_plan
    row.statistics = report.statistics.model_dump() if report.statistics else None
    row.review = report.review
    row.updated_at = event.at
    session.add(row)


def _upsert_assessment(session: Session, event: TermEvent) -> None:
    assessment = event.assessment
    assert assessment is not None
    row = session.exec(
        select(AssessmentRow).where(
            AssessmentRow.alliance_code == event.alliance_code,
            AssessmentRow.term_no == event.term_no,
            AssessmentRow.kind == assessment.kind.value,
        )
    ).first() or AssessmentRow(
        alliance_code=event.alliance_code,
        term_no=event.term_no,
        kind=assessment.kind.value,
        materials_due=assessment.materials_due,
        updated_at=event.at,
    )
    row.materials_submitted_at = assessment.materials_submitted_at
    row.grade = assessment.grade.value if assessment.grade else None
    row.opinion = assessment.opinion
    row.recorded_at = assessment.recorded_at
    row.updated_at = event.at
    session.add(row)


def _update_alliance(session: Session, event: ProcedureEvent) -> None:
    alliance = session.get(Alliance, event.alliance_code)
    app = event.application
    if alliance is None:
        if app is None:
            raise ValueError(f"alliance {event.alliance_code} is not registered yet")
        alliance = Alliance(
            code=event.alliance_code,
            name=app.alliance_name,
            district=app.district.value,
            status=event.stage.value,
            created_at=event.at,
            updated_at=event.at,
        )
    if app is not None:
        alliance.name = app.alliance_name
        alliance.industry_field = app.industry_field
        alliance.district = app.district.value
        alliance.lead_unit = app.lead_unit
        alliance.lead_unit_code = app.lead_unit_code()
        alliance.contact_emails = app.recipient_emails()
        alliance.application_version = event.application_version or alliance.application_version
    _new_status(alliance, event.stage.value, event.at)
    alliance.workflow_id = event.workflow_id
    alliance.updated_at = event.at
    if event.recognition is not None:
        alliance.certificate_serial = event.recognition.certificate_serial
        alliance.recognised_on = event.recognition.recognised_on
    session.add(alliance)
    session.flush()


def _store_application(session: Session, event: ProcedureEvent) -> None:
    app, version = event.application, event.application_version
    assert app is not None and version is not None
    session.add(
        ApplicationVersion(
            alliance_code=event.alliance_code,
            version=version,
            submitted_at=event.at,
            payload=app.model_dump(mode="json"),
        )
    )
    _add_members(session, event.alliance_code, version, app.members)
    for material in app.materials:
        session.add(
            MaterialFile(
                alliance_code=event.alliance_code,
                application_version=version,
                kind=material.kind.value,
                name=material.name,
                sha256=material.sha256,
                member_credit_code=material.member_credit_code,
            )
        )


def _add_members(session: Session, code: str, version: int, members: list[MemberModel]) -> None:
    for member in members:
        session.add(
            Member(
                alliance_code=code,
                application_version=version,
                name=member.name,
                kind=member.kind.value,
                credit_code=member.credit_code,
                role=member.role.value,
                task=member.task,
            )
        )


def _upsert_objection(session: Session, event: ProcedureEvent) -> None:
    objection = event.objection
    assert objection is not None
    row = session.exec(
        select(ObjectionRow).where(
            ObjectionRow.alliance_code == event.alliance_code,
            ObjectionRow.number == objection.number,
        )
    ).first() or ObjectionRow(
        alliance_code=event.alliance_code,
        number=objection.number,
        name=objection.name,
        organisation=objection.organisation,
        contact=objection.contact,
        text=objection.text,
        filed_at=objection.filed_at,
        tracking_number=objection.tracking_number or None,
        letter_name=objection.letter.name if objection.letter else "",
        letter_sha256=objection.letter.sha256 if objection.letter else "",
    )
    if objection.status != ObjectionStatus.OPEN and row.resolved_at is None:
        row.resolved_by, row.resolved_at = event.actor.name, event.at
    row.status = objection.status
    row.resolution = objection.resolution
    session.add(row)


def _upsert_notice(session: Session, event: ProcedureEvent) -> None:
    notice = event.notice
    assert notice is not None
    row = session.exec(
        select(PublicNoticeRow).where(PublicNoticeRow.alliance_code == event.alliance_code)
    ).first() or PublicNoticeRow(
        alliance_code=event.alliance_code,
        start_date=notice.start,
        end_date=notice.end,
        published_at=event.at,
    )
    row.start_date, row.end_date = notice.start, notice.end
    row.status = event.notice_status or row.status
    session.add(row)
