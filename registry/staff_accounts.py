"""Staff accounts of the web console: the first made by an operator command, the rest by
administrators in the console; every change is written to the account log with who made
it. Passwords are stored as argon2 hashes."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from domain.districts import District
from domain.eligibility import is_valid_email
from domain.input_rules import PERSON_NAME, SHORT_TEXT, InputRefused, TextKind, clean_text
from domain.procedure import Role
from registry.database import session_scope
from registry.staff_sessions import end_sessions_of
from registry.tables import AccountAudit, StaffUser

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


STAFF_ROLES = (
    Role.ADMINISTRATOR,
    Role.BUREAU_STAFF,
    Role.DIRECTOR_CLERK,
    Role.EXPERT_ORGANISER,
    Role.DISTRICT_REVIEWER,
)
MIN_PASSWORD_LENGTH = 10
OPERATOR_COMMAND = "alliance-admin"  # the actor of accounts made by the operator command


class AccountAction(StrEnum):
    CREATED = "user.created"
    DISABLED = "user.disabled"
    ENABLED = "user.enabled"
    PASSWORD_RESET = "user.password_reset"
    ROLE_CHANGED = "user.role_changed"
    EMAIL_CHANGED = "user.email_changed"


ACCOUNT_ACTION_WORDS: dict[str, tuple[str, str]] = {
    AccountAction.CREATED: ("创建账号", "account created"),
    AccountAction.DISABLED: ("停用账号", "account disabled"),
    AccountAction.ENABLED: ("启用账号", "account enabled"),
    AccountAction.PASSWORD_RESET: ("重置密码", "password reset"),
    AccountAction.ROLE_CHANGED: ("变更角色或区县", "role or district changed"),
    AccountAction.EMAIL_CHANGED: ("变更电子邮箱", "email address changed"),
}


class AccountInvalid(Exception):
    """An account change that cannot be made as asked; the message says why."""


def create_user(
    url: str,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    district: District | None = None,
    *,
    by: str = OPERATOR_COMMAND,
    email: str = "",
) -> StaffUser:
    _check_role(role, district)
    _check_password(password)
    email = _checked_email(email)
    username = _cleaned(username, SHORT_TEXT, "用户名", "the user name")
    # the display name signs actions in the audit log, with at most "（代联盟录入）" added
    display_name = _cleaned(display_name, PERSON_NAME, "显示名称", "the display name")
    if not username:
        raise AccountInvalid("请填写用户名 (enter a user name)")
    with session_scope(url) as session:
        if session.exec(select(StaffUser).where(StaffUser.username == username)).first():
            raise AccountInvalid(f"用户名 {username} 已存在 (user name taken)")
        user = StaffUser(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            role=role.value,
            district=district.value if district else None,
            email=email or None,
            created_at=datetime.now(UTC),
        )
        session.add(user)
        session.flush()
        _log(session, by, AccountAction.CREATED, user, role=role.value, district=user.district)
        return user


def set_active(url: str, user_id: int, active: bool, *, by: StaffUser) -> StaffUser:
    """Disable (every open session of the account ends with it) or enable an account."""
    with session_scope(url) as session:
        user = _account(session, user_id)
        if user.active == active:
            return user
        if not active:
            _keep_an_administrator(session, user)
        user.active = active
        if not active:
            end_sessions_of(session, user_id)
        _log(
            session, by.username, AccountAction.ENABLED if active else AccountAction.DISABLED, user
        )
        return user


def reset_password(
    url: str, user_id: int, password: str, *, by: StaffUser, keep_session: str | None = None
) -> StaffUser:
    """A new password; the account's open sessions end, but `keep_session` (the
    administrator's own, when they reset their own password)."""
    _check_password(password)
    with session_scope(url) as session:
        user = _account(session, user_id)
        user.password_hash = hash_password(password)
        end_sessions_of(session, user_id, keep=keep_session)
        _log(session, by.username, AccountAction.PASSWORD_RESET, user)
        return user


def change_role(
    url: str, user_id: int, role: Role, district: District | None, *, by: StaffUser
) -> StaffUser:
    """A new role (and district, which only a district reviewer has); it applies from the
    account's next request."""
    _check_role(role, district)
    new_district = district.value if role == Role.DISTRICT_REVIEWER and district else None
    with session_scope(url) as session:
        user = _account(session, user_id)
        if (user.role, user.district) == (role.value, new_district):
            return user
        if role != Role.ADMINISTRATOR:
            _keep_an_administrator(session, user)
        _log(
            session,
            by.username,
            AccountAction.ROLE_CHANGED,
            user,
            role=[user.role, role.value],
            district=[user.district, new_district],
        )
        user.role, user.district = role.value, new_district
        return user


def change_email(url: str, user_id: int, email: str, *, by: StaffUser) -> StaffUser:
    """The address the account's alerts go to (an administrator's: the holiday-year
    warning); blank removes it."""
    email = _checked_email(email)
    with session_scope(url) as session:
        user = _account(session, user_id)
        if (user.email or "") == email:
            return user
        _log(session, by.username, AccountAction.EMAIL_CHANGED, user, email=[user.email, email])
        user.email = email or None
        return user


def _checked_email(email: str) -> str:
    email = email.strip()
    if email and not is_valid_email(email):
        raise AccountInvalid(f"电子邮箱 {email} 格式不正确 (not an email address: {email})")
    return email


def list_users(url: str) -> list[StaffUser]:
    with session_scope(url) as session:
        return list(session.exec(select(StaffUser).order_by(col(StaffUser.username))).all())


def find_user(url: str, user_id: int) -> StaffUser | None:
    with session_scope(url) as session:
        return session.get(StaffUser, user_id)


def account_log(url: str, username: str | None = None, limit: int = 50) -> list[AccountAudit]:
    """The newest entries of the account log, of one account or of all."""
    query = select(AccountAudit).order_by(col(AccountAudit.id).desc()).limit(limit)
    if username is not None:
        query = query.where(AccountAudit.username == username)
    with session_scope(url) as session:
        return list(session.exec(query).all())


def authenticate(url: str, username: str, password: str) -> StaffUser | None:
    with session_scope(url) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    return user


def _check_role(role: Role, district: District | None) -> None:
    if role not in STAFF_ROLES:
        raise AccountInvalid(f"角色 {role.value} 不是工作人员角色 (not a staff role)")
    if role == Role.DISTRICT_REVIEWER and district is None:
        raise AccountInvalid("县区审查人员须指定所属区县 (a district reviewer needs a district)")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountInvalid(
            f"密码至少{MIN_PASSWORD_LENGTH}位 (at least {MIN_PASSWORD_LENGTH} characters)"
        )


def _cleaned(value: str, kind: TextKind, what_zh: str, what_en: str) -> str:
    try:
        return clean_text(value, kind)
    except InputRefused as refused:
        raise AccountInvalid(f"{what_zh}{refused.zh} ({what_en} {refused.en})") from None


def _account(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise AccountInvalid(f"没有编号为 {user_id} 的账号 (no such account)")
    return user


def _keep_an_administrator(session: Session, user: StaffUser) -> None:
    """Refuse to disable or demote the last active administrator."""
    if user.role != Role.ADMINISTRATOR.value or not user.active:
        return
    # Locked (PostgreSQL), so two administrators removing each other at once cannot both pass.
    administrators = session.exec(
        select(StaffUser.id)
        .where(StaffUser.role == Role.ADMINISTRATOR.value, col(StaffUser.active))
        .with_for_update()
    ).all()
    if not [other for other in administrators if other != user.id]:
        raise AccountInvalid(
            "至少须保留一名启用的系统管理员：请先为其他人设立管理员账号 "
            "(at least one active administrator must remain: make another administrator first)"
        )


def _log(session: Session, actor: str, action: AccountAction, user: StaffUser, **detail: Any):
    session.add(
        AccountAudit(
            at=datetime.now(UTC),
            actor=actor,
            action=action.value,
            username=user.username,
            detail=detail,
        )
    )
