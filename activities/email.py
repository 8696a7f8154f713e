"""Send a workflow's notice by email and record its delivery in the registry.

Every notice is delivered at least once. Its key makes a repeat send nothing: a key
already recorded as sent is skipped, and one the relay took in an attempt that then
failed or ran out of time is recorded without being sent again (the attempt's heartbeat
says so). A second copy can only reach a mailbox when the worker or the registry dies
between the relay accepting the message and that heartbeat or the registry's record; it
carries the same Message-ID, so mail clients show one message.

Connection faults, timeouts and 4xx replies raise (Temporal retries the activity). 5xx
refusals are permanent: all recipients refused is `failed`, some of them `partly_failed`
with each refused address and reply on record; a re-send goes to the refused ones only.

One attempt costs two registry transactions: before the relay (is it sent already? to
whom, composed, the attempt counted) and after it (what the relay answered). Connections
to the relay are kept between notices (`notifications.relay.RelayConnections`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from typing import Any

import aiosmtplib
from jinja2 import TemplateError
from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import col
from sqlmodel import select as orm_select
from temporalio import activity

from domain.notices import Delivery, DeliveryStatus, Notice, Purpose
from domain.procedure import Role
from domain.settings import Settings
from notifications.relay import RelayConnections
from notifications.render import SHANGHAI, Activation, RenderedEmail, render
from registry.database import engine_for, session_scope
from registry.portal_accounts import issue_activation_links
from registry.tables import Document
from registry.tables import EmailMessage as EmailRecord

KEY_HEADER = "X-Alliance-Notice-Key"
ACCEPTED = "accepted"  # heartbeat detail: the relay took the message in this attempt
# Notices that open the alliance portal to their contact addresses: the application's
# receipt, and the term's first notice (an article-13 import has no receipt).
ACTIVATING = frozenset({Purpose.APPLICATION_RECEIVED, Purpose.TERM_STARTED})
# A send that has waited this long on the registry heartbeats before it goes to the relay.
HEARTBEAT_AFTER_SECONDS = 1.0

# The email rows' statements, built once: SQLAlchemy then reuses their compiled form
# instead of building a cache key from each call's values (half a notice's registry time).
_EMAILS = EmailRecord.__table__  # type: ignore[attr-defined]
_FIND = select(_EMAILS.c.status, _EMAILS.c.recipients, _EMAILS.c.refused).where(
    _EMAILS.c.key == bindparam("k")
)
_FIND_SENT_TO = select(_EMAILS.c.recipients, _EMAILS.c.message_id).where(
    _EMAILS.c.key == bindparam("k")
)
_ADD = insert(_EMAILS)
_COUNT_ATTEMPT = (
    update(_EMAILS).where(_EMAILS.c.key == bindparam("k")).values(attempts=_EMAILS.c.attempts + 1)
)
_SET = update(_EMAILS).where(_EMAILS.c.key == bindparam("k"))


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


@dataclass(frozen=True)
class _Outgoing:
    """A message ready for the relay, its attempt counted in the registry."""

    message: bytes | EmailMessage
    recipients: list[str]  # this attempt's: the ones an earlier attempt reached are left out


class EmailActivities:
    """Renders and sends notices; holds the settings so changed addresses reach old workflows."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._url = settings.registry_url()
        self._relay = RelayConnections(settings)
        self._sender = parseaddr(settings.mail_from)[1] or settings.mail_from

    @activity.defn
    async def send_notice(self, notice: Notice) -> Delivery:
        """Deliver one notice; permanent refusals come back as a failed delivery."""
        return await self.deliver(notice)

    async def deliver(self, notice: Notice) -> Delivery:
        """`send_notice`'s work, also for a batch of effects (`activities.effects`).

        It heartbeats only when it must: before the relay if the registry kept it waiting,
        and `ACCEPTED` once the relay took the message if the attempt has been slow or the
        registry cannot yet record it, so a retry records without sending again. A notice
        that goes through at once sends no heartbeat to Temporal."""
        began = time.monotonic()
        now = _temporal_now()
        accepted_earlier = ACCEPTED in activity.info().heartbeat_details
        step = await asyncio.to_thread(self._begin, notice, accepted_earlier, now)
        if isinstance(step, Delivery):
            if step.status == DeliveryStatus.FAILED:
                activity.logger.warning("Notice %s not delivered: %s", notice.key, step.error)
            return step
        if step is None:  # the relay took it in an earlier attempt whose registry write failed
            return await self._record_outcome(notice, {}, now)

        if time.monotonic() - began > HEARTBEAT_AFTER_SECONDS:
            activity.heartbeat()
        try:
            replies = await self._relay.send(step.message, self._sender, step.recipients)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if not _permanent(exc):
                raise
            refused = {r.recipient: f"{r.code} {r.message}" for r in exc.recipients}
            return await self._failed(notice, step.recipients, refused, _refusals(refused), now)
        except aiosmtplib.SMTPException as exc:
            if not _permanent(exc):
                raise
            return await self._failed(notice, step.recipients, {}, str(exc), now)
        refused = {address: f"{reply.code} {reply.message}" for address, reply in replies.items()}
        if not refused and time.monotonic() - began > HEARTBEAT_AFTER_SECONDS:
            # A slow attempt may run out of its heartbeat time before the registry records
            # the message: the retry must then record it, not send it again.
            activity.heartbeat(ACCEPTED)
        return await self._record_outcome(notice, refused, now)

    async def _record_outcome(
        self, notice: Notice, refused: dict[str, str], now: datetime
    ) -> Delivery:
        """Record what the relay accepted, retrying the registry while the attempt lasts,
        so a short registry outage does not turn into a second copy of the message. From
        the first failure on, the attempt's heartbeat says the relay took it."""
        status = DeliveryStatus.PARTLY_FAILED if refused else DeliveryStatus.SENT
        error = _refusals(refused)
        delay = 0.5
        while True:
            try:
                recipients = await asyncio.to_thread(
                    self._finish, notice, status, refused, error, now
                )
                break
            except DBAPIError:
                activity.heartbeat(ACCEPTED)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 4)
            except BaseException:
                activity.heartbeat(ACCEPTED)
                raise
        return Delivery(
            key=notice.key, status=status, recipients=recipients, refused=refused, error=error
        )

    async def _failed(
        self,
        notice: Notice,
        recipients: list[str],
        refused: dict[str, str],
        error: str,
        now: datetime,
    ) -> Delivery:
        activity.logger.warning("Notice %s not delivered: %s", notice.key, error)
        await asyncio.to_thread(self._finish, notice, DeliveryStatus.FAILED, refused, error, now)
        return Delivery(
            key=notice.key,
            status=DeliveryStatus.FAILED,
            recipients=recipients,
            refused=refused,
            error=error,
        )

    # ---- registry and composition (synchronous; run in a thread) ----

    def _begin(
        self, notice: Notice, accepted_earlier: bool, now: datetime
    ) -> _Outgoing | Delivery | None:
        """One transaction before the relay: a notice already sent is `already_sent`; one
        the relay took in an earlier attempt is None (record it); otherwise the message is
        composed and the attempt counted (`sending`), or, when it can never be composed,
        recorded as failed (a Delivery)."""
        with engine_for(self._url).begin() as db:
            row = db.execute(_FIND, {"k": notice.key}).first()
            if row is not None and row.status == DeliveryStatus.SENT:
                return Delivery(
                    key=notice.key, status=DeliveryStatus.ALREADY_SENT, recipients=row.recipients
                )
            if accepted_earlier:
                return None
            # A re-send after some recipients refused goes to the others no more.
            accepted = (
                [a for a in row.recipients if a not in row.refused]
                if row is not None and row.refused
                else []
            )
            recipients = [
                a for a in resolve_recipients(notice, self._settings) if a not in accepted
            ]
            message_id = message_id_for(notice.key, self._settings.mail_domain)
            try:
                subject, message = self._compose(notice, recipients, message_id, now)
            except _Unsendable as exc:
                error = str(exc)
                self._write_attempt(
                    db,
                    row is not None,
                    notice,
                    message_id,
                    [*accepted, *recipients],
                    "",
                    now,
                    failed=error,
                )
                return Delivery(
                    key=notice.key,
                    status=DeliveryStatus.FAILED,
                    recipients=recipients,
                    error=error,
                )
            self._write_attempt(
                db, row is not None, notice, message_id, [*accepted, *recipients], subject, now
            )
        return _Outgoing(message, recipients)

    def _compose(
        self, notice: Notice, recipients: list[str], message_id: str, now: datetime
    ) -> tuple[str, bytes | EmailMessage]:
        """The subject and the message: its text and HTML parts, then any attachments."""
        if not recipients:
            roles = ", ".join(role.value for role in notice.to_roles) or "none"
            raise _Unsendable(f"no recipient address (roles: {roles})")
        try:
            rendered = render(
                notice.purpose,
                notice.locale or self._settings.mail_locale,
                {"alliance_code": notice.alliance_code, **notice.context},
                public_base_url=self._settings.public_base_url,
                activations=self._activations(notice, recipients),
            )
        except TemplateError as exc:
            raise _Unsendable(f"template {notice.purpose.value} failed: {exc}") from exc
        headers = {
            "From": self._settings.mail_from,
            "To": ", ".join(recipients),
            "Subject": rendered.subject,
            "Date": format_datetime(now.astimezone(SHANGHAI)),
            "Message-ID": message_id,
            KEY_HEADER: notice.key,
        }
        for name, value in headers.items():
            if "\r" in value or "\n" in value:
                raise _Unsendable(f"a line break in the {name} header")
        documents = self._documents(notice.attachment_document_ids)
        plain = (self._sender, *recipients, message_id, notice.key)
        if not documents and all(value.isascii() for value in plain):
            return rendered.subject, _wire_message(headers, recipients, rendered)
        # Attachments, or an address in Unicode (SMTPUTF8): the email package's message,
        # which aiosmtplib writes out (in UTF-8 for a relay that allows it).
        return rendered.subject, _email_message(headers, rendered, documents)

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

    def _documents(self, ids: list[int]) -> list[Document]:
        if not ids:
            return []
        with session_scope(self._url) as session:
            found = {
                d.id: d for d in session.exec(orm_select(Document).where(col(Document.id).in_(ids)))
            }
        missing = [i for i in ids if i not in found]
        if missing:
            raise _Unsendable(f"attachment documents not found: {missing}")
        return [found[i] for i in ids]

    def _write_attempt(
        self,
        db: Connection,
        exists: bool,
        notice: Notice,
        message_id: str,
        recipients: list[str],
        subject: str,
        now: datetime,
        failed: str = "",
    ) -> None:
        """Count an attempt on the notice's row (made on its first): `sending`, or
        `failed` with the reason when the message cannot be composed."""
        values: dict[str, Any] = {
            "recipients": recipients,
            "message_id": message_id,
            "status": (DeliveryStatus.FAILED if failed else DeliveryStatus.SENDING).value,
        }
        if subject:
            values["subject"] = subject
        if failed:
            values |= {"refused": {}, "error": failed}
        if exists:
            db.execute(_COUNT_ATTEMPT, {"k": notice.key, **values})
            return
        _add_row(db, notice, now, attempts=1, **values)

    def _finish(
        self,
        notice: Notice,
        status: DeliveryStatus,
        refused: dict[str, str],
        error: str,
        now: datetime | None = None,
    ) -> list[str]:
        """Record the relay's answer; returns the row's recipients."""
        now = now or _temporal_now()
        values: dict[str, Any] = {"status": status.value, "refused": refused, "error": error}
        if status in (DeliveryStatus.SENT, DeliveryStatus.PARTLY_FAILED):
            values["sent_at"] = now
        with engine_for(self._url).begin() as db:
            row = db.execute(_FIND_SENT_TO, {"k": notice.key}).first()
            if row is not None and row.message_id:
                db.execute(_SET, {"k": notice.key, **values})
                return list(row.recipients)
            # Its first attempt's row was lost with the registry.
            recipients = resolve_recipients(notice, self._settings)
            values |= {
                "message_id": message_id_for(notice.key, self._settings.mail_domain),
                "recipients": recipients,
            }
            if row is not None:
                db.execute(_SET, {"k": notice.key, **values})
            else:
                _add_row(db, notice, now, attempts=0, **values)
            return recipients


def _add_row(db: Connection, notice: Notice, now: datetime, **values: Any) -> None:
    """The notice's registry row, made by its first attempt (or by the relay's answer when
    that row was lost with the registry); `values` fill in or replace the blanks."""
    blank = {"subject": "", "refused": {}, "error": ""}
    db.execute(
        _ADD,
        {
            "key": notice.key,
            "alliance_code": notice.alliance_code,
            "purpose": notice.purpose.value,
            "created_at": now,
            **blank,
            **values,
        },
    )


# ---- the message ----


def _wire_message(headers: dict[str, str], recipients: list[str], rendered: RenderedEmail) -> bytes:
    """A notice without attachments as it goes on the wire: 7-bit, CRLF, a text and an
    HTML part in base64, the sender's name and the subject in RFC 2047 words, lines
    folded within 78 characters where they can break. Written out directly, it costs a
    fraction of the email package's header objects and generator (which have the same
    result to say); `_email_message` covers what this does not."""
    boundary = f"=_{secrets.token_hex(12)}"  # "=_" cannot occur in base64 (RFC 2045)
    lines = [
        f"From: {_from_header(headers['From'])}",
        _address_header("To", recipients),
        f"Subject: {_text_header('Subject', headers['Subject'])}",
        f"Date: {headers['Date']}",
        f"Message-ID: {headers['Message-ID']}",
        f"{KEY_HEADER}: {headers[KEY_HEADER]}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "",
    ]
    for subtype, content in (("plain", rendered.text), ("html", rendered.html)):
        lines += [
            f"--{boundary}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: base64",
            "",
            base64.encodebytes(content.encode()).decode("ascii").replace("\n", "\r\n"),
        ]
    lines += [f"--{boundary}--", ""]
    return "\r\n".join(lines).encode("ascii")


@cache
def _from_header(mail_from: str) -> str:
    name, address = parseaddr(mail_from)
    return formataddr((name, address), charset="utf-8")


def _text_header(name: str, value: str) -> str:
    charset = "us-ascii" if value.isascii() else "utf-8"
    return Header(value, charset, header_name=name).encode(linesep="\r\n")


def _address_header(name: str, addresses: list[str], width: int = 78) -> str:
    """`To: a, b, …` folded between addresses so that no line passes `width` if it can."""
    lines, line = [], f"{name}:"
    for i, address in enumerate(addresses):
        piece = f"{address}," if i < len(addresses) - 1 else address
        if len(line) + 1 + len(piece) > width and line.strip() != f"{name}:":
            lines.append(line)
            line = ""
        line += f" {piece}"
    lines.append(line)
    return "\r\n".join(lines)


def _email_message(
    headers: dict[str, str], rendered: RenderedEmail, documents: list[Document]
) -> EmailMessage:
    message = EmailMessage()
    for name, value in headers.items():
        message[name] = value
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for document in documents:
        maintype, _, subtype = document.content_type.partition("/")
        message.add_attachment(
            document.content, maintype=maintype, subtype=subtype, filename=document.filename
        )
    return message


def _refusals(refused: dict[str, str]) -> str:
    return "; ".join(f"{address}: {reply}" for address, reply in refused.items())
