"""Staff work: the inbox, an alliance's page and the actions on it."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from admin.procedure_client import ProcedureActionFailed, act
from domain.shanghai_time import SHANGHAI
from registry.database import session_scope
from registry.tables import Certificate, Document, StaffUser
from web import staff_queries
from web.forms import FormInvalid, parse
from web.pages import Forbidden, client_of, current_user, render, settings_of
from web.security import check_csrf

router = APIRouter()


def today(request: Request):
    """Beijing today; tests on simulated time set `app.state.clock`."""
    clock = getattr(request.app.state, "clock", None)
    return (clock() if clock else datetime.now(SHANGHAI)).astimezone(SHANGHAI).date()


@router.get("/inbox")
async def inbox(request: Request, user: StaffUser = Depends(current_user)):
    url = settings_of(request).registry_url()
    items = staff_queries.inbox_items(url, user)
    items = await staff_queries.with_deadlines(await client_of(request), url, items, today(request))
    return render(request, "inbox.html", items=items, done=staff_queries.done_items(url, user))


async def _alliance_page(request: Request, user: StaffUser, code: str, status_code=200, **extra):
    try:
        record = staff_queries.alliance_record(settings_of(request).registry_url(), user, code)
    except staff_queries.NotVisible as hidden:
        raise Forbidden(
            "没有该联盟，或您无权查看 (no such alliance, or not yours to see)"
        ) from hidden
    await staff_queries.add_live_state(await client_of(request), record)
    record.actions = staff_queries.actions_for(user, record)
    return render(request, "alliance.html", status_code=status_code, r=record, **extra)


@router.get("/alliances/{code}")
async def alliance_page(request: Request, code: str, user: StaffUser = Depends(current_user)):
    return await _alliance_page(request, user, code)


@router.post("/alliances/{code}/actions/{name}")
async def alliance_action(
    request: Request, code: str, name: str, user: StaffUser = Depends(current_user)
):
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form.get("csrf"))
    url = settings_of(request).registry_url()
    try:
        record = staff_queries.alliance_record(url, user, code)
    except staff_queries.NotVisible as hidden:
        raise Forbidden("没有该联盟，或您无权操作 (no such alliance, or not yours)") from hidden
    if name not in staff_queries.actions_for(user, record):
        raise Forbidden("您的角色现在不能办理此事项 (your role cannot do this now)")
    try:
        update, action = parse(name, form, user)
        await act(await client_of(request), code, update, action)
    except (FormInvalid, ProcedureActionFailed) as refused:
        return await _alliance_page(
            request, user, code, status_code=400, failed=name, error=str(refused), entered=form
        )
    return RedirectResponse(f"/alliances/{code}?done={name}", status_code=303)


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
