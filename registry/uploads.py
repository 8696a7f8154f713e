"""Material files in the registry: held for a form's draft while the application is not
accepted yet, stored by content once it is submitted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from domain.material_files import MaterialUpload
from registry.database import session_scope
from registry.tables import DraftUpload, PortalDraft, UploadedFile

# A console draft not stored again for this long is abandoned: dropped when any draft is
# stored. A portal user's saved draft (portal_draft) keeps its files until it is submitted.
DRAFT_KEPT = timedelta(days=1)


class DraftNotYours(Exception):
    """The draft id belongs to another user's form."""


def store_uploads(url: str, uploads: Iterable[MaterialUpload], by: str) -> None:
    """Keep the files by content; the same file stored twice is kept once."""
    with session_scope(url) as session:
        for upload in uploads:
            if session.get(UploadedFile, upload.sha256) is None:
                session.add(
                    UploadedFile(
                        sha256=upload.sha256,
                        filename=upload.filename,
                        content_type=upload.content_type or "application/octet-stream",
                        size=len(upload.content),
                        content=upload.content,
                        uploaded_at=datetime.now(UTC),
                        uploaded_by=by,
                    )
                )
                session.flush()  # the same content twice in one call is added once


def hold_for_draft(
    url: str, draft_id: str, held_by: str, uploads: Iterable[MaterialUpload]
) -> dict[str, MaterialUpload]:
    """Hold `uploads` for the draft, each replacing what its field held, and return every
    file the draft holds now, by field. Drafts abandoned for DRAFT_KEPT are dropped."""
    uploads = list(uploads)
    try:
        return _hold(url, draft_id, held_by, uploads)
    except IntegrityError:  # the same form sent twice at once: the other request won
        return _hold(url, draft_id, held_by, uploads)


def _hold(
    url: str, draft_id: str, held_by: str, uploads: list[MaterialUpload]
) -> dict[str, MaterialUpload]:
    now = datetime.now(UTC)
    with session_scope(url) as session:
        session.exec(
            delete(DraftUpload).where(
                col(DraftUpload.held_at) < now - DRAFT_KEPT,
                col(DraftUpload.draft_id).not_in(select(PortalDraft.id)),
            )
        )
        rows = {row.form_field: row for row in _rows(session, draft_id, held_by)}
        for upload in uploads:
            if upload.field in rows:
                session.delete(rows[upload.field])
                session.flush()  # the replacement takes the same draft and field
            rows[upload.field] = DraftUpload(
                draft_id=draft_id,
                form_field=upload.field,
                held_by=held_by,
                filename=upload.filename,
                content_type=upload.content_type,
                sha256=upload.sha256,
                content=upload.content,
                held_at=now,
            )
        for row in rows.values():
            row.held_at = now
            session.add(row)
        return {
            field: MaterialUpload(field, row.filename, row.content_type, row.content)
            for field, row in rows.items()
        }


def stored_files(url: str, fields: Mapping[str, str]) -> list[MaterialUpload]:
    """The stored files named by SHA-256 in `fields`, as uploads of the form field each
    belongs to (a file never stored, such as a material filed on paper, is left out)."""
    with session_scope(url) as session:
        stored = [session.get(UploadedFile, sha) for sha in fields]
    return [
        MaterialUpload(fields[f.sha256], f.filename, f.content_type, f.content)
        for f in stored
        if f is not None
    ]


def drop_draft(url: str, draft_id: str, held_by: str) -> None:
    """The application is submitted: its draft's files are no longer held."""
    with session_scope(url) as session:
        for row in _rows(session, draft_id, held_by):
            session.delete(row)


def _rows(session: Session, draft_id: str, held_by: str) -> list[DraftUpload]:
    rows = list(session.exec(select(DraftUpload).where(DraftUpload.draft_id == draft_id)))
    if any(row.held_by != held_by for row in rows):
        raise DraftNotYours(draft_id)
    return rows
