"""Sign in, sign out and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from web.accounts import authenticate
from web.pages import LANGUAGES, render, settings_of
from web.security import check_csrf

router = APIRouter()


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", next=next)


@router.post("/login")
def login(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    csrf: str = Form(""),
    next: str = Form("/"),
):
    check_csrf(request, csrf)
    limiter = request.app.state.login_limiter
    client_host = request.client.host if request.client else "-"
    if not limiter.allow(f"{username}|{client_host}"):
        return render(
            request,
            "login.html",
            status_code=429,
            next=next,
            error=("登录尝试过于频繁，请一分钟后再试", "Too many attempts; wait a minute."),
        )
    user = authenticate(settings_of(request).registry_url(), username, password)
    if user is None:
        return render(
            request,
            "login.html",
            status_code=401,
            next=next,
            error=("用户名或密码错误", "Wrong user name or password."),
        )
    request.session.clear()  # a fresh session on sign-in
    request.session["user_id"] = user.id
    safe_next = next if next.startswith("/") and not next.startswith("//") else "/"
    return RedirectResponse(safe_next, status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")):
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def switch_language(code: str, back: str = "/"):
    response = RedirectResponse(back if back.startswith("/") else "/", status_code=303)
    if code in LANGUAGES:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="lax")
    return response
