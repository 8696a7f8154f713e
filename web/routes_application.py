"""Staff enter an application (9.1): the form, its files held across a refusal, and the
page that waits for the registry to record the alliance."""

from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from client.actions import StaffAction
from client.alliances import ProcedureActionFailed, act, alliance_code_of, open_procedure
from domain.application import Application, Material
from domain.eligibility import ApplicationInvalid, Problem
from domain.material_files import MaterialUpload, upload_problems
from domain.procedure import MAY_APPLY_FROM, Resubmission, Role
from registry.database import session_scope
from registry.tables import Alliance, AllianceCode, StaffUser
from registry.uploads import (
    DraftNotYours,
    drop_draft,
    hold_for_draft,
    store_uploads,
    stored_files,
)
from web import staff_queries
from web.application_form import (
    attached,
    checked_application,
    form_choices,
    form_of,
    is_material_field,
    material_fields,
    row_numbers,
)
from web.forms import on_behalf_of_alliance
from web.pages import Forbidden, client_of, current_user, render, settings_of, today
from web.security import check_csrf

router = APIRouter()

_DRAFT_ID = re.compile(r"[A-Za-z0-9_-]{22}")
# how often the waiting page asks again whether the registry has recorded the alliance
REFRESH_SECONDS = 1


def _require_staff(user: StaffUser) -> None:
    if user.role not in (Role.BUREAU_STAFF.value, Role.ADMINISTRATOR.value):
        raise Forbidden("只有市科技局工作人员可以录入申请 (only bureau staff enter applications)")


@router.get("/applications/new")
def new_application(request: Request, user: StaffUser = Depends(current_user)):
    _require_staff(user)
    return _form_page(request, {}, {}, secrets.token_urlsafe(16))


@router.post("/applications")
async def create_application(request: Request, user: StaffUser = Depends(current_user)):
    """Staff enter an application for an alliance (9.1). A refused one registers nothing;
    its files are held for the form's draft, so the re-shown form keeps them."""
    _require_staff(user)
    entry = await _checked_entry(request, user)
    if entry.application is None:
        return _form_page(request, entry.form, entry.held, entry.draft, entry.problems)
    settings = settings_of(request)
    try:
        handle = await open_procedure(
            await client_of(request), settings, entry.application, f"{user.display_name}（代录）"
        )
    except ProcedureActionFailed as failed:
        problem = Problem(field="application", zh=failed.zh, en=failed.en)
        return _form_page(request, entry.form, entry.held, entry.draft, [problem])
    await asyncio.to_thread(drop_draft, settings.registry_url(), entry.draft, user.username)
    return RedirectResponse(f"/applications/{alliance_code_of(handle.id)}/registering", 303)


@dataclass
class _Entry:
    """The form as sent, the files its draft holds, and the application or its problems."""

    form: dict[str, str]
    held: dict[str, MaterialUpload]
    draft: str
    application: Application | None = None
    problems: list[Problem] = field(default_factory=list)


async def _checked_entry(
    request: Request, user: StaffUser, carried: list[Material] | None = None
) -> _Entry:
    """Hold the uploaded files for the form's draft, then check the whole application;
    its files are stored once it is acceptable. `carried`: the corrected application's
    materials, kept where no file replaces them."""
    form_data = await request.form()
    check_csrf(request, str(form_data.get("csrf", "")))
    form = {k: v for k, v in form_data.items() if isinstance(v, str)}
    draft = form.get("draft", "")
    if not _DRAFT_ID.fullmatch(draft):
        draft = secrets.token_urlsafe(16)
    received = {
        key: MaterialUpload(key, value.filename, value.content_type or "", await value.read())
        for key, value in form_data.items()
        if isinstance(value, UploadFile) and value.filename and is_material_field(key)
    }
    settings = settings_of(request)
    url = settings.registry_url()
    refused = {p.field for p in upload_problems(received.values(), settings.upload_max_mb)}
    try:
        held = await asyncio.to_thread(
            hold_for_draft,
            url,
            draft,
            user.username,
            [upload for field, upload in received.items() if field not in refused],
        )
    except DraftNotYours as foreign:
        raise Forbidden("该草稿不属于您 (this draft is not yours)") from foreign
    entry = _Entry(form, held, draft)
    try:
        entry.application = checked_application(
            form,
            held | {field: received[field] for field in refused},
            settings.upload_max_mb,
            settings.priority_sectors,
            await today(request),
            carried or [],
        )
    except ApplicationInvalid as invalid:
        entry.problems = invalid.problems
        return entry
    await asyncio.to_thread(
        store_uploads, url, attached(entry.application, held.values()), user.display_name
    )
    return entry


# ---- 补正: the corrected application of an alliance returned for correction (9.2)


def _returned(request: Request, user: StaffUser, code: str) -> Application:
    """The application as last submitted, when this user may enter its correction now."""
    try:
        record = staff_queries.alliance_record(settings_of(request).registry_url(), user, code)
    except staff_queries.NotVisible as hidden:
        raise Forbidden("没有该联盟，或您无权查看 (no such alliance, or not yours)") from hidden
    if StaffAction.RESUBMIT not in staff_queries.actions_for(user, record):
        raise Forbidden("该联盟现在不需要补正 (this alliance is not returned for correction)")
    return Application.model_validate(record.application)


@router.get("/alliances/{code}/resubmit")
async def resubmission_form(request: Request, code: str, user: StaffUser = Depends(current_user)):
    """The form filled in with what was submitted, its files held, to be corrected."""
    application = _returned(request, user, code)
    url, draft = settings_of(request).registry_url(), secrets.token_urlsafe(16)
    held = await asyncio.to_thread(
        hold_for_draft, url, draft, user.username, stored_files(url, material_fields(application))
    )
    return _form_page(request, form_of(application), held, draft, resubmit_of=code)


@router.post("/alliances/{code}/resubmit")
async def resubmit(request: Request, code: str, user: StaffUser = Depends(current_user)):
    """Send the corrected application for the alliance (Resubmission); refused, it is shown
    again with its problems and files, and nothing changes."""
    submitted = _returned(request, user, code)
    entry = await _checked_entry(request, user, submitted.materials)
    if entry.application is None:
        return _form_page(
            request, entry.form, entry.held, entry.draft, entry.problems, resubmit_of=code
        )
    action = Resubmission(
        request_id=entry.form.get("request_id") or uuid.uuid4().hex,
        actor=on_behalf_of_alliance(user),
        application=entry.application,
        note=entry.form.get("note", ""),
    )
    try:
        await act(await client_of(request), code, StaffAction.RESUBMIT, action)
    except ProcedureActionFailed as failed:
        problem = Problem(field="application", zh=failed.zh, en=failed.en)
        return _form_page(request, entry.form, entry.held, entry.draft, [problem], resubmit_of=code)
    url = settings_of(request).registry_url()
    await asyncio.to_thread(drop_draft, url, entry.draft, user.username)
    accepted = urlencode({"done": StaffAction.RESUBMIT.value, "request_id": action.request_id})
    return RedirectResponse(f"/alliances/{code}?{accepted}", 303)


@router.get("/applications/{code}/registering")
def registering(request: Request, code: str, user: StaffUser = Depends(current_user)):
    """正在登记: the workflow records the alliance a moment after the submission; this page
    asks again until it has, then opens the alliance's page."""
    _require_staff(user)
    with session_scope(settings_of(request).registry_url()) as session:
        alliance = session.get(Alliance, code)
        assigned = session.get(AllianceCode, code)
    # an alliance applying again is registered once it has left the status it applied from
    if alliance is not None and alliance.status not in MAY_APPLY_FROM:
        return RedirectResponse(f"/alliances/{code}?done=submitted", 303)
    if assigned is None:
        raise Forbidden("没有该申请 (no such application)")
    return render(
        request,
        "registering.html",
        code=code,
        name=assigned.alliance_name,
        refresh=REFRESH_SECONDS,
        registered_before=alliance is not None,
    )


def _form_page(
    request: Request,
    form: Mapping[str, str],
    held: Mapping[str, MaterialUpload],
    draft: str,
    problems: list[Problem] | None = None,
    resubmit_of: str = "",
):
    """The form, as entered, with the files its draft holds; 400 with the problems.
    `resubmit_of`: the alliance whose corrected application this is."""
    return render(
        request,
        "new_application.html",
        status_code=400 if problems else 200,
        entered=form,
        problems=problems or [],
        held=held,
        draft=draft,
        member_rows=row_numbers(form, "member", held),
        contact_rows=row_numbers(form, "contact"),
        resubmit_of=resubmit_of,
        **form_choices(settings_of(request).priority_sectors),
    )
