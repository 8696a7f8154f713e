"""Print and archive (staff): an alliance's approval form (审批表) as a PDF, its audit trail
as an Excel workbook, and the signed letters filed with objections."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from documents.approval_form import render_approval_form
from documents.pdf import FontMissing, cjk_font
from domain.shanghai_time import SHANGHAI
from registry.tables import StaffUser
from web import print_queries, staff_queries
from web.audit_export import audit_disposition, audit_workbook
from web.export import XLSX
from web.pages import Forbidden, current_user, settings_of

router = APIRouter()
NOT_VISIBLE = "没有该联盟，或您无权查看 (no such alliance, or not yours to see)"


@router.get("/alliances/{code}/approval-form.pdf")
def approval_form_pdf(request: Request, code: str, user: StaffUser = Depends(current_user)):
    """The approval form, printed from the registry as it stands now."""
    settings = settings_of(request)
    try:
        record = print_queries.approval_record(settings.registry_url(), user, code)
    except staff_queries.NotVisible as hidden:
        raise Forbidden(NOT_VISIBLE) from hidden
    try:
        font = cjk_font(settings.cjk_font_path)
    except FontMissing as missing:
        raise HTTPException(503, str(missing)) from missing
    pdf = render_approval_form(
        record, bureau=settings.bureau_name, font=font, printed_at=datetime.now(UTC)
    )
    name = f"审批表-{code}.pdf"
    disposition = f"inline; filename=\"approval-form-{code}.pdf\"; filename*=UTF-8''{quote(name)}"
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})


@router.get("/alliances/{code}/audit.xlsx")
def audit_export(request: Request, code: str, user: StaffUser = Depends(current_user)):
    """办理记录: every audit entry of the alliance, one row each."""
    settings = settings_of(request)
    try:
        alliance, entries = print_queries.audit_trail(settings.registry_url(), user, code)
    except staff_queries.NotVisible as hidden:
        raise Forbidden(NOT_VISIBLE) from hidden
    return Response(
        audit_workbook(alliance, entries, settings.bureau_name),
        media_type=XLSX,
        headers={"Content-Disposition": audit_disposition(code, datetime.now(SHANGHAI).date())},
    )


@router.get("/alliances/{code}/objections/{number}/letter")
def objection_letter(
    request: Request, code: str, number: int, user: StaffUser = Depends(current_user)
):
    """The signed letter (异议书) the objector uploaded with objection `number`."""
    try:
        letter = print_queries.objection_letter(
            settings_of(request).registry_url(), user, code, number
        )
    except staff_queries.NotVisible as hidden:
        raise Forbidden(NOT_VISIBLE) from hidden
    if letter is None:
        raise HTTPException(404, f"异议{number}没有附件 (objection {number} has no letter)")
    return Response(
        letter.content,
        media_type=letter.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(letter.filename)}"},
    )
