"""The term in the alliance portal: what the alliance hands in (the annual report,
assessment materials, the rectification report) and the member and contact changes it
proposes, read from its forms and kept in the registry.

The forms are read by the console's own parsers (`web.forms.PARSERS`), so a figure or a
field is judged the same way in both; the actor is the portal user, acting for the
alliance itself (申请单位). Files attached in the portal are held for the form (by its
request id) until the workflow accepts what they come with, then stored by content.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlmodel import col, select

from client.actions import StaffAction
from domain.application import Contact, Member
from domain.input_rules import bilingual
from domain.labels import Words, words
from domain.material_files import MaterialUpload, upload_problems
from domain.procedure import ActionRefused, Actor, Role
from domain.term import MembershipChange, TermState
from domain.term_actions import check_membership_change
from registry.database import session_scope
from registry.tables import (
    AuditEntry,
    Certificate,
    Document,
    PortalAttachment,
    PortalAudit,
    PortalChangeRequest,
    PortalUser,
    UploadedFile,
)
from registry.uploads import drop_draft, hold_for_draft, store_uploads
from web.forms import PARSERS, FormInvalid

REQUEST_ID = re.compile(r"[0-9a-f]{32}")
MAX_ATTACHMENTS = 10  # files with one submission
ATTACHMENT_FIELD = "attachments"
SUBMISSIONS_PER_MINUTE = 20  # portal forms sent per user (registry-wide)


class ChangeStatus:
    PENDING = "pending"
    APPLIED = "applied"
    DECLINED = "declined"


CHANGE_STATUS_WORDS = {
    ChangeStatus.PENDING: ("待市科技局审核", "awaiting the bureau"),
    ChangeStatus.APPLIED: ("已审核通过并变更", "approved and applied"),
    ChangeStatus.DECLINED: ("未予同意", "declined"),
}

# What the portal audit log says of these acts (the portal's own acts are in
# registry.portal_accounts.PORTAL_ACTION_WORDS).
TERM_ACTION_WORDS = {
    "report.submitted": ("提交年度报告", "annual report submitted"),
    "assessment.submitted": ("提交考核评估材料", "assessment materials submitted"),
    "rectification.submitted": ("提交整改报告", "rectification report submitted"),
    "change.requested": ("提出成员和联系人变更申请", "member and contact change proposed"),
}


def request_id_of(form: Mapping[str, Any]) -> str:
    """The form's request id (kept through refusals), or a fresh one."""
    given = str(form.get("request_id", ""))
    return given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def alliance_actor(user: PortalUser) -> Actor:
    """The alliance itself acts, through the secretariat person signed in."""
    return Actor(name=user.name or user.email, role=Role.APPLICANT)


@dataclass(frozen=True)
class _EnteredBy:
    """What the console's parsers read of the person entering the form."""

    display_name: str


def parse_submission(
    name: StaffAction, form: dict[str, str], request_id: str, actor: Actor
) -> BaseModel:
    """The workflow action a portal form describes, read by the console's parser for the
    same action; the actor is the alliance's own person, not staff entering for it."""
    try:
        action = PARSERS[name](form, request_id, actor, _EnteredBy(actor.name))
    except KeyError as missing:
        raise FormInvalid(f"表单缺少字段 {missing}", f"missing field {missing}") from missing
    except ValidationError as invalid:
        zh, en = bilingual(invalid)
        raise FormInvalid(f"表单内容有误，未提交：{zh}", f"not sent: {en}") from invalid
    except ValueError as invalid:
        raise FormInvalid(f"表单选项无效：{invalid}", f"invalid choice: {invalid}") from invalid
    return action.model_copy(update={"actor": actor})


# ---------------------------------------------------------------- attachments


def attachment_field(filename: str) -> str:
    """The draft's field for a file: the same name uploaded again replaces it."""
    return "f_" + hashlib.sha256(filename.encode()).hexdigest()[:24]


def hold_attachments(
    url: str, request_id: str, user: PortalUser, uploads: list[MaterialUpload], max_mb: int
) -> tuple[list[MaterialUpload], list[tuple[str, str]]]:
    """Hold the acceptable files for the form and return every file it holds now, with
    what is wrong with the others (type, size, name, too many)."""
    problems = [(p.zh, p.en) for p in upload_problems(uploads, max_mb)]
    refused = {p.field for p in upload_problems(uploads, max_mb)}
    held = hold_for_draft(
        url, request_id, _holder(user), [u for u in uploads if u.field not in refused]
    )
    files = sorted(held.values(), key=lambda u: u.filename)
    if len(files) > MAX_ATTACHMENTS:
        problems.append(TOO_MANY_FILES)
    return files, problems


TOO_MANY_FILES = (
    f"附件最多{MAX_ATTACHMENTS}个，请合并后上传",
    f"attach at most {MAX_ATTACHMENTS} files; combine them",
)


def _holder(user: PortalUser) -> str:
    return f"portal:{user.id}"


def record_submission(
    url: str,
    code: str,
    subject: str,
    request_id: str,
    user: PortalUser,
    files: list[MaterialUpload],
    audit_action: str,
    now: datetime,
) -> None:
    """The workflow accepted it: keep its files, drop the form's draft, audit the act."""
    store_uploads(url, files, user.name or user.email)
    drop_draft(url, request_id, _holder(user))
    with session_scope(url) as db:
        for upload in files:
            db.add(
                PortalAttachment(
                    alliance_code=code,
                    subject=subject,
                    request_id=request_id,
                    sha256=upload.sha256,
                    filename=upload.filename,
                    submitted_by=user.name or user.email,
                    submitted_at=now,
                )
            )
        db.add(_audit(user, code, audit_action, now, request_id=request_id, subject=subject))


def already_done(url: str, code: str, request_id: str) -> bool:
    """A form sent again after it was accepted (a double click, a reload)."""
    with session_scope(url) as db:
        rows = db.exec(select(PortalAudit).where(PortalAudit.alliance_code == code)).all()
    return any(row.detail.get("request_id") == request_id for row in rows)


def attachments(url: str, code: str, subject: str | None = None) -> list[PortalAttachment]:
    with session_scope(url) as db:
        query = select(PortalAttachment).where(PortalAttachment.alliance_code == code)
        if subject is not None:
            query = query.where(PortalAttachment.subject == subject)
        return list(db.exec(query.order_by(col(PortalAttachment.id))).all())


def attached_file(url: str, code: str, attachment_id: int) -> UploadedFile | None:
    """An attachment's stored bytes, only through the alliance it was attached for."""
    with session_scope(url) as db:
        row = db.get(PortalAttachment, attachment_id)
        if row is None or row.alliance_code != code:
            return None
        return db.get(UploadedFile, row.sha256)


def _audit(user: PortalUser, code: str, action: str, now: datetime, **detail: Any) -> PortalAudit:
    return PortalAudit(
        at=now,
        user_name=user.name or user.email,
        email=user.email,
        alliance_code=code,
        action=action,
        detail=detail,
    )


# ---------------------------------------------------------------- member and contact changes


class ChangeInvalid(Exception):
    """Everything wrong with a proposed change, each as (zh, en)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(en for _, en in problems))
        self.problems = problems


def _rows(form: Mapping[str, str], prefix: str) -> list[int]:
    found = {int(k.split("_")[1]) for k in form if re.fullmatch(rf"{prefix}\d+_\w+", k)}
    return sorted(found)


def proposed_change(
    form: Mapping[str, str], request_id: str, actor: Actor, state: TermState
) -> MembershipChange:
    """The whole new list of members and contacts, with every problem at once: each row
    that cannot be read, and then article 8 over the rows that can (the same check the
    workflow runs when staff apply the change)."""
    problems: list[tuple[str, str]] = []
    members, contacts = [], []
    for n, i in enumerate(_rows(form, "member_"), start=1):
        row = {k: form.get(f"member_{i}_{k}", "").strip() for k in ("name", "kind", "code")}
        if not row["name"] and not row["code"]:
            continue  # a blank row
        try:
            members.append(
                Member(
                    name=row["name"],
                    kind=row["kind"],
                    credit_code=row["code"].upper(),
                    role=form.get(f"member_{i}_role", "member"),
                    task=form.get(f"member_{i}_task", "").strip(),
                )
            )
        except ValidationError as invalid:
            zh, en = bilingual(invalid)
            problems.append((f"第{n}行成员：{zh}", f"member row {n}: {en}"))
    for n, i in enumerate(_rows(form, "contact_"), start=1):
        row = {k: form.get(f"contact_{i}_{k}", "").strip() for k in ("name", "email", "phone")}
        if not any(row.values()):
            continue
        try:
            contacts.append(Contact(**row))
        except ValidationError as invalid:
            zh, en = bilingual(invalid)
            problems.append((f"第{n}行联系人：{zh}", f"contact row {n}: {en}"))
    note = form.get("note", "").strip()
    if not note:
        problems.append(("请填写变更说明", "say what changes and why"))
    try:
        change = MembershipChange(
            request_id=request_id, actor=actor, members=members, contacts=contacts, note=note
        )
        check_membership_change(state, change)
    except ValidationError as invalid:
        problems.append(bilingual(invalid))
    except ActionRefused as refused:
        problems.append((refused.zh, refused.en))
    if problems:
        raise ChangeInvalid(problems)
    return change


def propose_change(
    url: str, code: str, change: MembershipChange, user: PortalUser, now: datetime
) -> PortalChangeRequest:
    """Keep the proposal for staff; one may wait at a time, and the same form sent twice
    is kept once."""
    with session_scope(url) as db:
        same = db.exec(
            select(PortalChangeRequest).where(
                PortalChangeRequest.request_id == change.request_id,
                PortalChangeRequest.alliance_code == code,
            )
        ).first()
        if same is not None:
            return same
        if pending_change(db, code) is not None:
            raise ChangeInvalid(
                [
                    (
                        "已有一份变更申请待市科技局审核，审核后才能再提出",
                        "a change request already awaits the bureau; propose another after it",
                    )
                ]
            )
        row = PortalChangeRequest(
            alliance_code=code,
            request_id=change.request_id,
            members=[m.model_dump(mode="json") for m in change.members],
            contacts=[c.model_dump(mode="json") for c in change.contacts],
            note=change.note,
            requested_by=user.name or user.email,
            requested_by_email=user.email,
            requested_at=now,
        )
        db.add(row)
        db.add(_audit(user, code, "change.requested", now, request_id=change.request_id))
        db.flush()
        db.refresh(row)
        return row


def pending_change(db, code: str) -> PortalChangeRequest | None:
    return db.exec(
        select(PortalChangeRequest).where(
            PortalChangeRequest.alliance_code == code,
            PortalChangeRequest.status == ChangeStatus.PENDING,
        )
    ).first()


def change_requests(url: str, code: str) -> list[PortalChangeRequest]:
    with session_scope(url) as db:
        return list(
            db.exec(
                select(PortalChangeRequest)
                .where(PortalChangeRequest.alliance_code == code)
                .order_by(col(PortalChangeRequest.id).desc())
            ).all()
        )


def change_request(url: str, code: str, number: int) -> PortalChangeRequest | None:
    with session_scope(url) as db:
        row = db.get(PortalChangeRequest, number)
    return row if row is not None and row.alliance_code == code else None


def staff_change(row: PortalChangeRequest, actor: Actor) -> MembershipChange:
    """The change as staff apply it: the alliance's lists, the staff member as actor, and a
    request id of the request's own, so applying it twice acts once."""
    return MembershipChange(
        request_id=f"portal-change-{row.id}",
        actor=actor,
        members=[Member.model_validate(m) for m in row.members],
        contacts=[Contact.model_validate(c) for c in row.contacts],
        note=f"{row.note}（联盟网上申请第{row.id}号，{row.requested_by}提出）",
    )


def decide_change(
    url: str, code: str, number: int, status: str, by: str, now: datetime, reason: str = ""
) -> None:
    with session_scope(url) as db:
        row = db.get(PortalChangeRequest, number)
        if row is None or row.alliance_code != code or row.status != ChangeStatus.PENDING:
            return
        row.status, row.decided_by, row.decided_at, row.reason = status, by, now, reason
        db.add(row)


# ---------------------------------------------------------------- status, history, certificate


@dataclass
class Record:
    """What the alliance's record page shows: its history in words and its certificate."""

    history: list[AuditEntry] = field(default_factory=list)
    certificate: Certificate | None = None


def record_of(url: str, code: str) -> Record:
    with session_scope(url) as db:
        history = db.exec(
            select(AuditEntry)
            .where(AuditEntry.alliance_code == code)
            .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        ).all()
        certificate = db.exec(
            select(Certificate)
            .where(Certificate.alliance_code == code, col(Certificate.document_id).is_not(None))
            .order_by(col(Certificate.term).desc())
        ).first()
    return Record(list(history), certificate)


def certificate_document(url: str, code: str) -> Document | None:
    """The PDF of the alliance's latest certificate, as the registry holds it."""
    certificate = record_of(url, code).certificate
    if certificate is None:
        return None
    with session_scope(url) as db:
        return db.get(Document, certificate.document_id)


@dataclass
class StaffView:
    """What the alliance's console page shows of the portal."""

    pending: list[PortalChangeRequest]
    files: list[tuple[PortalAttachment, Words]]


def staff_view(url: str, code: str) -> StaffView:
    """Change requests waiting for staff, and the files attached to what was handed in."""
    pending = [r for r in change_requests(url, code) if r.status == ChangeStatus.PENDING]
    return StaffView(pending, [(f, subject_words(f.subject)) for f in attachments(url, code)])


def subject_words(subject: str) -> Words:
    """What a file was attached to: report:2027 → 2027年度报告."""
    kind, _, which = subject.partition(":")
    if kind == "report":
        return f"{which}年度报告", f"annual report {which}"
    if kind == "assessment":
        zh, en = words("assessment", which)
        return f"{zh}材料", f"{en} materials"
    return "整改报告", "rectification report"
