"""What the public pages read and send: current notices (9.4), objections, certificate checks (9.5).

The clock hook: every "today" of the public pages comes from `today(app)`. It reads
`app.state.clock` when set — a callable, plain or async, returning an aware datetime —
and the real time in Beijing otherwise. Tests set it to Temporal's simulated clock
(`web_app.state.clock = bureau.now`) so the pages and the workflows agree on the date.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Literal

from pydantic import ValidationError
from sqlmodel import Session, col, select
from temporalio.client import Client

from client.alliances import act
from domain.application import MEMBER_KIND_ZH, MemberKind
from domain.input_rules import FILE_NAME, InputRefused, bilingual, clean_text, shortened
from domain.procedure import ObjectionFiling, ObjectionLetter, ObjectionStatus
from domain.settings import Settings
from domain.shanghai_time import local_date
from registry.database import session_scope
from registry.tables import (
    Alliance,
    Certificate,
    MaterialFile,
    Member,
    ObjectionRow,
    PublicNoticeRow,
    UploadedFile,
)

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
    published_on: date

    @property
    def accepting(self) -> bool:
        return self.phase == "open"


@dataclass(frozen=True)
class BureauContact:
    """Who publishes the notices and where objections go, from the settings."""

    publisher: str
    phone: str
    address: str
    email: str

    @classmethod
    def of(cls, settings: Settings) -> BureauContact:
        return cls(
            publisher=settings.bureau_name,
            phone=settings.notice_contact_phone,
            address=settings.notice_contact_address,
            email=settings.notice_contact_email,
        )


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
        published_on=local_date(row.published_at),
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

    def filing(
        self, tracking_number: str = "", letter: ObjectionLetter | None = None
    ) -> ObjectionFiling:
        """The objection as the workflow takes it; ValidationError if the input rules refuse it."""
        return ObjectionFiling(
            request_id=str(uuid.uuid4()),
            name=self.name,
            organisation=self.organisation,
            contact=self.contact,
            text=self.text,
            tracking_number=tracking_number,
            letter=letter,
        )

    def refusal(self) -> tuple[str, str] | None:
        """Why the form cannot be sent (a field too long, an invisible character), if it cannot."""
        try:
            self.filing()
        except ValidationError as invalid:
            return bilingual(invalid)
        return None


# ---- the signed letter (异议书) filed with an objection

LETTER_TYPES = {  # what the file starts with → its type, and the names it may bear
    b"%PDF-": ("application/pdf", (".pdf",)),
    b"\xff\xd8\xff": ("image/jpeg", (".jpg", ".jpeg")),
    b"\x89PNG\r\n\x1a\n": ("image/png", (".png",)),
}


@dataclass(frozen=True)
class LetterUpload:
    filename: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def content_type(self) -> str | None:
        """The type its bytes show (PDF, JPEG or PNG), if its name says the same."""
        suffix = PurePath(self.filename).suffix.lower()
        for magic, (content_type, suffixes) in LETTER_TYPES.items():
            if self.content.startswith(magic) and suffix in suffixes:
                return content_type
        return None

    def refusal(self, max_mb: int) -> tuple[str, str] | None:
        """Why this letter is not accepted (name, size, type), if it is not."""
        try:
            clean_text(self.filename, FILE_NAME)
        except InputRefused as refused:
            name = shortened(self.filename)
            return f"附件文件名“{name}”{refused.zh}", f"the file name '{name}' {refused.en}"
        if len(self.content) > max_mb * 1024 * 1024:
            return (
                f"附件“{self.filename}”超过{max_mb}MB，请压缩后重新上传",
                f"{self.filename} is larger than {max_mb} MB; please upload a smaller file",
            )
        if self.content_type() is None:
            return (
                f"附件“{self.filename}”不是 PDF、JPG 或 PNG 文件，请上传签字（盖章）的异议书扫描件",
                f"{self.filename} is not a PDF, JPEG or PNG file: upload a scan of the "
                "signed (sealed) letter",
            )
        return None


# ---- filing, and the tracking number the objector looks the objection up by

TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # nothing that reads as another
TRACKING_NUMBER = re.compile(r"^YY-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")


def new_tracking_number() -> str:
    """YY-7K2M-Q9XD: random, so one objector's number tells nothing of another's."""
    chars = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"YY-{chars[:4]}-{chars[4:]}"


def tracking_number_of(text: str) -> str | None:
    """A typed tracking number in its canonical form, or None when it cannot be one."""
    compact = re.sub(r"[\s\-－—]", "", text.strip().upper())
    candidate = f"{compact[:2]}-{compact[2:6]}-{compact[6:]}"
    return candidate if TRACKING_NUMBER.match(candidate) else None


@dataclass(frozen=True)
class ObjectionReceipt:
    number: int  # the objection's number within the alliance's notice
    tracking_number: str


async def file_objection(
    client: Client, url: str, code: str, form: ObjectionForm, letter: LetterUpload | None
) -> ObjectionReceipt:
    """Keep the letter, then send the objection to the alliance's procedure; its receipt,
    or ProcedureActionFailed. A refused objection leaves no letter behind."""
    filing = form.filing(
        new_tracking_number(),
        ObjectionLetter(name=letter.filename, sha256=letter.sha256) if letter else None,
    )
    stored = letter is not None and await asyncio.to_thread(_store_letter, url, letter)
    try:
        number = await act(client, code, "file_objection", filing)
    except BaseException:
        if stored and letter is not None:
            await asyncio.to_thread(_forget_letter, url, letter.sha256)
        raise
    return ObjectionReceipt(number, filing.tracking_number)


def _store_letter(url: str, letter: LetterUpload) -> bool:
    """Keep the (accepted) letter by its content; False when the same file is kept already."""
    with session_scope(url) as session:
        if session.get(UploadedFile, letter.sha256) is not None:
            return False
        session.add(
            UploadedFile(
                sha256=letter.sha256,
                filename=letter.filename,
                content_type=letter.content_type() or "application/octet-stream",
                size=len(letter.content),
                content=letter.content,
                uploaded_at=datetime.now(UTC),
                uploaded_by="公众异议 (public objection)",
            )
        )
        return True


def _forget_letter(url: str, sha256: str) -> None:
    """Drop a letter stored for an objection the procedure refused, unless something kept
    since refers to the same file."""
    with session_scope(url) as session:
        referred = (
            session.exec(
                select(ObjectionRow.id).where(ObjectionRow.letter_sha256 == sha256)
            ).first()
            or session.exec(select(MaterialFile.id).where(MaterialFile.sha256 == sha256)).first()
        )
        stored = session.get(UploadedFile, sha256)
        if stored is not None and referred is None:
            session.delete(stored)


# ---- what the objector sees of their objection (no one's personal data)


@dataclass(frozen=True)
class ObjectionStatusView:
    tracking_number: str
    alliance_code: str
    alliance_name: str
    notice_start: date | None
    notice_end: date | None
    filed_on: date
    status: ObjectionStatus
    resolved_on: date | None
    letter_received: bool


def objection_status(url: str, tracking_number: str) -> ObjectionStatusView | None:
    with session_scope(url) as session:
        row = session.exec(
            select(ObjectionRow).where(ObjectionRow.tracking_number == tracking_number)
        ).first()
        if row is None:
            return None
        alliance = session.get(Alliance, row.alliance_code)
        assert alliance is not None  # the objection row's foreign key
        notice = session.exec(
            select(PublicNoticeRow).where(PublicNoticeRow.alliance_code == row.alliance_code)
        ).first()
        return ObjectionStatusView(
            tracking_number=tracking_number,
            alliance_code=alliance.code,
            alliance_name=alliance.name,
            notice_start=notice.start_date if notice else None,
            notice_end=notice.end_date if notice else None,
            filed_on=local_date(row.filed_at),
            status=ObjectionStatus(row.status),
            resolved_on=local_date(row.resolved_at) if row.resolved_at else None,
            letter_received=bool(row.letter_sha256),
        )


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
