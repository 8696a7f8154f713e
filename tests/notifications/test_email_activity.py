from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime

import aiosmtplib
import pytest
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.email import ACCEPTED, EmailActivities, message_id_for
from domain.districts import District
from domain.notices import Delivery, DeliveryStatus, Notice, Purpose
from domain.procedure import Role
from registry.database import session_scope
from registry.tables import Alliance, Document, EmailMessage
from tests.support.smtp_fixture import settings_for
from tests.support.smtp_server import RecordingSmtpServer

CODE = "91210300MA0QC1234X"
LEAD = "mishuchu@lingmei-alliance.example"
OTHER = "contact@other-alliance.example"
PDF = b"%PDF-1.4\n% certificate\n%%EOF\n"

CONTEXT = {
    "alliance_name": "鞍山市菱镁新材料产业技术创新战略联盟",
    "alliance_code": CODE,
    "district": "haicheng",
    "district_name": "海城市",
}


@pytest.fixture
def settings(smtp_server, registry_url, tmp_path):
    return settings_for(smtp_server, registry_url, tmp_path)


@pytest.fixture
def activities(settings):
    return EmailActivities(settings)


async def send(activities: EmailActivities, notice: Notice, heartbeat_details=()) -> Delivery:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_details=list(heartbeat_details))
    return await env.run(activities.send_notice, notice)


def progress(key: str, *to: str) -> Notice:
    return Notice(
        key=key,
        alliance_code=CODE,
        purpose=Purpose.PROGRESS,
        to_emails=list(to),
        context={**CONTEXT, "stage_name": "县区审查推荐", "next_stage_name": "专家评审"},
    )


def store_certificate(url: str) -> int:
    now = datetime.now(UTC)
    with session_scope(url) as session:
        session.add(
            Alliance(
                code=CODE,
                name=CONTEXT["alliance_name"],
                district="haicheng",
                status="recognised",
                created_at=now,
                updated_at=now,
            )
        )
        document = Document(
            alliance_code=CODE,
            kind="certificate",
            filename="认定证书-ASLM-2026-003.pdf",
            sha256=hashlib.sha256(PDF).hexdigest(),
            content=PDF,
            created_at=now,
        )
        session.add(document)
        session.flush()
        return document.id


def email_row(url: str, key: str) -> EmailMessage:
    with session_scope(url) as session:
        return session.exec(select(EmailMessage).where(EmailMessage.key == key)).one()


async def test_recognition_notice_arrives_with_role_recipients_both_parts_and_certificate(
    activities, settings, smtp_server, registry_url
):
    document_id = store_certificate(registry_url)
    notice = Notice(
        key=f"{CODE}:recognised:1",
        alliance_code=CODE,
        purpose=Purpose.RECOGNISED,
        to_emails=[LEAD],
        to_roles=[Role.DISTRICT_REVIEWER, Role.BUREAU_STAFF, Role.ADMINISTRATOR],
        district=District.HAICHENG,
        context={
            **CONTEXT,
            "approval_document_number": "鞍科批〔2026〕3号",
            "certificate_serial": "ASLM-2026-003",
            "plaque_number": "ASLM-P-2026-003",
            "recognised_on": "2026-10-12",
            "valid_until": "2031-10-11",
        },
        attachment_document_ids=[document_id],
    )

    delivery = await send(activities, notice)

    expected = [
        LEAD,
        *settings.district_reviewer_emails[District.HAICHENG],
        *settings.staff_emails,  # staff and administrator share addresses: listed once
    ]
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.recipients == expected
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == expected
    assert settings.district_reviewer_emails[District.TIEDONG][0] not in mail["To"]
    assert (
        mail["Subject"]
        == "【鞍山市科技局】鞍山市菱镁新材料产业技术创新战略联盟已认定为市级产业技术创新战略联盟"
    )
    assert mail["Message-ID"] == message_id_for(notice.key, settings.mail_domain)
    assert mail["Message-ID"].endswith(f"@{settings.mail_domain}>")
    assert mail["X-Alliance-Notice-Key"] == notice.key
    assert mail["From"].addresses[0].display_name == "鞍山市科学技术局"
    assert mail["Date"]
    for part in (mail.text, mail.html):
        assert "ASLM-2026-003" in part
        assert "2031年10月11日" in part
    assert mail.get_body(("html",)).get_content_type() == "text/html"
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "认定证书-ASLM-2026-003.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF

    row = email_row(registry_url, notice.key)
    assert (row.status, row.attempts, row.error) == ("sent", 1, "")
    assert row.recipients == expected
    assert row.sent_at is not None
    assert row.message_id == mail["Message-ID"]
    assert row.subject == mail["Subject"]


async def test_notice_in_english_when_its_locale_says_so(activities, smtp_server):
    notice = progress(f"{CODE}:progress:district_review", LEAD).model_copy(update={"locale": "en"})

    await send(activities, notice)

    [mail] = smtp_server.to(LEAD)
    assert mail["Subject"].startswith("[Anshan S&T Bureau] Application progress")
    assert "expert review stage" in mail.text


async def test_sending_the_same_notice_twice_delivers_once(activities, smtp_server, registry_url):
    notice = progress(f"{CODE}:progress:district_review", LEAD)

    first = await send(activities, notice)
    second = await send(activities, notice)

    assert first.status == DeliveryStatus.SENT
    assert second.status == DeliveryStatus.ALREADY_SENT
    assert second.recipients == [LEAD]
    assert len(smtp_server.to(LEAD)) == 1
    assert email_row(registry_url, notice.key).attempts == 1
    # The second attempt had nothing to send, so it never opened a connection.
    assert smtp_server.connections == 1


async def test_every_recipient_refused_is_failed_with_each_reply(
    activities, smtp_server, registry_url
):
    smtp_server.refuse(LEAD)
    notice = progress(f"{CODE}:progress:district_review", LEAD)

    delivery = await send(activities, notice)

    assert delivery.status == DeliveryStatus.FAILED
    assert "550" in delivery.refused[LEAD] and "mailbox unavailable" in delivery.error
    assert smtp_server.to(LEAD) == []
    row = email_row(registry_url, notice.key)
    assert row.status == "failed"
    assert "550" in row.refused[LEAD]
    assert row.sent_at is None


async def test_one_recipient_refused_is_partly_failed_and_a_resend_goes_to_it_only(
    activities, smtp_server, registry_url
):
    smtp_server.refuse(LEAD)
    notice = progress(f"{CODE}:progress:district_review", LEAD, OTHER)

    delivery = await send(activities, notice)

    assert delivery.status == DeliveryStatus.PARTLY_FAILED
    assert list(delivery.refused) == [LEAD]
    assert len(smtp_server.to(OTHER)) == 1 and smtp_server.to(LEAD) == []
    row = email_row(registry_url, notice.key)
    assert (row.status, list(row.refused)) == ("partly_failed", [LEAD])
    assert LEAD in row.error and "550" in row.error

    smtp_server.refused.clear()  # the mailbox was fixed at the other end
    resent = await send(activities, notice)

    assert resent.status == DeliveryStatus.SENT
    assert len(smtp_server.to(LEAD)) == 1
    assert len(smtp_server.to(OTHER)) == 1  # the one who had it got no second copy
    assert smtp_server.to(LEAD)[0]["Message-ID"] == smtp_server.to(OTHER)[0]["Message-ID"]
    row = email_row(registry_url, notice.key)
    assert (row.status, row.refused, row.recipients) == ("sent", {}, [OTHER, LEAD])


async def test_an_attempt_after_the_relay_accepted_records_without_sending_again(
    activities, smtp_server, registry_url
):
    notice = progress(f"{CODE}:progress:district_review", LEAD)

    delivery = await send(activities, notice, heartbeat_details=[ACCEPTED])

    assert delivery.status == DeliveryStatus.SENT
    assert smtp_server.to(LEAD) == []  # the earlier attempt's copy is the one delivered
    assert email_row(registry_url, notice.key).status == "sent"


async def test_notice_without_any_address_is_recorded_as_failed(activities, registry_url):
    notice = progress(f"{CODE}:progress:district_review").model_copy(
        update={"to_roles": [Role.DISTRICT_REVIEWER]}  # no district given: nobody to resolve
    )

    delivery = await send(activities, notice)

    assert delivery.status == DeliveryStatus.FAILED
    assert "no recipient" in delivery.error
    assert email_row(registry_url, notice.key).status == "failed"


async def test_temporary_refusal_raises_and_the_retry_delivers_once(
    activities, smtp_server, registry_url
):
    notice = progress(f"{CODE}:progress:district_review", LEAD)
    smtp_server.defer_next(1)

    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        await send(activities, notice)
    assert refused.value.code == 451
    assert email_row(registry_url, notice.key).status == "sending"

    retry = await send(activities, notice)

    assert retry.status == DeliveryStatus.SENT
    assert len(smtp_server.to(LEAD)) == 1
    assert email_row(registry_url, notice.key).attempts == 2


async def test_unreachable_server_raises_for_a_retry(registry_url, tmp_path):
    never_started = RecordingSmtpServer()  # its port is free: nothing listens there
    activities = EmailActivities(settings_for(never_started, registry_url, tmp_path))

    with pytest.raises(aiosmtplib.SMTPConnectError):
        await send(activities, progress(f"{CODE}:progress:district_review", LEAD))
