"""The alliance portal under /portal: activation, sign-in, the alliance's pages.

Its session is its own (`PORTAL_TOKEN` in the signed cookie, rows in portal_session): a
portal user never reaches the console and a console user never reaches the portal. Each
alliance page is answered only to a user serving that alliance; for anyone else the
alliance does not exist (404), by link or by form.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from client.alliances import ProcedureActionFailed, term_state
from domain.labels import words
from domain.settings import PROJECT_ROOT
from notifications.portal_mail import PortalMailFailed, send_portal_mail
from registry import portal_accounts as accounts
from registry.portal_accounts import (
    PORTAL_ACTION_WORDS,
    PORTAL_ROLE_WORDS,
    IssuedLink,
    LinkInvalid,
    LinkPurpose,
    PortalRefused,
    PortalRole,
)
from registry.tables import Alliance, PortalMembership, PortalUser
from web import portal_queries as queries
from web.pages import beijing_time, idle_timeout, language, settings_of, today, workflow_client
from web.portal_term import TERM_ACTION_WORDS
from web.security import RateLimiter, check_csrf, csrf_token, local_path
from web.staff_queries import TERM_STATUSES


class PortalSignInRequired(Exception):
    """Raised by `portal_user`; answered with a redirect to the portal sign-in page."""


class NotYours(Exception):
    """The alliance is not one the user serves (or does not exist): a 404 for them."""


class PortalRoute(APIRoute):
    """Answers the portal's own refusals inside the router, so the app only includes it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except PortalSignInRequired:
                target = urlencode({"next": request.url.path})
                return RedirectResponse(f"/portal/sign-in?{target}", status_code=303)
            except NotYours:
                return render(request, "not_found.html", status_code=404)

        return answer


router = APIRouter(prefix="/portal", route_class=PortalRoute)
log = logging.getLogger("web.portal")

PORTAL_TOKEN = "portal_session_token"  # the portal session's key in the signed cookie

# the portal's pages first; the application form's fields are the console's (templates/web)
templates = Jinja2Templates(
    env=Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(PROJECT_ROOT / "templates" / "portal"),
                FileSystemLoader(PROJECT_ROOT / "templates" / "web"),
            ]
        ),
        autoescape=select_autoescape(),
    )
)
templates.env.filters["bj"] = beijing_time
templates.env.globals.update(
    words=words,
    role_words=PORTAL_ROLE_WORDS,
    action_words={**PORTAL_ACTION_WORDS, **TERM_ACTION_WORDS},
)

TOO_MANY = ("尝试过于频繁，请一分钟后再试", "Too many attempts; wait a minute.")
WRONG = ("邮箱或密码错误", "Wrong email address or password.")
MAIL_DOWN = (
    "邮件暂时无法发送，请稍后再试；如持续出现请联系市科技局",
    "The email could not be sent now; try again later, and tell the bureau if it persists.",
)


# ---------------------------------------------------------------- page helpers


def render(request: Request, template: str, status_code: int = 200, **context):
    lang = language(request)
    user = signed_in_portal(request)
    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": (lambda zh, en: en if lang == "en" else zh),
            "portal_user": user,
            "csrf": csrf_token(request),
            **context,
        },
        status_code=status_code,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _url(request: Request) -> str:
    return settings_of(request).registry_url()


def signed_in_portal(request: Request) -> PortalUser | None:
    if hasattr(request.state, "portal_user"):
        return request.state.portal_user
    user = None
    token = request.session.get(PORTAL_TOKEN)
    if token:
        settings = settings_of(request)
        user = accounts.session_user(_url(request), token, idle_timeout(settings), _now())
        if user is None:
            del request.session[PORTAL_TOKEN]
    request.state.portal_user = user
    return user


def portal_user(request: Request) -> PortalUser:
    """FastAPI dependency: the signed-in portal user, or a redirect to sign in."""
    user = signed_in_portal(request)
    if user is None:
        raise PortalSignInRequired()
    return user


def serving(request: Request, code: str, user: PortalUser) -> tuple[Alliance, PortalMembership]:
    """The alliance and the user's seat in it; NotYours when they do not serve it."""
    assert user.id is not None
    seat = accounts.membership(_url(request), user.id, code)
    alliance = queries.alliance_of(_url(request), code) if seat else None
    if seat is None or alliance is None:
        raise NotYours()
    return alliance, seat


def _limited(request: Request, bucket: str, key: str) -> bool:
    """Counts an attempt; True when the limit for `key` is reached (registry-wide)."""
    settings = settings_of(request)
    limiter = RateLimiter(_url(request), bucket, settings.login_attempts_per_minute, 60)
    return not limiter.allow(key)


def _portal_path(target: str) -> str:
    """Back to the portal page asked for; never out of the portal."""
    path = local_path(target, "/portal")
    return path if path == "/portal" or path.startswith("/portal/") else "/portal"


def _client_host(request: Request) -> str:
    return request.client.host if request.client else "-"


def _start_session(request: Request, user: PortalUser, by_link: bool) -> None:
    token = accounts.open_session(
        _url(request), user, idle_timeout(settings_of(request)), _now(), by_link
    )
    request.session[PORTAL_TOKEN] = token  # the console's session, if any, is left alone
    request.state.portal_user = user


def _link(request: Request, path: str, token: str) -> str:
    base = settings_of(request).public_base_url.rstrip("/")
    return f"{base}{path}?{urlencode({'token': token})}"


async def _mail_links(request: Request, links: list[IssuedLink]) -> None:
    """Email each link to its address (sign-in or activation)."""
    settings = settings_of(request)
    for link in links:
        if link.purpose == LinkPurpose.SIGN_IN:
            name = "portal_sign_in"
            url = _link(request, "/portal/sign-in/link", link.token)
            context = {"email": link.email, "link": url, "expires_at": link.expires_at}
        else:
            name, context = _invitation(request, link, "市科技局")
        await send_portal_mail(settings, name, language(request), link.email, context, _now())


def _invitation(request: Request, link: IssuedLink, added_by: str, role=None) -> tuple[str, dict]:
    code = link.alliance_code or ""
    alliance = queries.alliance_of(_url(request), code)
    role = role or PortalRole.ADMINISTRATOR
    base = settings_of(request).public_base_url.rstrip("/")
    return "portal_invitation", {
        "email": link.email,
        "alliance_name": alliance.name if alliance else code,
        "alliance_code": code,
        "added_by": added_by,
        "role_name": PORTAL_ROLE_WORDS[role][0],
        "role_name_en": PORTAL_ROLE_WORDS[role][1],
        "link": _link(request, "/portal/activate", link.token) if link.token else None,
        "expires_at": link.expires_at,
        "portal_url": f"{base}/portal/a/{quote(code, safe='')}",
    }


# ---------------------------------------------------------------- sign-in and activation


@router.get("")
def portal_index(request: Request):
    user = signed_in_portal(request)
    if user is None:
        return RedirectResponse("/portal/sign-in", status_code=303)
    assert user.id is not None
    served = accounts.memberships_of(_url(request), user.id)
    if len(served) == 1:
        return RedirectResponse(f"/portal/a/{quote(served[0][0].alliance_code)}", 303)
    return render(request, "chooser.html", served=served)


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/portal"):
    return render(request, "sign_in.html", next=next)


@router.post("/sign-in")
def sign_in(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
    next: str = Form("/portal"),
):
    check_csrf(request, csrf)
    host = _client_host(request)
    # as the console's sign-in: every attempt per address and email, and the failures per
    # address whatever the email (one password tried on many accounts), counted together
    # with the console's failures
    by_address = request.app.state.login_address_limiter
    if by_address.blocked(host) or _limited(
        request, "portal_login", f"{accounts.normal_email(email)}|{host}"
    ):
        return render(request, "sign_in.html", status_code=429, error=TOO_MANY, email=email)
    user = accounts.authenticate(_url(request), email, password)
    if user is None:
        by_address.record(host)
        return render(request, "sign_in.html", status_code=401, error=WRONG, email=email)
    _start_session(request, user, by_link=False)
    return RedirectResponse(_portal_path(next), status_code=303)


@router.post("/sign-in/link")
async def request_link(request: Request, email: str = Form(""), csrf: str = Form("")):
    """Always the same answer, whether the address is known or not."""
    check_csrf(request, csrf)
    host = _client_host(request)
    limited = await asyncio.to_thread(_limited, request, "portal_link", host)
    if limited or await asyncio.to_thread(
        _limited, request, "portal_link_address", accounts.normal_email(email)
    ):
        return render(request, "sign_in.html", status_code=429, error=TOO_MANY, email=email)
    days = settings_of(request).portal_activation_days
    links = await asyncio.to_thread(accounts.links_for_address, _url(request), email, days, _now())
    try:
        await _mail_links(request, links)
    except PortalMailFailed as failed:
        log.warning("portal link not sent: %s", failed)
        return render(request, "sign_in.html", status_code=503, error=MAIL_DOWN, email=email)
    return render(request, "link_sent.html", email=email)


@router.get("/sign-in/link")
def sign_in_link_page(request: Request, token: str = ""):
    """A button to press, so that a mail scanner opening the link does not use it up."""
    try:
        accounts.read_link(_url(request), token, LinkPurpose.SIGN_IN, _now())
    except LinkInvalid as invalid:
        return render(request, "link_invalid.html", status_code=410, refusal=invalid)
    return render(request, "sign_in_link.html", token=token)


@router.post("/sign-in/link/use")
def use_sign_in_link(request: Request, token: str = Form(""), csrf: str = Form("")):
    check_csrf(request, csrf)
    try:
        user = accounts.use_sign_in_link(_url(request), token, _now())
    except LinkInvalid as invalid:
        return render(request, "link_invalid.html", status_code=410, refusal=invalid)
    _start_session(request, user, by_link=True)
    return RedirectResponse("/portal", status_code=303)


@router.get("/activate")
def activation_page(request: Request, token: str = ""):
    try:
        link = accounts.read_link(_url(request), token, LinkPurpose.ACTIVATION, _now())
    except LinkInvalid as invalid:
        return render(request, "link_invalid.html", status_code=410, refusal=invalid)
    return _activation_form(request, token, link.email, link.alliance_code or "")


def _activation_form(request, token, email, code, status_code=200, error=None, name=""):
    existing = accounts.account_of(_url(request), email)
    alliance = queries.alliance_of(_url(request), code)
    return render(
        request,
        "activate.html",
        status_code=status_code,
        token=token,
        email=email,
        alliance=alliance,
        code=code,
        has_account=bool(existing and existing.activated_at),
        error=error,
        name=name,
    )


@router.post("/activate")
def activate(
    request: Request,
    token: str = Form(""),
    name: str = Form(""),
    password: str = Form(""),
    password_again: str = Form(""),
    csrf: str = Form(""),
):
    check_csrf(request, csrf)
    try:
        user, code = accounts.activate(_url(request), token, name, password, password_again, _now())
    except LinkInvalid as invalid:
        return render(request, "link_invalid.html", status_code=410, refusal=invalid)
    except PortalRefused as refused:
        link = accounts.read_link(_url(request), token, LinkPurpose.ACTIVATION, _now())
        error = (refused.zh, refused.en)
        return _activation_form(
            request, token, link.email, link.alliance_code or "", 400, error, name
        )
    _start_session(request, user, by_link=True)
    # an account registered to apply online has no alliance yet: on to the application
    return RedirectResponse(f"/portal/a/{quote(code)}" if code else "/portal/apply", 303)


@router.post("/sign-out")
def sign_out(request: Request, csrf: str = Form("")):
    check_csrf(request, csrf)
    user = signed_in_portal(request)
    token = request.session.pop(PORTAL_TOKEN, None)
    if token and user is not None:
        accounts.end_session(_url(request), token, user, _now())
    return RedirectResponse("/portal/sign-in", status_code=303)


# ---------------------------------------------------------------- the alliance's pages


@router.get("/a/{code}")
async def alliance_home(request: Request, code: str, user: PortalUser = Depends(portal_user)):
    alliance, seat = await asyncio.to_thread(serving, request, code, user)
    is_admin = seat.role == PortalRole.ADMINISTRATOR.value
    url = _url(request)
    state = None
    if alliance.status in TERM_STATUSES:
        client = await client_or_none(request)
        with contextlib.suppress(ProcedureActionFailed):
            state = await term_state(client, code) if client else None
    home = await asyncio.to_thread(queries.home, url, alliance, await today(request), state)
    return render(
        request,
        "home.html",
        home=home,
        seat=seat,
        is_admin=is_admin,
        seats=await asyncio.to_thread(accounts.seats, url, code) if is_admin else [],
        audit=await asyncio.to_thread(accounts.audit_of, url, code, 20) if is_admin else [],
        roles=list(PortalRole),
        notice=request.session.pop("portal_notice", None),
    )


@router.post("/a/{code}/users")
async def add_user(
    request: Request,
    code: str,
    email: str = Form(""),
    role: str = Form(PortalRole.MEMBER.value),
    csrf: str = Form(""),
    user: PortalUser = Depends(portal_user),
):
    check_csrf(request, csrf)
    await asyncio.to_thread(serving, request, code, user)
    chosen = PortalRole(role) if role in set(PortalRole) else PortalRole.MEMBER
    days = settings_of(request).portal_activation_days
    try:
        link = await asyncio.to_thread(
            accounts.add_user, _url(request), code, email, chosen, by=user, days=days, now=_now()
        )
    except PortalRefused as refused:
        request.session["portal_notice"] = ["error", refused.zh, refused.en]
        return RedirectResponse(f"/portal/a/{quote(code)}#users", status_code=303)
    address = accounts.normal_email(email)
    invitation = link or IssuedLink(address, "", _now(), LinkPurpose.ACTIVATION, code)
    name, context = _invitation(request, invitation, user.name, chosen)
    try:
        await send_portal_mail(
            settings_of(request), name, language(request), address, context, _now()
        )
    except PortalMailFailed as failed:
        log.warning("portal invitation not sent: %s", failed)
        request.session["portal_notice"] = [
            "error",
            f"已添加 {address}，但邀请邮件暂时无法发送：请稍后删除后重新添加",
            f"{address} was added but the invitation could not be sent; remove and add again later",
        ]
    else:
        request.session["portal_notice"] = [
            "ok",
            f"已添加 {address}，邀请邮件已发送",
            f"{address} added; the invitation was sent",
        ]
    return RedirectResponse(f"/portal/a/{quote(code)}#users", status_code=303)


@router.post("/a/{code}/users/{user_id}/remove")
def remove_user(
    request: Request,
    code: str,
    user_id: int,
    csrf: str = Form(""),
    user: PortalUser = Depends(portal_user),
):
    check_csrf(request, csrf)
    serving(request, code, user)
    try:
        accounts.remove_user(_url(request), code, user_id, by=user, now=_now())
    except PortalRefused as refused:
        request.session["portal_notice"] = ["error", refused.zh, refused.en]
    else:
        request.session["portal_notice"] = ["ok", "已移除该用户", "The user was removed."]
    return RedirectResponse(f"/portal/a/{quote(code)}#users", status_code=303)


async def client_or_none(request: Request):
    try:
        return await workflow_client(request)
    except Exception:  # the page stands without the live deadline
        return None
