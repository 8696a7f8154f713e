"""Recognition (article 9.5): document numbers and the certificate PDF, issued once per term."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.faults import in_thread
from documents.pdf import LANGUAGE, SEAL_DIAMETER, DocumentInfo, FontMissing, cjk_font
from domain.certificate import CertificateRequest, chinese_date, format_number, valid_until
from domain.districts import district_zh
from domain.procedure import Recognition, Role, status_zh
from domain.settings import Settings
from domain.shanghai_time import SHANGHAI
from domain.term import CERTIFICATE_HOLDS
from registry.database import session_scope
from registry.numbers import next_number
from registry.tables import Alliance, AuditEntry, Certificate, Document, Member

REGULATION = "《鞍山市产业技术创新战略联盟认定管理办法》（鞍科发〔2016〕21号）"

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
LEFT = 100
TEXT_WIDTH = PAGE_WIDTH - 2 * LEFT
RED = HexColor("#A31D1D")
MAX_MEMBER_LINES = 3
ISSUER_SIZE = 16
ISSUER_Y, DATE_Y = 110, 85
# The seal is stamped over the issuer's name and the date, centred on them; nothing else
# is printed within its circle.
SEAL_RADIUS = SEAL_DIAMETER / 2
SEAL_CENTRE = (PAGE_WIDTH - LEFT - SEAL_RADIUS, (ISSUER_Y + DATE_Y + ISSUER_SIZE) / 2)


class CertificateActivities:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @activity.defn
    async def issue_certificate(self, request: CertificateRequest) -> Recognition:
        """Allocate the numbers and store the certificate; a repeat returns the first result.
        The approval document's number is the one staff recorded, when they did."""
        try:
            font = cjk_font(self._settings.cjk_font_path)
        except FontMissing as missing:
            # Retrying cannot install a font: staff see an incident and retry once it is.
            raise ApplicationError(
                str(missing), type="CertificateFontMissing", non_retryable=True
            ) from missing
        return await in_thread("CertificateDataError", self._issue, request, font)

    def _issue(self, request: CertificateRequest, font: str) -> Recognition:
        # Two concurrent calls for one term collide on the (alliance_code, term) constraint;
        # the loser's transaction rolls back and its retry finds the winner's certificate.
        settings = self._settings
        with session_scope(settings.registry_url()) as session:
            existing = session.exec(
                select(Certificate).where(
                    Certificate.alliance_code == request.alliance_code,
                    Certificate.term == request.term,
                )
            ).first()
            if existing is not None:
                return _recognition(existing)

            year = request.recognised_on.year
            certificate = Certificate(
                alliance_code=request.alliance_code,
                term=request.term,
                approval_document_number=request.approval_document_number
                or format_number(
                    settings.approval_document_format,
                    year,
                    next_number(session, f"approval:{year}"),
                ),
                serial=format_number(
                    settings.certificate_serial_format,
                    year,
                    next_number(session, f"certificate:{year}"),
                ),
                plaque_number=format_number(
                    settings.plaque_number_format, year, next_number(session, f"plaque:{year}")
                ),
                issued_on=request.recognised_on,
                valid_until=valid_until(request.recognised_on),
                status="valid",
            )
            _print(session, settings, request, certificate, font)
            session.flush()
            return _recognition(certificate)


def _print(
    session: Session,
    settings: Settings,
    request: CertificateRequest,
    certificate: Certificate,
    font: str,
    reissued_on: date | None = None,
) -> Document:
    """Render the certificate, store it, and make it the certificate's current print."""
    created_at = datetime.now(UTC)
    again = "，补发" if reissued_on else ""
    info = DocumentInfo(
        title=f"{request.alliance_name} 证书 {certificate.serial}" + ("（补发）" if again else ""),
        author=settings.bureau_name,
        subject=f"鞍山市产业技术创新战略联盟证书（第{certificate.term}个认定期{again}）",
        created=created_at,
    )
    verify_url = f"{settings.public_base_url.rstrip('/')}/certificates/{certificate.serial}"
    pdf = render_certificate(request, certificate, verify_url, info, font, reissued_on)
    suffix = f"-reissued-{reissued_on.isoformat()}" if reissued_on else ""
    document = Document(
        alliance_code=request.alliance_code,
        kind="certificate",
        filename=f"{certificate.serial}{suffix}.pdf",
        sha256=hashlib.sha256(pdf).hexdigest(),
        content=pdf,
        created_at=created_at,
    )
    session.add(document)
    session.flush()
    certificate.document_id = document.id
    session.add(certificate)
    return document


def _recognition(certificate: Certificate) -> Recognition:
    assert certificate.document_id is not None  # set in the transaction that created the row
    return Recognition(
        approval_document_number=certificate.approval_document_number,
        certificate_serial=certificate.serial,
        plaque_number=certificate.plaque_number,
        recognised_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        certificate_document_id=certificate.document_id,
    )


def render_certificate(
    request: CertificateRequest,
    certificate: Certificate,
    verify_url: str,
    info: DocumentInfo,
    font: str,
    reissued_on: date | None = None,
) -> bytes:
    """The certificate as an A4 landscape PDF, a subset of the CJK font `font` embedded,
    issued by `info.author`, with room for its seal over the name and date."""
    buffer = io.BytesIO()
    # `invariant` derives the file id from the content instead of a random one.
    pdf = Canvas(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        invariant=True,
        lang=LANGUAGE,
        initialFontName=font,
    )
    info.apply(pdf)

    pdf.setStrokeColor(RED)
    pdf.setLineWidth(4)
    pdf.rect(24, 24, PAGE_WIDTH - 48, PAGE_HEIGHT - 48)
    pdf.setLineWidth(1)
    pdf.rect(34, 34, PAGE_WIDTH - 68, PAGE_HEIGHT - 68)

    pdf.setFillColor(RED)
    pdf.setFont(font, 30)
    pdf.drawCentredString(PAGE_WIDTH / 2, 515, "鞍山市产业技术创新战略联盟")
    pdf.setFont(font, 40)
    pdf.drawCentredString(PAGE_WIDTH / 2, 458, "证书")

    pdf.setFillColor(HexColor("#000000"))
    name_size = _fitting_size(request.alliance_name, 24, TEXT_WIDTH, font)
    pdf.setFont(font, name_size)
    pdf.drawCentredString(PAGE_WIDTH / 2, 405, request.alliance_name)

    y = _draw_lines(
        pdf,
        _wrap(
            f"经审核，该联盟符合{REGULATION}规定的条件，特认定为鞍山市产业技术创新战略联盟。",
            13,
            font,
        ),
        370,
        (font, 13),
        20,
    )
    y = _draw_lines(
        pdf,
        [f"发起（牵头）单位：{request.lead_unit}", f"所在地区：{request.district_name}"],
        y - 12,
        (font, 13),
        22,
    )
    members = _wrap(f"成员单位（{len(request.members)}家）：{'、'.join(request.members)}", 11, font)
    if len(members) > MAX_MEMBER_LINES:
        members = members[:MAX_MEMBER_LINES]
        members[-1] = members[-1][:-2] + "……"
    y = _draw_lines(pdf, members, y, (font, 11), 16)
    _draw_lines(
        pdf,
        [
            f"证书编号：{certificate.serial}",
            f"批复文号：{certificate.approval_document_number}",
            f"有效期：{chinese_date(certificate.issued_on)}至{chinese_date(certificate.valid_until)}",
        ],
        y - 6,
        (font, 13),
        22,
    )

    pdf.setFont(font, ISSUER_SIZE)
    pdf.drawCentredString(SEAL_CENTRE[0], ISSUER_Y, info.author)
    pdf.drawCentredString(SEAL_CENTRE[0], DATE_Y, chinese_date(certificate.issued_on))
    if reissued_on is not None:  # 补发: the same certificate, printed again on this day
        pdf.setFont(font, 10)
        pdf.drawCentredString(SEAL_CENTRE[0], DATE_Y - 18, f"（{chinese_date(reissued_on)}补发）")

    _draw_qr(pdf, verify_url, x=60, y=72, size=88, font=font)
    pdf.setFont(font, 7)
    pdf.drawString(60, 60, verify_url)

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _fitting_size(text: str, size: float, width: float, font: str) -> float:
    """The font size, at most `size`, at which `text` fits on one line of `width`."""
    return min(size, size * width / pdfmetrics.stringWidth(text, font, size))


def _wrap(text: str, size: float, font: str) -> list[str]:
    """Break Chinese text (no spaces to break at) by width, character by character."""
    lines: list[str] = []
    line = ""
    for char in text:
        if line and pdfmetrics.stringWidth(line + char, font, size) > TEXT_WIDTH:
            lines.append(line)
            line = char
        else:
            line += char
    return [*lines, line] if line else lines


def _draw_lines(
    pdf: Canvas, lines: list[str], top: float, font: tuple[str, float], leading: float
) -> float:
    """Draw left-aligned lines from `top` down; returns the baseline for what follows."""
    pdf.setFont(*font)
    y = top
    for line in lines:
        pdf.drawString(LEFT, y, line)
        y -= leading
    return y


def _draw_qr(pdf: Canvas, data: str, x: float, y: float, size: float, font: str) -> None:
    widget = QrCodeWidget(data)
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        size,
        size,
        transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0],
        initialFontName=font,  # else the renderer names Helvetica, which is not embedded
    )
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, x, y)


# ---- 补发: a certificate printed again (lost, damaged, or the name or members changed)


class ReissueRefused(Exception):
    """No certificate of this system can be printed again for this alliance now."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} ({en})")
        self.zh, self.en = zh, en


def reissue_certificate(settings: Settings, alliance_code: str, reason: str, by: str) -> Document:
    """The current term's certificate printed again, with the same numbers and validity,
    the alliance's current name and members, and the day it was reissued. The earlier
    prints stay in the registry; the certificate's document becomes the new one, and an
    audit entry says who reissued it and why."""
    reason = reason.strip()
    if not reason:
        raise ReissueRefused("请填写补发原因", "give the reason for the reissue")
    font = cjk_font(settings.cjk_font_path)
    now = datetime.now(UTC)
    with session_scope(settings.registry_url()) as session:
        alliance = session.get(Alliance, alliance_code)
        certificate = session.exec(
            select(Certificate)
            .where(Certificate.alliance_code == alliance_code)
            .order_by(col(Certificate.term).desc())
        ).first()
        if alliance is None or certificate is None:
            raise ReissueRefused(
                "该联盟没有本系统颁发的证书", "this alliance has no certificate issued here"
            )
        if alliance.status not in CERTIFICATE_HOLDS:
            raise ReissueRefused(
                f"该联盟当前状态为“{status_zh(alliance.status)}”，证书已不再有效，不能补发",
                f"the alliance is {alliance.status}; its certificate no longer holds",
            )
        members = session.exec(
            select(Member)
            .where(
                Member.alliance_code == alliance_code,
                Member.application_version == alliance.application_version,
            )
            .order_by(col(Member.id))
        ).all()
        request = CertificateRequest(
            alliance_code=alliance_code,
            alliance_name=alliance.name,
            lead_unit=alliance.lead_unit,
            members=[m.name for m in members],
            district_name=district_zh(alliance.district),
            recognised_on=certificate.issued_on,
            term=certificate.term,
            approval_document_number=certificate.approval_document_number,
        )
        today = now.astimezone(SHANGHAI).date()
        document = _print(session, settings, request, certificate, font, reissued_on=today)
        session.add(
            AuditEntry(
                alliance_code=alliance_code,
                key=f"{alliance_code}:certificate:reissued:{document.id}",
                action="certificate.reissued",
                actor=by,
                role=Role.BUREAU_STAFF.value,
                reason=reason,
                detail={"serial": certificate.serial, "document_id": document.id},
                at=now,
            )
        )
        return document
