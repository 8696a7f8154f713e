"""What the public pages read and send: current notices (9.4), objections, certificate checks (9.5).

The clock hook: every "today" of the public pages comes from `today(app)`. It reads
`app.state.clock` when set — a callable, plain or async, returning an aware datetime —
and the real time in Beijing otherwise. Tests set it to Temporal's simulated clock
(`web_app.state.clock = bureau.now`) so the pages and the workflows agree on the date.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import ValidationError
from sqlmodel import Session, col, select
from temporalio.client import Client

from client.alliances import act
from domain.application import MEMBER_KIND_ZH, MemberKind
from domain.input_rules import bilingual
from domain.procedure import ObjectionFiling
from registry.database import session_scope
from registry.tables import Alliance, Certificate, Member, PublicNoticeRow

# ---- public notices (公示, article 9.4)


@dataclass(frozen=True)
class MemberLine:
    name: str
    kind: str
    kind_zh: str


@dataclass(frozen=True)
class NoticeView:
    """One alliance's public notice as the public sees it on a given day."""

    code: str
    alliance_name: str
    district: str
    lead_unit: str
    industry_field: str
    members: list[MemberLine]
    start: date
    end: date
    phase: Literal["upcoming", "open", "ended"]

    @property
    def accepting(self) -> bool:
        return self.phase == "open"


def current_notices(url: str, on: date) -> list[NoticeView]:
    """Open notices that have not ended by `on`, the soonest ending first."""
    with session_scope(url) as session:
        rows = session.exec(
            select(PublicNoticeRow)
            .where(PublicNoticeRow.status == "open", col(PublicNoticeRow.end_date) >= on)
            .order_by(col(PublicNoticeRow.end_date), col(PublicNoticeRow.alliance_code))
        ).all()
        return [_notice_view(session, row, on) for row in rows]


def notice_of(url: str, code: str, on: date) -> NoticeView | None:
    with session_scope(url) as session:
        row = session.exec(
            select(PublicNoticeRow).where(PublicNoticeRow.alliance_code == code)
        ).first()
        return _notice_view(session, row, on) if row else None


def _notice_view(session: Session, row: PublicNoticeRow, on: date) -> NoticeView:
    alliance = session.get(Alliance, row.alliance_code)
    assert alliance is not None  # the notice row's foreign key
    members = session.exec(
        select(Member)
        .where(
            Member.alliance_code == alliance.code,
            Member.application_version == alliance.application_version,
        )
        .order_by(col(Member.id))
    ).all()
    # A notice closed by the workflow (rejected, withdrawn) has ended whatever its dates say.
    if row.status != "open" or on > row.end_date:
        phase = "ended"
    else:
        phase = "upcoming" if on < row.start_date else "open"
    return NoticeView(
        code=alliance.code,
        alliance_name=alliance.name,
        district=alliance.district,
        lead_unit=alliance.lead_unit,
        industry_field=alliance.industry_field,
        members=[MemberLine(m.name, m.kind, _kind_zh(m.kind)) for m in members],
        start=row.start_date,
        end=row.end_date,
        phase=phase,
    )


def _kind_zh(kind: str) -> str:
    try:
        return MEMBER_KIND_ZH[MemberKind(kind)]
    except ValueError:
        return kind


# ---- written objections


@dataclass(frozen=True)
class ObjectionForm:
    name: str = ""
    organisation: str = ""
    contact: str = ""
    text: str = ""

    def stripped(self) -> ObjectionForm:
        return ObjectionForm(
            self.name.strip(), self.organisation.strip(), self.contact.strip(), self.text.strip()
        )

    def filing(self) -> ObjectionFiling:
        """The objection as the workflow takes it; ValidationError if the input rules refuse it."""
        return ObjectionFiling(
            request_id=str(uuid.uuid4()),
            name=self.name,
            organisation=self.organisation,
            contact=self.contact,
            text=self.text,
        )

    def refusal(self) -> tuple[str, str] | None:
        """Why the form cannot be sent (a field too long, an invisible character), if it cannot."""
        try:
            self.filing()
        except ValidationError as invalid:
            return bilingual(invalid)
        return None


async def file_objection(client: Client, code: str, form: ObjectionForm) -> int:
    """Send the objection to the alliance's procedure; its number, or ProcedureActionFailed."""
    return await act(client, code, "file_objection", form.filing())


# ---- certificate check (证书查询, article 9.5)

CertificateStatus = Literal["valid", "expired", "revoked", "withdrawn", "not_found"]


@dataclass(frozen=True)
class CertificateView:
    serial: str
    status: CertificateStatus
    alliance_name: str = ""
    lead_unit: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    provincial: bool = False

    @property
    def valid(self) -> bool:
        return self.status == "valid"


def certificate_check(url: str, serial: str, on: date) -> CertificateView:
    """What the certificate numbered `serial` proves on day `on`."""
    with session_scope(url) as session:
        certificate = session.exec(select(Certificate).where(Certificate.serial == serial)).first()
        if certificate is not None:
            alliance = session.get(Alliance, certificate.alliance_code)
            assert alliance is not None  # the certificate row's foreign key
            return CertificateView(
                serial=serial,
                status=_status(certificate.status, alliance.status, certificate.valid_until, on),
                alliance_name=alliance.name,
                lead_unit=alliance.lead_unit,
                valid_from=certificate.issued_on,
                valid_until=certificate.valid_until,
            )
        # Article 13: a provincial certificate stands in for the municipal one, so its
        # number lives on the alliance row and no certificate of ours exists.
        alliance = session.exec(
            select(Alliance).where(
                Alliance.certificate_serial == serial, Alliance.origin == "provincial"
            )
        ).first()
        if alliance is None:
            return CertificateView(serial=serial, status="not_found")
        return CertificateView(
            serial=serial,
            status=_status("valid", alliance.status, alliance.term_end, on),
            alliance_name=alliance.name,
            lead_unit=alliance.lead_unit,
            valid_from=alliance.recognised_on,
            valid_until=alliance.term_end,
            provincial=True,
        )


def _status(
    certificate_status: str, alliance_status: str, until: date | None, on: date
) -> CertificateStatus:
    if "revoked" in (certificate_status, alliance_status):
        return "revoked"
    if alliance_status == "withdrawn":
        return "withdrawn"
    if "expired" in (certificate_status, alliance_status) or (until is not None and until < on):
        return "expired"
    return "valid"
