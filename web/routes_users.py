"""账号管理: administrators list, create, disable and enable console accounts, reset their
passwords and change their role and district; each change goes to the account log."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from domain.districts import District
from domain.procedure import Role
from registry import staff_accounts as accounts
from registry.staff_accounts import ACCOUNT_ACTION_WORDS, STAFF_ROLES, AccountInvalid
from registry.staff_sessions import TOKEN
from registry.tables import StaffUser
from web.pages import Forbidden, current_user, render, settings_of
from web.security import check_csrf

router = APIRouter()

NOTICE = "account_notice"  # (zh, en) shown once on the next page, after a change


def administrator(user: StaffUser = Depends(current_user)) -> StaffUser:
    """FastAPI dependency: the signed-in administrator; anyone else is refused."""
    if user.role != Role.ADMINISTRATOR.value:
        raise Forbidden("只有系统管理员可以管理账号 (administrators only)")
    return user


@router.get("/users")
def users_page(request: Request, admin: StaffUser = Depends(administrator)):
    return _users_page(request)


@router.post("/users")
def create_account(
    request: Request,
    admin: StaffUser = Depends(administrator),
    username: str = Form(""),
    display_name: str = Form(""),
    role: str = Form(""),
    district: str = Form(""),
    password: str = Form(""),
    password_again: str = Form(""),
    email: str = Form(""),
    csrf: str = Form(""),
):
    check_csrf(request, csrf)
    url = settings_of(request).registry_url()
    try:
        _check_typed_twice(password, password_again)
        role_, district_ = _role_and_district(role, district)
        created = accounts.create_user(
            url, username, display_name, password, role_, district_, by=admin.username, email=email
        )
    except AccountInvalid as invalid:
        entered = {"username": username, "display_name": display_name, "role": role, "email": email}
        return _users_page(
            request, 400, error=str(invalid), entered={**entered, "district": district}
        )
    request.session[NOTICE] = (f"已创建账号 {created.username}", f"Created {created.username}.")
    return RedirectResponse(f"/users/{created.id}", status_code=303)


@router.get("/users/{user_id}")
def account_page(request: Request, user_id: int, admin: StaffUser = Depends(administrator)):
    return _account_page(request, user_id)


@router.post("/users/{user_id}/role")
def change_role(
    request: Request,
    user_id: int,
    admin: StaffUser = Depends(administrator),
    role: str = Form(""),
    district: str = Form(""),
    csrf: str = Form(""),
):
    check_csrf(request, csrf)

    def change(url: str) -> StaffUser:
        return accounts.change_role(url, user_id, *_role_and_district(role, district), by=admin)

    return _changed(
        request, admin, user_id, change, ("已变更角色和区县", "Role and district changed.")
    )


@router.post("/users/{user_id}/email")
def change_email(
    request: Request,
    user_id: int,
    admin: StaffUser = Depends(administrator),
    email: str = Form(""),
    csrf: str = Form(""),
):
    check_csrf(request, csrf)

    def change(url: str) -> StaffUser:
        return accounts.change_email(url, user_id, email, by=admin)

    return _changed(request, admin, user_id, change, ("已保存电子邮箱", "Email address saved."))


@router.post("/users/{user_id}/password")
def reset_password(
    request: Request,
    user_id: int,
    admin: StaffUser = Depends(administrator),
    password: str = Form(""),
    password_again: str = Form(""),
    csrf: str = Form(""),
):
    check_csrf(request, csrf)

    def reset(url: str) -> StaffUser:
        _check_typed_twice(password, password_again)
        # an administrator resetting their own password stays signed in here
        keep = request.session.get(TOKEN) if user_id == admin.id else None
        return accounts.reset_password(url, user_id, password, by=admin, keep_session=keep)

    notice = ("已重置密码，该账号的登录已全部失效", "Password reset; the account's sessions ended.")
    return _changed(request, admin, user_id, reset, notice)


@router.post("/users/{user_id}/disable")
def disable(
    request: Request, user_id: int, admin: StaffUser = Depends(administrator), csrf: str = Form("")
):
    check_csrf(request, csrf)

    def disable_account(url: str) -> StaffUser:
        return accounts.set_active(url, user_id, False, by=admin)

    notice = ("已停用账号，其登录已全部失效", "Account disabled; its sessions ended.")
    return _changed(request, admin, user_id, disable_account, notice)


@router.post("/users/{user_id}/enable")
def enable(
    request: Request, user_id: int, admin: StaffUser = Depends(administrator), csrf: str = Form("")
):
    check_csrf(request, csrf)

    def enable_account(url: str) -> StaffUser:
        return accounts.set_active(url, user_id, True, by=admin)

    return _changed(request, admin, user_id, enable_account, ("已启用账号", "Account enabled."))


def _changed(
    request: Request,
    admin: StaffUser,
    user_id: int,
    change: Callable[[str], StaffUser],
    notice: tuple[str, str],
):
    """Make the change; back to the account's page with its notice, or its reason. An
    administrator who disabled or demoted themselves goes to the start page instead."""
    try:
        changed = change(settings_of(request).registry_url())
    except AccountInvalid as invalid:
        return _account_page(request, user_id, 400, error=str(invalid))
    still_administrator = changed.active and changed.role == Role.ADMINISTRATOR.value
    if changed.id == admin.id and not still_administrator:
        return RedirectResponse("/", status_code=303)
    request.session[NOTICE] = notice
    return RedirectResponse(f"/users/{user_id}", status_code=303)


def _check_typed_twice(password: str, password_again: str) -> None:
    if password != password_again:
        raise AccountInvalid("两次输入的密码不一致 (the two passwords differ)")


def _role_and_district(role: str, district: str) -> tuple[Role, District | None]:
    try:
        chosen = Role(role)
    except ValueError:
        raise AccountInvalid("请选择角色 (choose a role)") from None
    if not district:
        return chosen, None
    try:
        return chosen, District(district)
    except ValueError:
        raise AccountInvalid("请选择所属区县 (choose a district)") from None


def _users_page(request: Request, status_code: int = 200, **context):
    url = settings_of(request).registry_url()
    return render(
        request,
        "users.html",
        status_code=status_code,
        accounts=accounts.list_users(url),
        log=accounts.account_log(url),
        **_choices(request),
        **context,
    )


def _account_page(request: Request, user_id: int, status_code: int = 200, **context):
    url = settings_of(request).registry_url()
    account = accounts.find_user(url, user_id)
    if account is None:
        return render(
            request, "message.html", status_code=404, message="没有该账号 (no such account)"
        )
    return render(
        request,
        "users_account.html",
        status_code=status_code,
        account=account,
        log=accounts.account_log(url, account.username),
        **_choices(request),
        **context,
    )


def _choices(request: Request) -> dict:
    return {
        "roles": [role.value for role in STAFF_ROLES],
        "districts": [district.value for district in District],
        "actions": ACCOUNT_ACTION_WORDS,
        "notice": request.session.pop(NOTICE, None),
    }
