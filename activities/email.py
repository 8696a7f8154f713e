"""Send a workflow's notice by email and record its delivery in the registry.

Every notice is delivered at least once. Its key makes a repeat send nothing: a key
already recorded as sent is skipped. A second copy can only reach a mailbox when the
worker or the registry dies between the relay accepting the message and the registry
recording it; it carries the same Message-ID, so mail clients show one message.

Connection faults, timeouts and 4xx replies raise (Temporal retries the activity). 5xx
refusals are permanent: all recipients refused is `failed`, some of them `partly_failed`
with each refused address and reply on record; a re-send goes to the refused ones only.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
from jinja2 import TemplateError
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select
from temporalio import activity

from domain.notices import Delivery, DeliveryStatus, Notice, Purpose
from domain.procedure import Role
from domain.settings import Settings
from notifications.relay import relay_options
from notifications.render import SHANGHAI, Activation, render
from registry.database import session_scope
from registry.portal_accounts import issue_activation_links
from registry.tables import Document
from registry.tables import EmailMessage as EmailRecord

KEY_HEADER = "X-Alliance-Notice-Key"
ACCEPTED = "accepted"  # heartbeat detail: the relay took the message in this attempt
# Notices that open the alliance portal to their contact addresses: the application's
# receipt, and the term's first notice (an article-13 import has no receipt).
ACTIVATING = frozenset({Purpose.APPLICATION_RECEIVED, Purpose.TERM_STARTED})


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


async def _smtp_send(
    settings: Settings, message: EmailMessage, recipients: list[str]
) -> dict[str, str]:
    """One SMTP session for one message; returns refusals of recipients when others accepted."""
    client = aiosmtplib.SMTP(**relay_options(settings))
    async with client:
        errors, _ = await client.send_message(message, recipients=recipients)
    return {address: f"{reply.code} {reply.message}" for address, reply in errors.items()}


class EmailActivities:
    """Renders and sends notices; holds the settings so changed addresses reach old workflows."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._url = settings.registry_url()

    @activity.defn
    async def send_notice(self, notice: Notice) -> Delivery:
        """Deliver one notice; permanent refusals come back as a failed delivery."""
        activity.heartbeat()
        row = await asyncio.to_thread(self._row, notice.key)
        if row is not None and row.status == DeliveryStatus.SENT:
            return Delivery(
                key=notice.key, status=DeliveryStatus.ALREADY_SENT, recipients=row.recipients
            )
        message_id = message_id_for(notice.key, self._settings.mail_domain)
        if ACCEPTED in activity.info().heartbeat_details:
            # The relay took it in an earlier attempt whose registry write failed.
            return await self._record_outcome(notice, {})

        # A re-send after some recipients refused goes to the others no more.
        accepted = (
            [a for a in row.recipients if a not in row.refused] if row and row.refused else []
        )
        recipients = [a for a in resolve_recipients(notice, self._settings) if a not in accepted]
        try:
            message = await self._compose(notice, recipients, message_id)
        except _Unsendable as exc:
            await asyncio.to_thread(
                self._start_attempt, notice, message_id, [*accepted, *recipients], ""
            )
            return await self._failed(notice, recipients, {}, str(exc))

        await asyncio.to_thread(
            self._start_attempt,
            notice,
            message_id,
            [*accepted, *recipients],
            str(message["Subject"]),
        )
        activity.heartbeat()
        try:
            refused = await _smtp_send(self._settings, message, recipients)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if not _permanent(exc):
                raise
            refused = {r.recipient: f"{r.code} {r.message}" for r in exc.recipients}
            return await self._failed(notice, recipients, refused, _refusals(refused))
        except aiosmtplib.SMTPException as exc:
            if not _permanent(exc):
                raise
            return await self._failed(notice, recipients, {}, str(exc))
        activity.heartbeat(ACCEPTED)
        return await self._record_outcome(notice, refused)

    async def _record_outcome(self, notice: Notice, refused: dict[str, str]) -> Delivery:
        """Record what the relay accepted, retrying the registry while the attempt lasts,
        so a short registry outage does not turn into a second copy of the message."""
        status = DeliveryStatus.PARTLY_FAILED if refused else DeliveryStatus.SENT
        error = _refusals(refused)
        delay = 0.5
        while True:
            try:
                row = await asyncio.to_thread(self._finish, notice, status, refused, error)
                break
            except DBAPIError:
                activity.heartbeat(ACCEPTED)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 4)
        return Delivery(
            key=notice.key, status=status, recipients=row.recipients, refused=refused, error=error
        )

    async def _failed(
        self, notice: Notice, recipients: list[str], refused: dict[str, str], error: str
    ) -> Delivery:
        activity.logger.warning("Notice %s not delivered: %s", notice.key, error)
        await asyncio.to_thread(self._finish, notice, DeliveryStatus.FAILED, refused, error)
        return Delivery(
            key=notice.key,
            status=DeliveryStatus.FAILED,
            recipients=recipients,
            refused=refused,
            error=error,
        )

    async def _compose(
        self, notice: Notice, recipients: list[str], message_id: str
    ) -> EmailMessage:
        if not recipients:
            roles = ", ".join(role.value for role in notice.to_roles) or "none"
            raise _Unsendable(f"no recipient address (roles: {roles})")
        activations = await asyncio.to_thread(self._activations, notice, recipients)
        try:
            rendered = render(
                notice.purpose,
                notice.locale or self._settings.mail_locale,
                {"alliance_code": notice.alliance_code, **notice.context},
                public_base_url=self._settings.public_base_url,
                activations=activations,
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

    def _activations(self, notice: Notice, recipients: list[str]) -> list[Activation]:
        """Portal activation links for the alliance's addresses this message goes to, made
        as it is rendered: a retry replaces the address's unused link, so one stays live."""
        if notice.purpose not in ACTIVATING:
            return []
        addresses = [a for a in notice.to_emails if a in recipients]
        issued = issue_activation_links(
            self._url,
            notice.alliance_code,
            addresses,
            notice.key,
            self._settings.portal_activation_days,
            datetime.now(UTC),  # the person clicks in real time, whatever the workflow's clock
        )
        return [Activation(link.email, link.token, link.expires_at) for link in issued]

    def _row(self, key: str) -> EmailRecord | None:
        with session_scope(self._url) as session:
            return session.exec(select(EmailRecord).where(EmailRecord.key == key)).first()

    def _documents(self, ids: list[int]) -> list[Document]:
        if not ids:
            return []
        with session_scope(self._url) as session:
            found = {
                d.id: d for d in session.exec(select(Document).where(col(Document.id).in_(ids)))
            }
        missing = [i for i in ids if i not in found]
        if missing:
            raise _Unsendable(f"attachment documents not found: {missing}")
        return [found[i] for i in ids]

    def _start_attempt(
        self, notice: Notice, message_id: str, recipients: list[str], subject: str
    ) -> None:
        with session_scope(self._url) as session:
            row = _row_for(session, notice)
            row.recipients = recipients
            row.message_id = message_id
            row.subject = subject or row.subject
            row.status = DeliveryStatus.SENDING.value
            row.attempts += 1
            session.add(row)

    def _finish(
        self, notice: Notice, status: DeliveryStatus, refused: dict[str, str], error: str
    ) -> EmailRecord:
        with session_scope(self._url) as session:
            row = _row_for(session, notice)
            if not row.message_id:  # its first attempt's row was lost with the registry
                row.message_id = message_id_for(notice.key, self._settings.mail_domain)
                row.recipients = resolve_recipients(notice, self._settings)
            row.status = status.value
            row.refused = refused
            row.error = error
            if status in (DeliveryStatus.SENT, DeliveryStatus.PARTLY_FAILED):
                row.sent_at = _temporal_now()
            session.add(row)
            return row


def _row_for(session: Session, notice: Notice) -> EmailRecord:
    row = session.exec(select(EmailRecord).where(EmailRecord.key == notice.key)).first()
    if row is None:
        row = EmailRecord(
            key=notice.key,
            message_id="",
            alliance_code=notice.alliance_code,
            purpose=notice.purpose.value,
            subject="",
            created_at=_temporal_now(),
        )
    return row


def _refusals(refused: dict[str, str]) -> str:
    return "; ".join(f"{address}: {reply}" for address, reply in refused.items())
