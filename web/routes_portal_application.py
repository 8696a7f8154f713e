"""Apply online (issue 11, item 2): the lead unit fills in the application in the portal,
saves drafts, sees every problem at once and submits it; the procedure starts as when
the console enters it, and the person becomes the alliance's administrator. A returned
application is corrected on the alliance's application page and resubmitted as the
workflow's RESUBMIT update, with a request id and the person's name.

The form and its checks are the console's (web.application_form, the shared template
templates/web/application_fields.html); every press of the form saves the person's
draft, so a refused form keeps what was typed and uploaded.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from client.actions import StaffAction
from client.alliances import ProcedureActionFailed, act, alliance_code_of, open_procedure
from domain.application import Application
from domain.eligibility import ApplicationInvalid, Problem
from domain.material_files import MaterialUpload, upload_problems
from domain.procedure import MAY_APPLY_FROM, Actor, Resubmission, Role, Stage
from notifications.portal_mail import PortalMailFailed, send_portal_mail
from registry import portal_accounts as accounts
from registry.alliance_codes import code_already_assigned
from registry.portal_accounts import LinkPurpose, PortalAction, PortalRole
from registry.tables import PortalUser
from registry.uploads import store_uploads
from web import portal_application as drafts
from web import portal_queries as queries
from web import routes_portal as portal
from web.application_form import (
    attached,
    checked_application,
    form_choices,
    is_material_field,
    row_numbers,
)
from web.pages import client_of, language, settings_of, today
from web.routes_portal import render
from web.security import RateLimiter, check_csrf

router = APIRouter(prefix="/portal", route_class=portal.PortalRoute)
log = logging.getLogger("web.portal")

REFRESH_SECONDS = 1  # the page after submitting asks again this often for the alliance
NOT_RETURNED = (
    "该申请现在不需要补正，未作任何更改",
    "The application is not returned for correction now; nothing was changed.",
)


def _now() -> datetime:
    return datetime.now(UTC)


def _url(request: Request) -> str:
    return settings_of(request).registry_url()


# ---------------------------------------------------------------- an account to apply with


@router.get("/apply")
async def apply_page(request: Request):
    """The application form for a signed-in person (their draft, if any); for anyone else,
    the page to register an address, or to sign in."""
    user = portal.signed_in_portal(request)
    if user is None:
        return render(request, "application_register.html")
    draft = await asyncio.to_thread(drafts.draft_of, _url(request), user, drafts.NEW)
    return _form_page(request, _Entry.of(draft), saved="saved" in request.query_params)


@router.post("/apply/register")
async def register(request: Request, email: str = Form(""), csrf: str = Form("")):
    """An activation link for an account to apply with (a sign-in link for an address that
    has one); the same answer whether the address is known or not."""
    check_csrf(request, csrf)
    settings = settings_of(request)
    host = request.client.host if request.client else "-"
    url = _url(request)
    for bucket, key in (
        ("portal_register", host),
        ("portal_link_address", accounts.normal_email(email)),
    ):
        limiter = RateLimiter(url, bucket, settings.login_attempts_per_minute, 60)
        if not await asyncio.to_thread(limiter.allow, key):
            return render(
                request, "application_register.html", 429, error=portal.TOO_MANY, email=email
            )
    link = await asyncio.to_thread(
        accounts.register_applicant, url, email, settings.portal_activation_days, _now()
    )
    if link is None:
        error = ("请填写有效的电子邮箱", "Enter a valid email address.")
        return render(request, "application_register.html", 400, error=error, email=email)
    base = settings.public_base_url.rstrip("/")
    if link.purpose == LinkPurpose.SIGN_IN:
        name = "portal_sign_in"
        address = f"{base}/portal/sign-in/link?token={link.token}"
    else:
        name = "portal_apply_account"
        address = f"{base}/portal/activate?token={link.token}"
    context = {"email": link.email, "link": address, "expires_at": link.expires_at}
    try:
        await send_portal_mail(settings, name, language(request), link.email, context, _now())
    except PortalMailFailed as failed:
        log.warning("portal registration link not sent: %s", failed)
        error = portal.MAIL_DOWN
        return render(request, "application_register.html", 503, error=error, email=email)
    return render(request, "link_sent.html", email=link.email)


# ---------------------------------------------------------------- the form


@dataclass
class _Entry:
    """The form as sent (or restored), the files its draft holds, and the application or
    its problems once checked."""

    form: dict[str, str] = field(default_factory=dict)
    held: dict[str, MaterialUpload] = field(default_factory=dict)
    action: str = "save"
    saved_at: datetime | None = None
    application: Application | None = None
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def of(cls, draft: drafts.Draft | None) -> _Entry:
        if draft is None:
            return cls()
        return cls(dict(draft.form), dict(draft.held), saved_at=draft.saved_at)


async def _entry(
    request: Request, user: PortalUser, subject: str, carried: Application | None = None
) -> _Entry:
    """Save the form and its acceptable files as the person's draft; when they pressed
    submit, check the whole application as the console does. `carried`: the application
    being corrected, whose materials stay where no file replaces them."""
    form_data = await request.form()
    check_csrf(request, str(form_data.get("csrf", "")))
    form = {k: v for k, v in form_data.items() if isinstance(v, str)}
    received = {
        key: MaterialUpload(key, value.filename, value.content_type or "", await value.read())
        for key, value in form_data.items()
        if isinstance(value, UploadFile) and value.filename and is_material_field(key)
    }
    settings = settings_of(request)
    url = settings.registry_url()
    refusals = upload_problems(received.values(), settings.upload_max_mb)
    refused = {p.field for p in refusals}
    kept = [upload for name, upload in received.items() if name not in refused]
    draft = await asyncio.to_thread(drafts.save_draft, url, user, subject, form, kept, _now())
    entry = _Entry(draft.form, draft.held, form.get("act", "save"), draft.saved_at)
    if entry.action != "submit":
        entry.problems = refusals
        return entry
    try:
        entry.application = checked_application(
            form,
            draft.held | {name: received[name] for name in refused},
            settings.upload_max_mb,
            settings.priority_sectors,
            await today(request),
            carried.materials if carried else [],
        )
    except ApplicationInvalid as invalid:
        entry.problems = invalid.problems
    return entry


def _form_page(
    request: Request,
    entry: _Entry,
    status_code: int | None = None,
    saved: bool = False,
    correcting: queries.Task | None = None,
    versions: list[drafts.Version] | None = None,
):
    """The form as the person left it, with the files held; 400 with the problems.
    `correcting`: the returned application's page (reasons, deadline) above the form."""
    settings = settings_of(request)
    form = entry.form
    if not form.get("request_id"):
        form = {**form, "request_id": secrets.token_hex(16)}
    return render(
        request,
        "application_form.html",
        status_code=status_code or (400 if entry.problems else 200),
        entered=form,
        problems=entry.problems,
        held=entry.held,
        saved_at=entry.saved_at if saved else None,
        member_rows=row_numbers(form, "member", entry.held),
        contact_rows=row_numbers(form, "contact"),
        resubmit_of=correcting.code if correcting else "",
        task=correcting,
        versions=versions or [],
        **form_choices(settings.priority_sectors),
    )


ALREADY_KNOWN_ZH = (
    "该联盟（同一发起单位、同一名称）已在系统中登记；再次申请须由该联盟在门户的管理员账号提交，"
    "请以该账号登录，或联系联盟管理员"
)
ALREADY_KNOWN_EN = (
    "This alliance (the same lead unit and name) is registered already: applying again is "
    "for its administrators in the portal; sign in with such an account, or ask one of them"
)


def _administers(url: str, user: PortalUser, code: str) -> bool:
    assert user.id is not None
    seat = accounts.membership(url, user.id, code)
    return seat is not None and seat.role == PortalRole.ADMINISTRATOR.value


@router.post("/apply")
async def apply(request: Request, user: PortalUser = Depends(portal.portal_user)):
    """Save the draft, or submit the application: the registry assigns the code, the
    procedure starts (9.1) and the person becomes the alliance's administrator. Refused,
    nothing is registered and the form is shown again with every problem."""
    entry = await _entry(request, user, drafts.NEW)
    url = _url(request)
    if entry.action != "submit" or entry.application is None:
        if entry.action != "submit" and not entry.problems:
            await asyncio.to_thread(
                accounts.record, url, user, None, PortalAction.DRAFT_SAVED, _now()
            )
            return RedirectResponse("/portal/apply?saved=1#saved", status_code=303)
        return _form_page(request, entry, saved=not entry.problems)
    request_id = entry.form.get("request_id") or secrets.token_hex(16)
    done = await asyncio.to_thread(drafts.submitted_with, url, user, request_id)
    if done is not None:  # the same form sent twice: the procedure started the first time
        return RedirectResponse(f"/portal/apply/{quote(done)}/registering", status_code=303)
    application = entry.application
    earlier = await asyncio.to_thread(
        code_already_assigned, url, application.lead_unit_code(), application.alliance_name
    )
    if earlier is not None and not _administers(url, user, earlier):
        # applying again for an alliance already known (rejected, withdrawn, revoked …)
        # is for its own administrators: otherwise anyone who reads its public name and
        # lead unit would become its administrator
        entry.problems = [Problem(field="application", zh=ALREADY_KNOWN_ZH, en=ALREADY_KNOWN_EN)]
        return _form_page(request, entry)
    await asyncio.to_thread(
        store_uploads, url, attached(application, entry.held.values()), user.name
    )
    settings = settings_of(request)
    try:
        handle = await open_procedure(await client_of(request), settings, application, user.name)
    except ProcedureActionFailed as failed:
        entry.problems = [Problem(field="application", zh=failed.zh, en=failed.en)]
        return _form_page(request, entry)
    code = alliance_code_of(handle.id)
    await asyncio.to_thread(
        accounts.administer_applied, url, user, code, _now(), request_id=request_id
    )
    await asyncio.to_thread(drafts.discard_draft, url, user, drafts.NEW)
    return RedirectResponse(f"/portal/apply/{quote(code)}/registering", status_code=303)


@router.get("/apply/{code}/registering")
def registering(request: Request, code: str, user: PortalUser = Depends(portal.portal_user)):
    """正在登记: the workflow records the alliance a moment after the submission; this page
    asks again until it has, then opens the alliance's portal home."""
    assert user.id is not None
    if accounts.membership(_url(request), user.id, code) is None:
        raise portal.NotYours()
    alliance = queries.alliance_of(_url(request), code)
    if alliance is not None and alliance.status not in MAY_APPLY_FROM:
        return RedirectResponse(f"/portal/a/{quote(code)}", status_code=303)
    return render(request, "application_registering.html", code=code, refresh=REFRESH_SECONDS)


# ---------------------------------------------------------------- returned for correction


@router.get("/a/{code}/application")
async def application_page(
    request: Request, code: str, user: PortalUser = Depends(portal.portal_user)
):
    """The alliance's application: where it stands and every version; returned for
    correction, the district's reasons and the form to correct it, filled in with what
    was submitted (or the person's draft) and holding its files."""
    alliance, _ = await asyncio.to_thread(portal.serving, request, code, user)
    url = _url(request)
    task = await queries.application_task(url, await portal.client_or_none(request), alliance)
    listed = await asyncio.to_thread(drafts.versions, url, code)
    latest = await asyncio.to_thread(drafts.latest_version, url, code)
    # just resubmitted: the registry may not have recorded it yet, so the page must not
    # offer the form again a moment after it was sent
    done = request.query_params.get("done") == "resubmit"
    if done or not task.open or latest is None:
        return render(
            request, "application_status.html", task=task, versions=listed, resubmitted=done
        )
    draft = await asyncio.to_thread(drafts.correction_draft, url, user, code, *latest)
    saved = "saved" in request.query_params
    return _form_page(request, _Entry.of(draft), saved=saved, correcting=task, versions=listed)


@router.post("/a/{code}/application")
async def resubmit(request: Request, code: str, user: PortalUser = Depends(portal.portal_user)):
    """Save the correction's draft, or send the corrected application (Resubmission) with
    the form's request id in the person's name; refused, the form is shown again with the
    workflow's reasons in the page's language and nothing changes."""
    alliance, _ = await asyncio.to_thread(portal.serving, request, code, user)
    url = _url(request)
    task = await queries.application_task(url, await portal.client_or_none(request), alliance)
    latest = await asyncio.to_thread(drafts.latest_version, url, code)
    listed = await asyncio.to_thread(drafts.versions, url, code)
    if alliance.status != Stage.CORRECTION.value or latest is None:
        check_csrf(request, str((await request.form()).get("csrf", "")))
        return render(
            request,
            "application_status.html",
            409,
            task=task,
            versions=listed,
            refusal=NOT_RETURNED,
        )
    entry = await _entry(request, user, code, latest[0])

    def again():
        return _form_page(request, entry, correcting=task, versions=listed)

    if entry.action != "submit":
        if entry.problems:
            return again()
        await asyncio.to_thread(accounts.record, url, user, code, PortalAction.DRAFT_SAVED, _now())
        return RedirectResponse(f"/portal/a/{quote(code)}/application?saved=1#saved", 303)
    if entry.application is None:
        return again()
    action = Resubmission(
        request_id=entry.form.get("request_id") or secrets.token_hex(16),
        actor=Actor(name=user.name, role=Role.APPLICANT),
        application=entry.application,
        note=entry.form.get("note", ""),
    )
    await asyncio.to_thread(
        store_uploads, url, attached(entry.application, entry.held.values()), user.name
    )
    try:
        await act(await client_of(request), code, StaffAction.RESUBMIT, action)
    except ProcedureActionFailed as failed:
        entry.problems = [Problem(field="application", zh=failed.zh, en=failed.en)]
        return again()
    await asyncio.to_thread(
        accounts.record,
        url,
        user,
        code,
        PortalAction.APPLICATION_RESUBMITTED,
        _now(),
        request_id=action.request_id,
    )
    await asyncio.to_thread(drafts.discard_draft, url, user, code)
    return RedirectResponse(f"/portal/a/{quote(code)}/application?done=resubmit", 303)
