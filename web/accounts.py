"""Web console accounts: created by an operator command, checked at login."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from domain.districts import District
from domain.input_rules import PERSON_NAME, SHORT_TEXT, InputRefused, TextKind, clean_text
from domain.procedure import Role
from registry.database import session_scope
from registry.tables import StaffUser
from web.security import hash_password, verify_password

STAFF_ROLES = (
    Role.ADMINISTRATOR,
    Role.BUREAU_STAFF,
    Role.DIRECTOR_CLERK,
    Role.EXPERT_ORGANISER,
    Role.DISTRICT_REVIEWER,
)
MIN_PASSWORD_LENGTH = 10


class AccountInvalid(Exception):
    """An account that cannot be created as asked; the message says why."""


def create_user(
    url: str,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    district: District | None = None,
) -> StaffUser:
    if role not in STAFF_ROLES:
        raise AccountInvalid(f"角色 {role.value} 不是工作人员角色 (not a staff role)")
    if role == Role.DISTRICT_REVIEWER and district is None:
        raise AccountInvalid("县区审查人员须指定所属区县 (a district reviewer needs --district)")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountInvalid(
            f"密码至少{MIN_PASSWORD_LENGTH}位 (at least {MIN_PASSWORD_LENGTH} characters)"
        )
    username = _cleaned(username, SHORT_TEXT, "用户名", "the user name")
    # the display name signs actions in the audit log, with at most "（代联盟录入）" added
    display_name = _cleaned(display_name, PERSON_NAME, "显示名称", "the display name")
    with session_scope(url) as session:
        if session.exec(select(StaffUser).where(StaffUser.username == username)).first():
            raise AccountInvalid(f"用户名 {username} 已存在 (user name taken)")
        user = StaffUser(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            role=role.value,
            district=district.value if district else None,
            created_at=datetime.now(UTC),
        )
        session.add(user)
        session.flush()
        return user


def _cleaned(value: str, kind: TextKind, what_zh: str, what_en: str) -> str:
    try:
        return clean_text(value, kind)
    except InputRefused as refused:
        raise AccountInvalid(f"{what_zh}{refused.zh} ({what_en} {refused.en})") from None


def authenticate(url: str, username: str, password: str) -> StaffUser | None:
    with session_scope(url) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    return user


def get_user(url: str, user_id: int) -> StaffUser | None:
    with session_scope(url) as session:
        user = session.get(StaffUser, user_id)
    return user if user is not None and user.active else None
