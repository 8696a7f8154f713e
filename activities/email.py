"""Send the workflow's notices by email and record each one in the registry.

A notice's key makes it go out at most once: a key already recorded as sent is skipped, so
Temporal may retry a half-delivered batch freely. Connection faults, timeouts and 4xx replies
raise (Temporal retries the activity); a 5xx refusal is permanent, so it is recorded as
failed for staff to see and the rest of the batch goes on.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
from jinja2 import TemplateError
from sqlmodel import select
from temporalio import activity

from domain.notices import Delivery, DeliveryReport, DeliveryStatus, Notice, NoticeBatch
from domain.procedure import Role
from domain.settings import Settings
from notifications.render import SHANGHAI, render
from registry.database import session_scope
from registry.tables import Document
from registry.tables import EmailMessage as EmailRecord

KEY_HEADER = "X-Alliance-Notice-Key"


def message_id_for(key: str, mail_domain: str) -> str:
    """The Message-ID of a notice: the same key always gives the same id."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{mail_domain}>"


def resolve_recipients(notice: Notice, settings: Settings) -> list[str]:
    """The notice's own addresses, then its roles' addresses from the settings; no repeats."""
    addresses = list(notice.to_emails)
    for role in notice.to_roles:
        match role:
            case Role.BUREAU_STAFF | Role.ADMINISTRATOR:
                addresses += settings.staff_emails
            case Role.DIRECTOR_CLERK:
                addresses += settings.director_clerk_emails
            case Role.EXPERT_ORGANISER:
                addresses += settings.expert_organiser_emails
            case Role.DISTRICT_REVIEWER if notice.district is not None:
                addresses += settings.district_reviewer_emails.get(notice.district, [])
    unique: dict[str, str] = {}
    for address in (a.strip() for a in addresses):
        if address:
            unique.setdefault(address.lower(), address)
    return list(unique.values())


def _temporal_now() -> datetime:
    """Temporal's clock for this attempt: real time in production, simulated time in a
    rehearsal or test on the time-skipping server, so dates in mail match the workflow's."""
    return activity.info().current_attempt_scheduled_time.astimezone(UTC)


class _Unsendable(Exception):
    """A notice that no retry can send (no recipient, broken template, missing document)."""


def _permanent(exc: aiosmtplib.SMTPException) -> bool:
    """A 5xx reply to this message's MAIL, RCPT or DATA. Greeting, login and connection
    faults concern every message, so they are never a reason to give one up."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(refusal.code >= 500 for refusal in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPSenderRefused | aiosmtplib.SMTPDataError) and (
        exc.code >= 500
    )


class _SmtpConnection:
    """One SMTP session for a whole batch, opened when the first message needs it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, message: EmailMessage, recipients: list[str]) -> dict[str, str]:
        """Send; returns the refusals of recipients when others accepted the message."""
        if self._client is None:
            self._client = await self._connect()
        errors, _ = await self._client.send_message(message, recipients=recipients)
        return {address: f"{reply.code} {reply.message}" for address, reply in errors.items()}

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self._settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_tls,
            start_tls=s.smtp_starttls,
            timeout=s.smtp_timeout_seconds,
        )
        try:
            await client.connect()
        except BaseException:
            client.close()
            raise
        return client

    async def close(self) -> None:
        if self._client is None or not self._client.is_connected:
            return
        try:
            await self._client.quit()
        except (aiosmtplib.SMTPException, OSError):
            # Everything is delivered or recorded; a server that hangs up early is no error.
            self._client.close()


class EmailActivities:
    """Renders and sends notices; holds the settings so changed addresses reach old workflows."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._url = settings.registry_url()

    @activity.defn
    async def send_notices(self, batch: NoticeBatch) -> DeliveryReport:
        """Deliver every notice of the batch over one SMTP connection."""
        connection = _SmtpConnection(self._settings)
        deliveries: list[Delivery] = []
        try:
            for notice in batch.notices:
                deliveries.append(await self._deliver(notice, connection))
        finally:
            await connection.close()
        return DeliveryReport(deliveries=deliveries)

    async def _deliver(self, notice: Notice, connection: _SmtpConnection) -> Delivery:
        already = await asyncio.to_thread(self._sent_recipients, notice.key)
        if already is not None:
            return Delivery(key=notice.key, status=DeliveryStatus.ALREADY_SENT, recipients=already)

        recipients = resolve_recipients(notice, self._settings)
        message_id = message_id_for(notice.key, self._settings.mail_domain)
        try:
            message = await self._compose(notice, recipients, message_id)
        except _Unsendable as exc:
            await asyncio.to_thread(self._start_attempt, notice, message_id, recipients, "")
            return await self._failed(notice, recipients, str(exc))

        subject = str(message["Subject"])
        await asyncio.to_thread(self._start_attempt, notice, message_id, recipients, subject)
        try:
            refusals = await connection.send(message, recipients)
        except aiosmtplib.SMTPException as exc:
            if not _permanent(exc):
                raise
            return await self._failed(notice, recipients, str(exc))

        # Some recipients refused while others accepted: sent, with the refusals on record.
        error = "; ".join(f"{address}: {reply}" for address, reply in refusals.items())
        await asyncio.to_thread(self._finish, notice.key, DeliveryStatus.SENT, error)
        return Delivery(
            key=notice.key, status=DeliveryStatus.SENT, recipients=recipients, error=error
        )

    async def _failed(self, notice: Notice, recipients: list[str], error: str) -> Delivery:
        activity.logger.warning("Notice %s not delivered: %s", notice.key, error)
        await asyncio.to_thread(self._finish, notice.key, DeliveryStatus.FAILED, error)
        return Delivery(
            key=notice.key, status=DeliveryStatus.FAILED, recipients=recipients, error=error
        )

    async def _compose(
        self, notice: Notice, recipients: list[str], message_id: str
    ) -> EmailMessage:
        if not recipients:
            roles = ", ".join(role.value for role in notice.to_roles) or "none"
            raise _Unsendable(f"no recipient address (roles: {roles})")
        try:
            rendered = render(
                notice.purpose,
                notice.locale or self._settings.mail_locale,
                {"alliance_code": notice.alliance_code, **notice.context},
            )
        except TemplateError as exc:
            raise _Unsendable(f"template {notice.purpose.value} failed: {exc}") from exc
        documents = await asyncio.to_thread(self._documents, notice.attachment_document_ids)

        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = ", ".join(recipients)
        message["Subject"] = rendered.subject
        message["Date"] = format_datetime(_temporal_now().astimezone(SHANGHAI))
        message["Message-ID"] = message_id
        message[KEY_HEADER] = notice.key
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        for document in documents:
            maintype, _, subtype = document.content_type.partition("/")
            message.add_attachment(
                document.content, maintype=maintype, subtype=subtype, filename=document.filename
            )
        return message

    # ---- registry (synchronous; run in a thread) ----

    def _sent_recipients(self, key: str) -> list[str] | None:
        with session_scope(self._url) as session:
            row = session.exec(select(EmailRecord).where(EmailRecord.key == key)).first()
            if row is None or row.status != DeliveryStatus.SENT:
                return None
            return list(row.recipients)

    def _documents(self, ids: list[int]) -> list[Document]:
        if not ids:
            return []
        with session_scope(self._url) as session:
            found = {d.id: d for d in session.exec(select(Document).where(Document.id.in_(ids)))}
        missing = [i for i in ids if i not in found]
        if missing:
            raise _Unsendable(f"attachment documents not found: {missing}")
        return [found[i] for i in ids]

    def _start_attempt(
        self, notice: Notice, message_id: str, recipients: list[str], subject: str
    ) -> None:
        now = _temporal_now()
        with session_scope(self._url) as session:
            row = session.exec(select(EmailRecord).where(EmailRecord.key == notice.key)).first()
            if row is None:
                row = EmailRecord(
                    key=notice.key,
                    message_id=message_id,
                    alliance_code=notice.alliance_code,
                    purpose=notice.purpose.value,
                    subject=subject,
                    created_at=now,
                )
            row.message_id = message_id
            row.recipients = recipients
            row.subject = subject
            row.status = "sending"
            row.error = ""
            row.attempts += 1
            session.add(row)

    def _finish(self, key: str, status: DeliveryStatus, error: str) -> None:
        with session_scope(self._url) as session:
            row = session.exec(select(EmailRecord).where(EmailRecord.key == key)).one()
            row.status = status.value
            row.error = error
            if status == DeliveryStatus.SENT:
                row.sent_at = _temporal_now()
            session.add(row)
