"""Issuing the approval number, certificate and plaque number once per alliance and term."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.certificate import SEAL_CENTRE, SEAL_RADIUS, CertificateActivities
from documents.pdf import cjk_font
from domain.certificate import CertificateRequest, format_number, valid_until
from domain.procedure import Recognition
from domain.settings import Settings
from registry.database import session_scope
from registry.tables import Alliance, Certificate, Document, NumberSequence
from tests.support.pdfs import embedded, fonts_of, read_pdf

STEEL = ("91210300MA0001", "鞍山市钢铁新材料产业技术创新战略联盟")
MAGNESIA = ("91210300MA0002", "鞍山市菱镁新材料产业技术创新战略联盟")


def insert_alliance(url: str, code: str, name: str) -> None:
    now = datetime(2026, 10, 12, 2, tzinfo=UTC)
    with session_scope(url) as session:
        session.add(
            Alliance(
                code=code,
                name=name,
                district="tiedong",
                lead_unit="鞍钢集团有限公司",
                status="public_notice",
                created_at=now,
                updated_at=now,
            )
        )


def request_for(code: str, name: str) -> CertificateRequest:
    return CertificateRequest(
        alliance_code=code,
        alliance_name=name,
        lead_unit="鞍钢集团有限公司",
        members=["鞍钢集团有限公司", "辽宁科技大学", "鞍山市特种钢材研究所"],
        district_name="铁东区",
        recognised_on=date(2026, 10, 12),
    )


def numbers(recognition: Recognition) -> tuple[str, str, str]:
    return (
        recognition.approval_document_number,
        recognition.certificate_serial,
        recognition.plaque_number,
    )


async def issue(certificates: CertificateActivities, request: CertificateRequest) -> Recognition:
    return await ActivityEnvironment().run(certificates.issue_certificate, request)


@pytest.fixture
def certificates(registry_url, tmp_path):
    settings = Settings(
        database_url=registry_url,
        data_dir=tmp_path,
        public_base_url="https://lianmeng.kjj.anshan.example/",
    )
    return CertificateActivities(settings)


def stored(url: str):
    with session_scope(url) as session:
        return (
            session.exec(select(Certificate).order_by(Certificate.id)).all(),
            session.exec(select(Document).order_by(Document.id)).all(),
            {s.name: s.value for s in session.exec(select(NumberSequence)).all()},
        )


async def test_certificate_numbers_follow_the_formats_and_the_pdf_reads_in_chinese(
    certificates, registry_url
):
    insert_alliance(registry_url, *STEEL)

    recognition = await issue(certificates, request_for(*STEEL))

    assert numbers(recognition) == ("鞍科批〔2026〕1号", "ASLM-2026-001", "ASLM-P-2026-001")
    assert recognition.recognised_on == date(2026, 10, 12)
    assert recognition.valid_until == date(2031, 10, 11)

    (certificate,), (document,), sequences = stored(registry_url)
    assert sequences == {"approval:2026": 1, "certificate:2026": 1, "plaque:2026": 1}
    assert certificate.status == "valid"
    assert certificate.document_id == document.id == recognition.certificate_document_id
    assert (document.kind, document.filename) == ("certificate", "ASLM-2026-001.pdf")
    assert document.sha256 == hashlib.sha256(document.content).hexdigest()

    page = PdfReader(io.BytesIO(document.content)).pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    text = page.extract_text()
    for expected in (
        "鞍山市产业技术创新战略联盟",
        "证书",
        "鞍山市钢铁新材料产业技术创新战略联盟",
        "鞍钢集团有限公司",
        "ASLM-2026-001",
        "鞍科批〔2026〕1号",
        "2026年10月12日至2031年10月11日",
        "鞍山市科学技术局",
        "https://lianmeng.kjj.anshan.example/certificates/ASLM-2026-001",
    ):
        assert expected in text


async def test_issuing_twice_returns_the_same_numbers_and_one_document(certificates, registry_url):
    insert_alliance(registry_url, *STEEL)

    first = await issue(certificates, request_for(*STEEL))
    again = await issue(certificates, request_for(*STEEL))

    assert again == first
    rows, documents, sequences = stored(registry_url)
    assert (len(rows), len(documents)) == (1, 1)
    assert sequences["certificate:2026"] == 1


async def test_second_alliance_gets_the_next_numbers(certificates, registry_url):
    insert_alliance(registry_url, *STEEL)
    insert_alliance(registry_url, *MAGNESIA)

    await issue(certificates, request_for(*STEEL))
    second = await issue(certificates, request_for(*MAGNESIA))

    assert numbers(second) == ("鞍科批〔2026〕2号", "ASLM-2026-002", "ASLM-P-2026-002")
    _, documents, _ = stored(registry_url)
    assert [d.filename for d in documents] == ["ASLM-2026-001.pdf", "ASLM-2026-002.pdf"]


async def test_many_members_stay_on_the_certificate_page(certificates, registry_url):
    insert_alliance(registry_url, "91210300MA0003", "鞍山市装备制造产业技术创新战略联盟")
    request = request_for("91210300MA0003", "鞍山市装备制造产业技术创新战略联盟")
    request.members = [f"鞍山市第{i}机械制造有限责任公司" for i in range(1, 60)]

    await issue(certificates, request)

    _, (document,), _ = stored(registry_url)
    reader = PdfReader(io.BytesIO(document.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "成员单位（59家）" in text
    assert "鞍山市第59机械制造有限责任公司" not in text


@pytest.mark.parametrize(
    ("recognised_on", "last_day"),
    [
        (date(2026, 10, 12), date(2031, 10, 11)),
        (date(2026, 1, 1), date(2030, 12, 31)),
        (date(2028, 2, 29), date(2033, 2, 28)),  # anniversary in a common year is Mar 1
        (date(2027, 3, 1), date(2032, 2, 29)),  # the term ends on a leap day
        (date(2016, 8, 22), date(2021, 8, 21)),
    ],
)
def test_term_ends_the_day_before_the_fifth_anniversary(recognised_on, last_day):
    assert valid_until(recognised_on) == last_day


@pytest.mark.parametrize(
    ("fmt", "year", "seq", "number"),
    [
        ("鞍科批〔{year}〕{seq}号", 2026, 7, "鞍科批〔2026〕7号"),
        ("ASLM-{year}-{seq:03d}", 2026, 7, "ASLM-2026-007"),
        ("ASLM-P-{year}-{seq:03d}", 2027, 1234, "ASLM-P-2027-1234"),
    ],
)
def test_format_number_fills_year_and_sequence(fmt, year, seq, number):
    assert format_number(fmt, year, seq) == number


async def test_the_certificate_embeds_its_font_and_names_its_issuer_and_real_date(
    certificates, registry_url
):
    insert_alliance(registry_url, *STEEL)
    before = datetime.now(UTC).replace(microsecond=0)

    await issue(certificates, request_for(*STEEL))

    _, (document,), _ = stored(registry_url)
    pdf = read_pdf(document.content)
    fonts = list(fonts_of(pdf))
    # A viewer without Chinese fonts shows the text: the glyphs travel in the file.
    assert fonts and all(embedded(descriptor) for _, descriptor in fonts), fonts
    assert not any("STSong" in name or "Helvetica" in name for name, _ in fonts)
    info = pdf.metadata
    assert info.title == "鞍山市钢铁新材料产业技术创新战略联盟 证书 ASLM-2026-001"
    assert info.author == "鞍山市科学技术局"
    assert before <= info.creation_date <= datetime.now(UTC)
    assert info.creation_date == document.created_at.replace(microsecond=0)


async def test_the_seal_has_its_place_over_the_issuer_and_date_and_nothing_else(
    certificates, registry_url
):
    insert_alliance(registry_url, *STEEL)
    await issue(certificates, request_for(*STEEL))
    _, (document,), _ = stored(registry_url)
    font = cjk_font()
    runs: list[tuple[str, float, float, float]] = []  # text, left, right, baseline

    def visit(text, cm, tm, _font, size):
        if text.strip():
            left, baseline = cm[0] * tm[4] + cm[4], cm[3] * tm[5] + cm[5]
            width = pdfmetrics.stringWidth(text.strip(), font, size * tm[0])
            runs.append((text.strip(), left, left + width, baseline))

    read_pdf(document.content).pages[0].extract_text(visitor_text=visit)
    (x, y), r = SEAL_CENTRE, SEAL_RADIUS
    under_seal = [
        text
        for text, left, right, baseline in runs
        if y - r < baseline < y + r and left < x + r and right > x - r
    ]
    assert under_seal == ["鞍山市科学技术局", "2026年10月12日"]


async def test_without_a_cjk_font_no_certificate_is_issued_and_the_incident_says_why(
    registry_url, tmp_path
):
    insert_alliance(registry_url, *STEEL)
    settings = Settings(
        database_url=registry_url, data_dir=tmp_path, cjk_font_path="/nonexistent/SimSun.ttf"
    )

    with pytest.raises(ApplicationError) as refused:
        await issue(CertificateActivities(settings), request_for(*STEEL))

    # Not retried for ever: the workflow turns it into an incident staff retry once fixed.
    assert refused.value.non_retryable and refused.value.type == "CertificateFontMissing"
    assert "/nonexistent/SimSun.ttf" in str(refused.value)
    assert stored(registry_url) == ([], [], {})
