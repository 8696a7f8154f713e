"""Staff work: the inbox, an alliance's page and the actions on it, the incidents."""

from __future__ import annotations

import asyncio
from functools import partial
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from activities.certificate import ReissueRefused, reissue_certificate
from client.actions import CATALOGUE, StaffAction
from client.alliances import ProcedureActionFailed, act
from documents.pdf import FontMissing
from domain.procedure import Role
from registry.database import session_scope
from registry.tables import Alliance, Certificate, Document, MaterialFile, StaffUser, UploadedFile
from web import staff_queries
from web.action_summary import summary
from web.forms import FormInvalid, parse
from web.pages import (
    Forbidden,
    client_of,
    current_user,
    render,
    said,
    settings_of,
    today,
    workflow_client,
)
from web.portal_term import staff_view
from web.security import check_csrf

router = APIRouter()


@router.get("/inbox")
async def inbox(
    request: Request, sort: str = "deadline", q: str = "", user: StaffUser = Depends(current_user)
):
    """待办, by deadline or (`?sort=priority`) with article 8.6's prioritised first;
    `q` keeps the items whose alliance name or code contains it."""
    sort = sort if sort in staff_queries.INBOX_ORDERS else "deadline"
    url = settings_of(request).registry_url()
    items = staff_queries.matching(staff_queries.inbox_items(url, user), q)
    items = await staff_queries.with_deadlines(
        await client_of(request),
        url,
        items,
        await today(request),
        settings_of(request).rules.approval_numbered_by_system,
    )
    return render(
        request,
        "inbox.html",
        items=staff_queries.in_order(items, sort),
        sort=sort,
        q=q.strip(),
        done=staff_queries.done_items(url, user),
    )


async def _alliance_page(request: Request, user: StaffUser, code: str, status_code=200, **extra):
    try:
        record = staff_queries.alliance_record(settings_of(request).registry_url(), user, code)
    except staff_queries.NotVisible as hidden:
        raise Forbidden(
            "没有该联盟，或您无权查看 (no such alliance, or not yours to see)"
        ) from hidden
    await staff_queries.add_live_state(partial(workflow_client, request), record)
    record.actions = staff_queries.actions_for(user, record)
    record.may_reissue = staff_queries.may_reissue_certificate(user, record)
    portal = await asyncio.to_thread(staff_view, settings_of(request).registry_url(), code)
    return render(
        request, "alliance.html", status_code=status_code, r=record, portal=portal, **extra
    )


@router.get("/alliances/{code}")
async def alliance_page(request: Request, code: str, user: StaffUser = Depends(current_user)):
    return await _alliance_page(request, user, code)


@router.post("/alliances/{code}/actions/{name}")
async def alliance_action(
    request: Request, code: str, name: str, user: StaffUser = Depends(current_user)
):
    """Check the form, show what will be recorded, and on confirmation send the action."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form.get("csrf"))
    url = settings_of(request).registry_url()
    try:
        record = staff_queries.alliance_record(url, user, code)
    except staff_queries.NotVisible as hidden:
        raise Forbidden("没有该联盟，或您无权操作 (no such alliance, or not yours)") from hidden
    if name not in staff_queries.actions_for(user, record):
        raise Forbidden("您的角色现在不能办理此事项 (your role cannot do this now)")
    spec = CATALOGUE[StaffAction(name)]
    try:
        action = parse(spec.name, form, user)
        if form.get("confirmed") != "1" and spec.name != StaffAction.RETRY_INCIDENT:
            return render(
                request,
                "confirm_action.html",
                r=record,
                spec=spec,
                lines=summary(action),
                entered={
                    **{k: v for k, v in form.items() if k not in ("csrf", "confirmed")},
                    "request_id": action.request_id,  # type: ignore[attr-defined]
                },
            )
        await act(await client_of(request), code, spec.name, action)
    except (FormInvalid, ProcedureActionFailed) as refused:
        return await _alliance_page(
            request,
            user,
            code,
            status_code=400,
            failed=name,
            error=said(request, refused),
            entered=form,
        )
    accepted = urlencode({"done": name, "request_id": action.request_id})  # type: ignore[attr-defined]
    return RedirectResponse(f"/alliances/{code}?{accepted}", status_code=303)


@router.get("/alliances/{code}/certificate.pdf")
def certificate_pdf(request: Request, code: str, user: StaffUser = Depends(current_user)):
    url = settings_of(request).registry_url()
    try:
        staff_queries.alliance_record(url, user, code)
    except staff_queries.NotVisible as hidden:
        raise Forbidden("没有该联盟，或您无权查看") from hidden
    with session_scope(url) as session:
        certificate = session.exec(
            select(Certificate)
            .where(Certificate.alliance_code == code)
            .order_by(Certificate.term.desc())
        ).first()
        document = session.get(Document, certificate.document_id) if certificate else None
    if document is None:
        raise Forbidden("尚无证书 (no certificate yet)")
    return Response(
        document.content,
        media_type=document.content_type,
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
    )


@router.post("/alliances/{code}/certificate/reissue")
async def certificate_reissue(request: Request, code: str, user: StaffUser = Depends(current_user)):
    """证书补发: the certificate printed again (lost, damaged, or name or members changed)."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form.get("csrf"))
    try:
        record = staff_queries.alliance_record(settings_of(request).registry_url(), user, code)
    except staff_queries.NotVisible as hidden:
        raise Forbidden("没有该联盟，或您无权查看") from hidden
    if not staff_queries.may_reissue_certificate(user, record):
        raise Forbidden("您现在不能补发该联盟的证书 (you cannot reissue this certificate now)")
    try:
        await asyncio.to_thread(
            reissue_certificate,
            settings_of(request),
            code,
            form.get("reason", ""),
            user.display_name,
        )
    except (ReissueRefused, FontMissing) as refused:
        return await _alliance_page(
            request, user, code, status_code=400, failed="reissue", error=said(request, refused)
        )
    return RedirectResponse(f"/alliances/{code}?reissued=1#certificate", status_code=303)


@router.get("/incidents")
async def incidents_page(request: Request, user: StaffUser = Depends(current_user)):
    """故障: open incidents across alliances, and emails some recipient never got."""
    if Role(user.role) not in staff_queries.INCIDENT_HANDLERS:
        raise Forbidden("只有市科技局工作人员可以处理故障 (only bureau staff handle incidents)")
    overview = await staff_queries.incidents_overview(
        partial(workflow_client, request), settings_of(request).registry_url()
    )
    return render(request, "incidents.html", overview=overview)


@router.get("/materials/{sha256}")
def material_file(request: Request, sha256: str, user: StaffUser = Depends(current_user)):
    """An uploaded article-10 material, to staff who may see an alliance that filed it."""
    url = settings_of(request).registry_url()
    with session_scope(url) as session:
        codes = set(
            session.exec(select(MaterialFile.alliance_code).where(MaterialFile.sha256 == sha256))
        )
        allowed = any(staff_queries.visible(user, session.get(Alliance, code)) for code in codes)
        stored = session.get(UploadedFile, sha256) if allowed else None
    if stored is None:
        raise Forbidden("没有该文件，或您无权查看 (no such file, or not yours to see)")
    return Response(
        stored.content,
        media_type=stored.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.filename)}"},
    )
