"""Signed-in console sessions, held in the registry.

The signed cookie carries only a random token; the SHA-256 of the token names the
session's row. Signing out deletes the row, disabling an account deletes all of its rows,
and a session left unused for the idle time (or older than SESSION_MAX_AGE) ends at its
next request, so the person must sign in again.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, delete

from registry.database import session_scope
from registry.tables import StaffSession, StaffUser

SESSION_MAX_AGE = timedelta(hours=8)
TOKEN = "session_token"  # the token's key in the signed cookie


def _row_id(token: str) -> str:
    # Only the digest is stored: a copy of the table cannot sign anyone in.
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(url: str, user_id: int, idle: timedelta, now: datetime) -> str:
    """A new session for the user; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    with session_scope(url) as db:
        db.exec(  # sessions that can no longer be used are cleared on each sign-in
            delete(StaffSession).where(
                or_(
                    col(StaffSession.last_seen_at) < now - idle,
                    col(StaffSession.created_at) < now - SESSION_MAX_AGE,
                )
            )
        )
        db.add(StaffSession(id=_row_id(token), user_id=user_id, created_at=now, last_seen_at=now))
    return token


def session_user(url: str, token: str, idle: timedelta, now: datetime) -> StaffUser | None:
    """The active account of a live session, whose idle time starts again; None once the
    session was ended, idled out or outlived SESSION_MAX_AGE, or its account is disabled."""
    row_id = _row_id(token)
    with session_scope(url) as db:
        row = db.get(StaffSession, row_id)
        if row is None:
            return None
        user = db.get(StaffUser, row.user_id)
        idle_for = now - row.last_seen_at
        if (
            user is None
            or not user.active
            or idle_for > idle
            or now - row.created_at > SESSION_MAX_AGE
        ):
            db.exec(delete(StaffSession).where(col(StaffSession.id) == row_id))
            return None
        # Written at most once per tenth of the idle time: a page view is seldom a write,
        # and the timeout still holds to within a tenth.
        if idle_for > idle / 10:
            row.last_seen_at = now
        return user


def end_session(url: str, token: str) -> None:
    with session_scope(url) as db:
        db.exec(delete(StaffSession).where(col(StaffSession.id) == _row_id(token)))


def end_sessions_of(db: Session, user_id: int, keep: str | None = None) -> None:
    """End every session of the user (but the one whose token is `keep`), in `db`'s
    transaction: the change that ends them and their end are one."""
    query = delete(StaffSession).where(col(StaffSession.user_id) == user_id)
    if keep:
        query = query.where(col(StaffSession.id) != _row_id(keep))
    db.exec(query)
