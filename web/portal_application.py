"""The application an alliance fills in online: its drafts, kept per person and subject (a
new application, or the correction of a returned one) with their files, and the versions
the registry keeps of what was submitted.

The form, its checks and its files are the console's (web.application_form,
registry.uploads); only where a draft lives differs: a console draft is one form's, a
portal draft is the person's until they submit it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, delete, select

from domain.application import Application
from domain.material_files import MaterialUpload
from registry.database import session_scope
from registry.portal_accounts import PortalAction
from registry.tables import ApplicationVersion, PortalAudit, PortalDraft, PortalUser
from registry.uploads import drop_draft, hold_for_draft, stored_files
from web.application_form import form_of, material_fields

NEW = "new"  # the subject of a new application's draft; a correction's is the alliance code
NOT_KEPT = frozenset({"csrf", "act"})  # form fields that are no part of the draft


@dataclass
class Draft:
    """The form as the person left it and the files it holds, by field."""

    form: dict[str, str]
    held: dict[str, MaterialUpload]
    saved_at: datetime


@dataclass(frozen=True)
class Version:
    """One version of an alliance's application as the registry keeps it."""

    number: int
    submitted_at: datetime
    alliance_name: str
    members: int
    materials: int


def _holder(user: PortalUser) -> str:
    """Who holds a portal draft's files in draft_upload (a console username has no colon)."""
    return f"portal:{user.id}"


def _row(url: str, user: PortalUser, subject: str) -> PortalDraft | None:
    with session_scope(url) as db:
        return db.exec(
            select(PortalDraft).where(
                PortalDraft.user_id == user.id, PortalDraft.subject == subject
            )
        ).first()


def save_draft(
    url: str,
    user: PortalUser,
    subject: str,
    form: Mapping[str, str],
    uploads: Iterable[MaterialUpload],
    now: datetime,
) -> Draft:
    """Keep the form as sent and hold its files, each replacing what its field held; returns
    the draft with every file it holds now."""
    assert user.id is not None
    kept = {k: v for k, v in form.items() if k not in NOT_KEPT}
    with session_scope(url) as db:
        row = db.exec(
            select(PortalDraft).where(
                PortalDraft.user_id == user.id, PortalDraft.subject == subject
            )
        ).first()
        if row is None:
            row = PortalDraft(id=secrets.token_urlsafe(16), user_id=user.id, subject=subject)
        row.form, row.saved_at = kept, now
        db.add(row)
        draft_id = row.id
    held = hold_for_draft(url, draft_id, _holder(user), uploads)
    return Draft(kept, held, now)


def draft_of(url: str, user: PortalUser, subject: str) -> Draft | None:
    row = _row(url, user, subject)
    if row is None:
        return None
    return Draft(dict(row.form), hold_for_draft(url, row.id, _holder(user), []), row.saved_at)


def discard_draft(url: str, user: PortalUser, subject: str) -> None:
    """The application is submitted: its draft and the files it held go."""
    row = _row(url, user, subject)
    if row is None:
        return
    drop_draft(url, row.id, _holder(user))
    with session_scope(url) as db:
        db.exec(delete(PortalDraft).where(col(PortalDraft.id) == row.id))


def correction_draft(
    url: str, user: PortalUser, code: str, submitted: Application, submitted_at: datetime
) -> Draft:
    """The person's draft of the correction, or — when they have none since the version
    last submitted — one filled in with that version and holding its files."""
    draft = draft_of(url, user, code)
    if draft is not None and draft.saved_at >= submitted_at:
        return draft
    files = stored_files(url, material_fields(submitted))
    form = form_of(submitted)
    if draft is not None:  # a draft of an earlier return: start again from what was sent
        discard_draft(url, user, code)
    return save_draft(url, user, code, form, files, submitted_at)


def latest_version(url: str, code: str) -> tuple[Application, datetime] | None:
    """The alliance's application as last submitted, and when (a membership change
    recorded as a version is no application)."""
    with session_scope(url) as db:
        rows = db.exec(
            select(ApplicationVersion)
            .where(ApplicationVersion.alliance_code == code)
            .order_by(col(ApplicationVersion.version).desc())
        ).all()
    for row in rows:
        if "membership_change" not in row.payload:
            return Application.model_validate(row.payload), row.submitted_at
    return None


def versions(url: str, code: str) -> list[Version]:
    """Every version of the alliance's application, the first first."""
    with session_scope(url) as db:
        rows = db.exec(
            select(ApplicationVersion)
            .where(ApplicationVersion.alliance_code == code)
            .order_by(col(ApplicationVersion.version))
        ).all()
    return [
        Version(
            row.version,
            row.submitted_at,
            row.payload.get("alliance_name", ""),
            len(row.payload.get("members", [])),
            len(row.payload.get("materials", [])),
        )
        for row in rows
        if "membership_change" not in row.payload
    ]


def submitted_with(url: str, user: PortalUser, request_id: str) -> str | None:
    """The alliance code of the application this person submitted with `request_id`, if
    they did: the same form sent twice starts one procedure."""
    with session_scope(url) as db:
        rows = db.exec(
            select(PortalAudit).where(
                PortalAudit.email == user.email,
                PortalAudit.action == PortalAction.APPLICATION_SUBMITTED.value,
            )
        ).all()
    return next(
        (row.alliance_code for row in rows if row.detail.get("request_id") == request_id), None
    )
