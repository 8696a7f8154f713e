"""证书补发: bureau staff print a recognised alliance's certificate again, with the same
numbers and validity and the day it was reissued; the earlier print stays on record."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader
from sqlmodel import select

from registry.database import session_scope
from registry.tables import Certificate, Document
from tests.web.conftest import csrf_of
from tests.web.test_registry_pages import registered


async def test_staff_reissue_a_certificate_with_the_same_numbers(bureau, as_user):
    code = await bureau.recognise()
    await registered(bureau, code, "active")
    staff = await as_user("staff")
    page = await staff.get(f"/alliances/{code}")
    assert 'id="certificate"' in page.text
    first = await staff.get(f"/alliances/{code}/certificate.pdf")

    unexplained = await staff.post(
        f"/alliances/{code}/certificate/reissue", data={"csrf": csrf_of(page.text), "reason": " "}
    )
    assert unexplained.status_code == 400 and "请填写补发原因" in unexplained.text

    done = await staff.post(
        f"/alliances/{code}/certificate/reissue",
        data={"csrf": csrf_of(page.text), "reason": "原证书遗失"},
    )
    assert done.status_code == 303
    again = await staff.get(f"/alliances/{code}/certificate.pdf")
    assert again.content != first.content
    text = PdfReader(BytesIO(again.content)).pages[0].extract_text()
    url = bureau.settings.registry_url()
    with session_scope(url) as session:
        certificate = session.exec(
            select(Certificate).where(Certificate.alliance_code == code)
        ).one()
        prints = session.exec(select(Document).where(Document.alliance_code == code)).all()
    assert certificate.serial in text and certificate.approval_document_number in text
    assert "补发" in text
    assert len([d for d in prints if d.kind == "certificate"]) == 2  # the first print kept
    timeline = (await staff.get(f"/alliances/{code}")).text.split('id="timeline"', 1)[1]
    assert "证书补发" in timeline and "原证书遗失" in timeline

    reviewer = await as_user("clerk")
    refused = await reviewer.post(
        f"/alliances/{code}/certificate/reissue",
        data={"csrf": csrf_of((await reviewer.get("/inbox")).text), "reason": "x"},
    )
    assert refused.status_code == 403
