"""Article 9 end to end: from application to certificate, every email checked."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from pypdf import PdfReader
from sqlmodel import select

from domain.procedure import Stage
from domain.shanghai_time import local_date
from domain.working_days import notice_window
from registry.calendar_store import load_calendar
from registry.database import session_scope
from registry.tables import Alliance, AuditEntry, Document
from tests.support.temporal import body_of, sample_application, subject_of


async def test_sample_application_goes_from_submission_to_certificate(bureau_each_db):
    bureau = bureau_each_db
    app = sample_application()
    code = await bureau.submit(app)
    receipt = await bureau.wait_for_mail("application_received")
    assert len(receipt) == 1
    assert set(receipt[0]["To"].split(", ")) >= set(app.recipient_emails())
    assert app.alliance_name in subject_of(receipt[0]) or app.alliance_name in body_of(receipt[0])

    asked = await bureau.wait_for_mail("action_requested")
    district_inbox = bureau.settings.district_reviewer_emails[app.district]
    assert asked[0]["To"] == ", ".join(district_inbox)

    await bureau.recommend(code, app.district)
    await bureau.wait_for_mail("action_requested", 2)
    await bureau.pass_expert_review(code)
    await bureau.wait_for_mail("action_requested", 3)
    await bureau.approve_at_meeting(code)
    decided_on = local_date(await bureau.now())

    published = await bureau.wait_for_mail("notice_published")
    state = await bureau.state(code)
    calendar = load_calendar(bureau.settings.registry_url(), [decided_on.year, decided_on.year + 1])
    expected = notice_window(calendar, decided_on + timedelta(days=1))
    assert (state.notice.start, state.notice.end) == (expected.start, expected.end)
    text = body_of(published[0])
    assert f"{expected.start.year}年{expected.start.month}月{expected.start.day}日" in text
    assert f"{expected.end.year}年{expected.end.month}月{expected.end.day}日" in text

    # 9.5: bureau staff are asked for the approval document and record it.
    approval = await bureau.record_approval(code, "鞍科批〔2026〕7号")
    assert approval.stage == Stage.APPROVAL
    assert approval.approval_plan.first_day == calendar.next_working_day(expected.end)
    final = await bureau.wait_for_state(code, lambda s: s.recognition is not None)
    assert final.stage == Stage.RECOGNISED
    assert final.recognition.recognised_on == approval.approval_plan.first_day
    assert final.recognition.approval_document_number == "鞍科批〔2026〕7号"

    recognised = await bureau.wait_for_mail("recognised")
    assert len(recognised) == 1
    assert final.recognition.certificate_serial in body_of(recognised[0])
    pdf = [p for p in recognised[0].iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdf) == 1
    pdf_text = PdfReader(BytesIO(pdf[0].get_content())).pages[0].extract_text()
    assert app.alliance_name in pdf_text
    alliance_inbox = set(app.recipient_emails())
    assert set(recognised[0]["To"].split(", ")) == alliance_inbox | set(district_inbox)

    # Article 11: the same workflow id now carries the five-year term.
    started = await bureau.wait_for_mail("term_started")
    assert set(started[0]["To"].split(", ")) == alliance_inbox
    term = await bureau.term_state(code)
    assert (term.term_no, term.term_start, term.term_end) == (
        1,
        final.recognition.recognised_on,
        final.recognition.valid_until,
    )

    recipients = {
        "application_received": alliance_inbox,
        "progress": alliance_inbox,
        "notice_published": alliance_inbox,
        "term_started": alliance_inbox,
    }
    purposes = [m["X-Alliance-Notice-Key"].split(":")[2] for m in bureau.mails()]
    assert sorted(purposes) == sorted(
        ["application_received", "notice_published", "recognised", "term_started"]
        + ["action_requested"] * 4
        + ["progress"] * 2
    )
    for message in bureau.mails():
        purpose = message["X-Alliance-Notice-Key"].split(":")[2]
        if purpose in recipients:
            assert set(message["To"].split(", ")) == recipients[purpose], purpose
    asked = [set(m["To"].split(", ")) for m in bureau.mails("action_requested")]
    assert asked == [
        set(district_inbox),
        set(bureau.settings.expert_organiser_emails),
        set(bureau.settings.staff_emails) | set(bureau.settings.director_clerk_emails),
        set(bureau.settings.staff_emails),
    ]

    with session_scope(bureau.settings.registry_url()) as session:
        alliance = session.get(Alliance, code)
        actions = session.exec(
            select(AuditEntry.action)
            .where(AuditEntry.alliance_code == code)
            .order_by(AuditEntry.id)
        ).all()
        documents = session.exec(select(Document).where(Document.alliance_code == code)).all()
    assert (alliance.status, alliance.term_no, alliance.term_end) == ("active", 1, term.term_end)
    assert alliance.certificate_serial == final.recognition.certificate_serial
    assert actions == [
        "submitted",
        "district_review.recommend",
        "expert_review.pass",
        "director_meeting.approve",
        "public_notice.published",
        "public_notice.ended",
        "approval.recorded",
        "recognised",
        "term.started",
    ]
    assert len(documents) == 1
    await bureau.keep_history(code, "recognised")
