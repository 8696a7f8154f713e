"""Sign in, sign out and the language switch."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import OperationalError

from client.unreachable import unreachable_line
from registry.staff_accounts import authenticate
from registry.staff_sessions import TOKEN, end_session, open_session
from web.pages import LANGUAGES, idle_timeout, render, settings_of
from web.security import check_csrf, local_path

router = APIRouter()
log = logging.getLogger("web")

TOO_MANY = ("登录尝试过于频繁，请一分钟后再试", "Too many attempts; wait a minute.")
REGISTRY_DOWN = (
    "登记库暂时无法访问，现在无法登录，请稍后再试；如持续出现请告知系统管理员",
    "The registry cannot be reached, so no one can sign in now; try again later, and tell "
    "the administrator if it persists.",
)
SESSION_ENDED = (
    "登录已失效（长时间未操作、已退出或账号已变更），请重新登录",
    "Your session has ended (idle too long, signed out or account changed); sign in again.",
)


@router.get("/login")
def login_page(request: Request, next: str = "/", ended: bool = False):
    return render(request, "login.html", next=next, notice=SESSION_ENDED if ended else None)


@router.post("/login")
def login(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    csrf: str = Form(""),
    next: str = Form("/"),
):
    check_csrf(request, csrf)
    try:
        return _sign_in(request, username, password, next)
    except OperationalError as error:
        # Fail closed: without the registry neither the limits nor the password can be
        # checked. The page must not read the registry for who is signed in either.
        log.warning("sign-in refused: %s", unreachable_line(error, settings_of(request)))
        request.state.user = None
        return render(request, "login.html", status_code=503, next=next, error=REGISTRY_DOWN)


def _sign_in(request: Request, username: str, password: str, next: str):
    settings = settings_of(request)
    client_host = request.client.host if request.client else "-"
    # Per user name and address, every attempt; per address, the failures whatever the
    # user names, so trying many names from one place is limited too. Both are counted
    # in the registry, shared by every web process.
    by_address = request.app.state.login_address_limiter
    if by_address.blocked(client_host) or not request.app.state.login_limiter.allow(
        f"{username}|{client_host}"
    ):
        return render(request, "login.html", status_code=429, next=next, error=TOO_MANY)
    user = authenticate(settings.registry_url(), username, password)
    if user is None or user.id is None:
        by_address.record(client_host)
        return render(
            request,
            "login.html",
            status_code=401,
            next=next,
            error=("用户名或密码错误", "Wrong user name or password."),
        )
    request.session.clear()  # a fresh session on sign-in
    request.session[TOKEN] = open_session(
        settings.registry_url(), user.id, idle_timeout(settings), datetime.now(UTC)
    )
    return RedirectResponse(local_path(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")):
    check_csrf(request, csrf)
    token = request.session.get(TOKEN)
    if token:
        end_session(settings_of(request).registry_url(), token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def switch_language(code: str, back: str = "/"):
    response = RedirectResponse(local_path(back), status_code=303)
    if code in LANGUAGES:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="lax")
    return response
