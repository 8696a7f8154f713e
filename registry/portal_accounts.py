"""Accounts of the alliance portal: the secretariat users of each alliance.

Kept apart from the console's staff accounts: a portal user is a person (by email) who
serves one or more alliances, as its administrator or as a member. An account starts
with an activation link sent by email — to the contact address of an application or an
article-13 import (as the notice is rendered), or to a person an alliance administrator
adds — and becomes usable once its holder sets a name and password. Sign-in is by
password or by a one-time link. Links are single use and stored as SHA-256 only.
Sessions live in their own table: a portal session never opens the console, nor a
console session the portal. Every act is written to the portal audit log with the
person's name.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, delete, select

from domain.eligibility import is_valid_email
from domain.input_rules import PERSON_NAME, InputRefused, clean_text
from registry.database import session_scope
from registry.staff_accounts import MIN_PASSWORD_LENGTH, hash_password, verify_password
from registry.staff_sessions import SESSION_MAX_AGE
from registry.tables import (
    Alliance,
    PortalAudit,
    PortalMembership,
    PortalSession,
    PortalToken,
    PortalUser,
)

SIGN_IN_LINK_LIFETIME = timedelta(minutes=30)
SYSTEM = "系统"  # who added the contact address of an application or import


class PortalRole(StrEnum):
    ADMINISTRATOR = "administrator"  # 联盟管理员: adds and removes the other users
    MEMBER = "member"  # 秘书处工作人员


PORTAL_ROLE_WORDS = {
    PortalRole.ADMINISTRATOR: ("联盟管理员", "alliance administrator"),
    PortalRole.MEMBER: ("秘书处工作人员", "secretariat member"),
}


class LinkPurpose(StrEnum):
    ACTIVATION = "activation"
    SIGN_IN = "sign_in"


class PortalAction(StrEnum):
    ACTIVATED = "account.activated"
    JOINED = "alliance.joined"  # an account already active was given another alliance
    SIGNED_IN = "signed_in"
    SIGNED_IN_BY_LINK = "signed_in.link"
    SIGNED_OUT = "signed_out"
    USER_ADDED = "user.added"
    USER_REMOVED = "user.removed"
    REGISTERED = "account.registered"  # an address asked for an account to apply online
    DRAFT_SAVED = "application.draft_saved"
    APPLICATION_SUBMITTED = "application.submitted"
    APPLICATION_RESUBMITTED = "application.resubmitted"


PORTAL_ACTION_WORDS = {
    PortalAction.ACTIVATED: ("开通账号", "account activated"),
    PortalAction.JOINED: ("加入联盟", "alliance added to the account"),
    PortalAction.SIGNED_IN: ("密码登录", "signed in with password"),
    PortalAction.SIGNED_IN_BY_LINK: ("邮件链接登录", "signed in by email link"),
    PortalAction.SIGNED_OUT: ("退出", "signed out"),
    PortalAction.USER_ADDED: ("添加用户", "user added"),
    PortalAction.USER_REMOVED: ("移除用户", "user removed"),
    PortalAction.REGISTERED: ("注册账号以网上申请", "registered to apply online"),
    PortalAction.DRAFT_SAVED: ("保存申请草稿", "application draft saved"),
    PortalAction.APPLICATION_SUBMITTED: ("网上提交认定申请", "application submitted online"),
    PortalAction.APPLICATION_RESUBMITTED: (
        "补正后重新提交申请",
        "corrected application resubmitted",
    ),
}


class PortalRefused(Exception):
    """An act the portal refuses; `zh` and `en` say what to change."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} ({en})")
        self.zh, self.en = zh, en


class LinkInvalid(PortalRefused):
    """A link that cannot be used: unknown, already used, or expired."""


LINK_UNKNOWN = LinkInvalid(
    "链接无效或已被更新的链接取代：请使用最新一封邮件中的链接",
    "This link is not valid or a newer one replaced it: use the link in the latest email.",
)
LINK_USED = LinkInvalid(
    "该链接已经使用过，每个链接只能使用一次", "This link was already used; each works once."
)
LINK_EXPIRED = LinkInvalid("该链接已过期", "This link has expired.")


@dataclass(frozen=True)
class IssuedLink:
    """A link's token as it goes into an email; only its digest is kept."""

    email: str
    token: str
    expires_at: datetime
    purpose: LinkPurpose
    alliance_code: str | None = None


@dataclass(frozen=True)
class Seat:
    """One user of an alliance, as its administrator sees them."""

    user_id: int
    email: str
    name: str
    role: str
    activated: bool
    added_by: str
    added_at: datetime


def normal_email(email: str) -> str:
    return email.strip().lower()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ---------------------------------------------------------------- links sent by email


def issue_activation_links(
    url: str, alliance_code: str, emails: list[str], notice_key: str, days: int, now: datetime
) -> list[IssuedLink]:
    """Activation links for the alliance's contact addresses that have no active account
    serving it, as its administrator. Each rendering replaces the address's earlier unused
    link for the alliance, so one link per address and alliance is ever live."""
    issued = []
    with session_scope(url) as db:
        for email in dict.fromkeys(normal_email(e) for e in emails if e.strip()):
            user = _user_by_email(db, email)
            if user and user.activated_at and _membership(db, user.id, alliance_code):
                continue
            issued.append(
                _new_link(
                    db,
                    LinkPurpose.ACTIVATION,
                    email,
                    now,
                    timedelta(days=days),
                    alliance_code,
                    PortalRole.ADMINISTRATOR,
                    notice_key,
                )
            )
    return issued


def links_for_address(url: str, email: str, days: int, now: datetime) -> list[IssuedLink]:
    """What a person asking for a link by email gets: a sign-in link for an active account;
    else an activation link for each alliance whose contact address it is (an expired
    activation link is replaced so). Nothing for an unknown address."""
    email = normal_email(email)
    if not is_valid_email(email):
        return []
    with session_scope(url) as db:
        user = _user_by_email(db, email)
        if user and user.activated_at:
            return [_new_link(db, LinkPurpose.SIGN_IN, email, now, SIGN_IN_LINK_LIFETIME)]
        codes = [
            a.code
            for a in db.exec(select(Alliance))
            if email in (normal_email(c) for c in a.contact_emails)
        ]
        pending = db.exec(
            select(PortalMembership.alliance_code).where(
                PortalMembership.user_id == (user.id if user else -1)
            )
        ).all()
        return [
            _new_link(
                db,
                LinkPurpose.ACTIVATION,
                email,
                now,
                timedelta(days=days),
                code,
                PortalRole.MEMBER if code in pending else PortalRole.ADMINISTRATOR,
            )
            for code in dict.fromkeys([*codes, *pending])
        ]


def register_applicant(url: str, email: str, days: int, now: datetime) -> IssuedLink | None:
    """A person who wants to apply online: an activation link for an account serving no
    alliance yet (the application, once submitted, makes them its administrator), or a
    sign-in link when the address already has an active account. None for no address."""
    email = normal_email(email)
    if not is_valid_email(email):
        return None
    with session_scope(url) as db:
        user = _user_by_email(db, email)
        if user and user.activated_at:
            return _new_link(db, LinkPurpose.SIGN_IN, email, now, SIGN_IN_LINK_LIFETIME)
        if user is None:
            user = PortalUser(email=email, created_at=now)
            db.add(user)
        db.exec(
            delete(PortalToken).where(
                col(PortalToken.purpose) == LinkPurpose.ACTIVATION.value,
                col(PortalToken.email) == email,
                col(PortalToken.alliance_code).is_(None),
                col(PortalToken.used_at).is_(None),
            )
        )
        _log(db, user, None, PortalAction.REGISTERED, now)
        return _new_link(db, LinkPurpose.ACTIVATION, email, now, timedelta(days=days))


def _new_link(
    db: Session,
    purpose: LinkPurpose,
    email: str,
    now: datetime,
    lifetime: timedelta,
    alliance_code: str | None = None,
    role: PortalRole | None = None,
    notice_key: str = "",
) -> IssuedLink:
    """A fresh link; the address's unused links of the same kind (and alliance) go."""
    replaced = delete(PortalToken).where(
        col(PortalToken.purpose) == purpose.value,
        col(PortalToken.email) == email,
        col(PortalToken.used_at).is_(None),
    )
    if alliance_code is not None:
        replaced = replaced.where(col(PortalToken.alliance_code) == alliance_code)
    db.exec(replaced)
    token = secrets.token_urlsafe(32)
    expires_at = now + lifetime
    db.add(
        PortalToken(
            id=_digest(token),
            purpose=purpose.value,
            email=email,
            alliance_code=alliance_code,
            role=role.value if role else None,
            notice_key=notice_key,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return IssuedLink(email, token, expires_at, purpose, alliance_code)


def read_link(url: str, token: str, purpose: LinkPurpose, now: datetime) -> PortalToken:
    """The link's row while it can be used; LinkInvalid says why not."""
    with session_scope(url) as db:
        row = db.get(PortalToken, _digest(token))
    _check_link(row, purpose, now)
    assert row is not None
    return row


def account_of(url: str, email: str) -> PortalUser | None:
    with session_scope(url) as db:
        return _user_by_email(db, normal_email(email))


def _check_link(row: PortalToken | None, purpose: LinkPurpose, now: datetime) -> None:
    if row is None or row.purpose != purpose.value:
        raise LINK_UNKNOWN
    if row.used_at is not None:
        raise LINK_USED
    if row.expires_at <= now:
        raise LINK_EXPIRED


def _use_link(db: Session, token: str, purpose: LinkPurpose, now: datetime) -> PortalToken:
    """Mark the link used in `db`'s transaction; of two uses at once only one succeeds."""
    row = db.get(PortalToken, _digest(token))
    _check_link(row, purpose, now)
    assert row is not None
    used = db.exec(
        update(PortalToken)
        .where(col(PortalToken.id) == row.id, col(PortalToken.used_at).is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:
        raise LINK_USED
    return row


# ---------------------------------------------------------------- activation and sign-in


def activate(
    url: str, token: str, name: str, password: str, repeated: str, now: datetime
) -> tuple[PortalUser, str]:
    """Use an activation link: a new account gets its name and password; an active one
    (a person serving several alliances) is given the alliance. Returns the user and the
    alliance's code ("" for the account of a person registered to apply online)."""
    with session_scope(url) as db:
        link = _use_link(db, token, LinkPurpose.ACTIVATION, now)
        user = _user_by_email(db, link.email)
        if user is None:
            user = PortalUser(email=link.email, created_at=now)
        joined = user.activated_at is not None
        if not joined:
            user.name = _checked_name(name)
            _check_password(password, repeated)
            user.password_hash = hash_password(password)
            user.activated_at = now
        db.add(user)
        db.flush()
        assert user.id is not None
        code = link.alliance_code
        if code is not None and _membership(db, user.id, code) is None:
            db.add(
                PortalMembership(
                    user_id=user.id,
                    alliance_code=code,
                    role=link.role or PortalRole.MEMBER.value,
                    added_by=SYSTEM,
                    added_at=now,
                )
            )
        action = PortalAction.JOINED if joined else PortalAction.ACTIVATED
        _log(db, user, code, action, now, role=link.role)
        return user, code or ""


def authenticate(url: str, email: str, password: str) -> PortalUser | None:
    with session_scope(url) as db:
        user = _user_by_email(db, normal_email(email))
    if user is None or not user.activated_at or not verify_password(user.password_hash, password):
        return None
    return user


def use_sign_in_link(url: str, token: str, now: datetime) -> PortalUser:
    with session_scope(url) as db:
        link = _use_link(db, token, LinkPurpose.SIGN_IN, now)
        user = _user_by_email(db, link.email)
        if user is None or not user.activated_at:
            raise LINK_UNKNOWN
        return user


# ---------------------------------------------------------------- sessions


def open_session(url: str, user: PortalUser, idle: timedelta, now: datetime, by_link: bool) -> str:
    """A new portal session (and its audit line); returns the token for the cookie."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    with session_scope(url) as db:
        db.exec(
            delete(PortalSession).where(
                or_(
                    col(PortalSession.last_seen_at) < now - idle,
                    col(PortalSession.created_at) < now - SESSION_MAX_AGE,
                )
            )
        )
        db.add(PortalSession(id=_digest(token), user_id=user.id, created_at=now, last_seen_at=now))
        action = PortalAction.SIGNED_IN_BY_LINK if by_link else PortalAction.SIGNED_IN
        _log(db, user, None, action, now)
    return token


def session_user(url: str, token: str, idle: timedelta, now: datetime) -> PortalUser | None:
    """The account of a live portal session; None once it ended or idled out."""
    row_id = _digest(token)
    with session_scope(url) as db:
        row = db.get(PortalSession, row_id)
        if row is None:
            return None
        user = db.get(PortalUser, row.user_id)
        idle_for = now - row.last_seen_at
        if user is None or idle_for > idle or now - row.created_at > SESSION_MAX_AGE:
            db.exec(delete(PortalSession).where(col(PortalSession.id) == row_id))
            return None
        if idle_for > idle / 10:
            row.last_seen_at = now
        return user


def end_session(url: str, token: str, user: PortalUser, now: datetime) -> None:
    with session_scope(url) as db:
        db.exec(delete(PortalSession).where(col(PortalSession.id) == _digest(token)))
        _log(db, user, None, PortalAction.SIGNED_OUT, now)


# ---------------------------------------------------------------- memberships


def memberships_of(url: str, user_id: int) -> list[tuple[PortalMembership, str]]:
    """The alliances the user serves, with each alliance's name (its code if unknown)."""
    with session_scope(url) as db:
        rows = db.exec(
            select(PortalMembership, Alliance.name)
            .join(Alliance, col(Alliance.code) == col(PortalMembership.alliance_code), isouter=True)
            .where(PortalMembership.user_id == user_id)
            .order_by(col(PortalMembership.alliance_code))
        ).all()
    return [(m, name or m.alliance_code) for m, name in rows]


def membership(url: str, user_id: int, alliance_code: str) -> PortalMembership | None:
    with session_scope(url) as db:
        return _membership(db, user_id, alliance_code)


def seats(url: str, alliance_code: str) -> list[Seat]:
    with session_scope(url) as db:
        rows = db.exec(
            select(PortalUser, PortalMembership)
            .join(PortalMembership, col(PortalMembership.user_id) == col(PortalUser.id))
            .where(PortalMembership.alliance_code == alliance_code)
            .order_by(col(PortalMembership.added_at))
        ).all()
    return [
        Seat(u.id or 0, u.email, u.name, m.role, u.activated_at is not None, m.added_by, m.added_at)
        for u, m in rows
    ]


def add_user(
    url: str,
    alliance_code: str,
    email: str,
    role: PortalRole,
    *,
    by: PortalUser,
    days: int,
    now: datetime,
) -> IssuedLink | None:
    """An administrator gives a person access to the alliance. A new person gets an
    activation link (returned to be emailed); an active account has access at once."""
    email = normal_email(email)
    if not is_valid_email(email):
        raise PortalRefused(
            f"电子邮箱 {email or '（空）'} 格式不正确",
            f"{email or '(blank)'} is not an email address",
        )
    with session_scope(url) as db:
        _require_administrator(db, by, alliance_code)
        user = _user_by_email(db, email)
        if user is None:
            user = PortalUser(email=email, created_at=now)
            db.add(user)
            db.flush()
        assert user.id is not None
        if _membership(db, user.id, alliance_code) is not None:
            raise PortalRefused(f"{email} 已是本联盟用户", f"{email} already serves this alliance")
        db.add(
            PortalMembership(
                user_id=user.id,
                alliance_code=alliance_code,
                role=role.value,
                added_by=by.name,
                added_at=now,
            )
        )
        _log(db, by, alliance_code, PortalAction.USER_ADDED, now, email=email, role=role.value)
        if user.activated_at:
            return None
        return _new_link(
            db, LinkPurpose.ACTIVATION, email, now, timedelta(days=days), alliance_code, role
        )


def remove_user(url: str, alliance_code: str, user_id: int, *, by: PortalUser, now: datetime):
    """An administrator ends another user's access to the alliance, at their next request;
    the person's unused activation link for it goes too."""
    if user_id == by.id:
        raise PortalRefused(
            "不能移除自己：请由本联盟另一名管理员操作",
            "You cannot remove yourself; ask another administrator of the alliance.",
        )
    with session_scope(url) as db:
        _require_administrator(db, by, alliance_code)
        user = db.get(PortalUser, user_id)
        seat = _membership(db, user_id, alliance_code) if user else None
        if user is None or seat is None:
            raise PortalRefused("该用户不是本联盟用户", "That person does not serve this alliance.")
        db.delete(seat)
        db.exec(
            delete(PortalToken).where(
                col(PortalToken.email) == user.email,
                col(PortalToken.alliance_code) == alliance_code,
                col(PortalToken.used_at).is_(None),
            )
        )
        _log(db, by, alliance_code, PortalAction.USER_REMOVED, now, email=user.email)


def administer_applied(
    url: str, user: PortalUser, alliance_code: str, now: datetime, **detail: Any
) -> None:
    """The person who submitted the alliance's application online becomes its
    administrator (kept as it is when they already serve it); the submission is audited."""
    assert user.id is not None
    with session_scope(url) as db:
        if _membership(db, user.id, alliance_code) is None:
            db.add(
                PortalMembership(
                    user_id=user.id,
                    alliance_code=alliance_code,
                    role=PortalRole.ADMINISTRATOR.value,
                    added_by=user.name,
                    added_at=now,
                )
            )
        _log(db, user, alliance_code, PortalAction.APPLICATION_SUBMITTED, now, **detail)


def record(
    url: str,
    user: PortalUser,
    alliance_code: str | None,
    action: PortalAction,
    now: datetime,
    **detail: Any,
) -> None:
    """Audit one act of a portal user done elsewhere (a draft saved, a resubmission)."""
    with session_scope(url) as db:
        _log(db, user, alliance_code, action, now, **detail)


def audit_of(url: str, alliance_code: str, limit: int = 50) -> list[PortalAudit]:
    with session_scope(url) as db:
        return list(
            db.exec(
                select(PortalAudit)
                .where(PortalAudit.alliance_code == alliance_code)
                .order_by(col(PortalAudit.id).desc())
                .limit(limit)
            ).all()
        )


# ---------------------------------------------------------------- helpers


def _user_by_email(db: Session, email: str) -> PortalUser | None:
    return db.exec(select(PortalUser).where(PortalUser.email == email)).first()


def _membership(db: Session, user_id: int | None, alliance_code: str) -> PortalMembership | None:
    return db.exec(
        select(PortalMembership).where(
            PortalMembership.user_id == user_id, PortalMembership.alliance_code == alliance_code
        )
    ).first()


def _require_administrator(db: Session, user: PortalUser, alliance_code: str) -> None:
    seat = _membership(db, user.id, alliance_code)
    if seat is None or seat.role != PortalRole.ADMINISTRATOR.value:
        raise PortalRefused(
            "只有本联盟的管理员可以管理用户", "Only the alliance's administrator manages users."
        )


def _checked_name(name: str) -> str:
    try:
        cleaned = clean_text(name, PERSON_NAME)
    except InputRefused as refused:
        raise PortalRefused(f"姓名{refused.zh}", f"The name {refused.en}") from None
    if not cleaned:
        raise PortalRefused("请填写姓名", "Enter your name.")
    return cleaned


def _check_password(password: str, repeated: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PortalRefused(
            f"密码至少{MIN_PASSWORD_LENGTH}位",
            f"The password needs {MIN_PASSWORD_LENGTH} characters",
        )
    if password != repeated:
        raise PortalRefused("两次输入的密码不一致", "The two passwords differ.")


def _log(
    db: Session,
    user: PortalUser,
    alliance_code: str | None,
    action: PortalAction,
    now: datetime,
    **detail: Any,
) -> None:
    db.add(
        PortalAudit(
            at=now,
            user_name=user.name or user.email,
            email=user.email,
            alliance_code=alliance_code,
            action=action.value,
            detail={k: v for k, v in detail.items() if v is not None},
        )
    )
