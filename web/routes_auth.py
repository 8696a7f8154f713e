"""Sign in, sign out and the language switch."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from registry.staff_accounts import authenticate
from registry.staff_sessions import TOKEN, end_session, open_session
from web.pages import LANGUAGES, idle_timeout, render, settings_of
from web.security import check_csrf, local_path

router = APIRouter()

TOO_MANY = ("登录尝试过于频繁，请一分钟后再试", "Too many attempts; wait a minute.")
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
    settings = settings_of(request)
    client_host = request.client.host if request.client else "-"
    # Per user name and address, every attempt; per address, the failures whatever the
    # user names, so trying many names from one place is limited too.
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
