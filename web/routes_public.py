"""Public pages (no login): current public notices with the objection form; certificate check."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from client.alliances import ProcedureActionFailed
from domain.certificate import chinese_date
from web.pages import client_of, render, settings_of, today
from web.public_queries import (
    NoticeView,
    ObjectionForm,
    certificate_check,
    current_notices,
    file_objection,
    notice_of,
)
from web.security import check_csrf

router = APIRouter()
# The session carries the objection number across the redirect after filing, so a
# reload of the page shows the receipt again without filing a second objection.
RECEIPT = "objection_receipt"


def _render(request: Request, template: str, status_code: int = 200, **context):
    return render(request, template, status_code=status_code, chinese_date=chinese_date, **context)


def _url(request: Request) -> str:
    return settings_of(request).registry_url()


async def _notice_or_404(request: Request, code: str) -> NoticeView:
    notice = await asyncio.to_thread(notice_of, _url(request), code, await today(request))
    if notice is None:
        raise HTTPException(404, f"没有联盟 {code} 的公示 (no public notice for alliance {code})")
    return notice


@router.get("/notices")
async def notices(request: Request):
    found = await asyncio.to_thread(current_notices, _url(request), await today(request))
    return _render(request, "public_notices.html", notices=found)


@router.get("/notices/{code}")
async def notice_page(request: Request, code: str):
    notice = await _notice_or_404(request, code)
    receipt = request.session.get(RECEIPT)
    number = None
    if receipt and receipt.get("code") == code:
        number = request.session.pop(RECEIPT)["number"]
    return _render(
        request, "public_notice.html", notice=notice, form=ObjectionForm(), receipt=number
    )


@router.post("/notices/{code}/objections")
async def objection(
    request: Request,
    code: str,
    name: str = Form(""),
    organisation: str = Form(""),
    contact: str = Form(""),
    text: str = Form(""),
    csrf: str = Form(""),
):
    check_csrf(request, csrf)
    notice = await _notice_or_404(request, code)
    form = ObjectionForm(name, organisation, contact, text).stripped()
    client_host = request.client.host if request.client else "-"
    if not request.app.state.objection_limiter.allow(client_host):
        per_hour = settings_of(request).objections_per_hour
        return _render(
            request,
            "public_notice.html",
            status_code=429,
            notice=notice,
            form=form,
            error=(
                f"本地址提交异议过于频繁（每小时最多{per_hour}次），请稍后再试",
                f"Too many objections from this address (at most {per_hour} an hour); "
                "please try again later.",
            ),
        )
    error = form.refusal()
    if error is None:
        try:
            number = await file_objection(await client_of(request), code, form)
        except ProcedureActionFailed as refused:
            error = str(refused)  # the workflow's own bilingual reason
        else:
            request.session[RECEIPT] = {"code": code, "number": number}
            return RedirectResponse(f"/notices/{quote(code, safe='')}", status_code=303)
    return _render(
        request, "public_notice.html", status_code=400, notice=notice, form=form, error=error
    )


@router.get("/certificates")
async def certificate_search(request: Request, serial: str = ""):
    serial = serial.strip()
    if serial:
        # One address per certificate: the same page the QR code on the PDF opens.
        return RedirectResponse(f"/certificates/{quote(serial, safe='')}", status_code=303)
    return _render(request, "public_certificates.html", serial="", result=None)


@router.get("/certificates/{serial:path}")
async def certificate_page(request: Request, serial: str):
    serial = serial.strip()
    result = await asyncio.to_thread(certificate_check, _url(request), serial, await today(request))
    status_code = 404 if result.status == "not_found" else 200
    return _render(
        request, "public_certificates.html", status_code=status_code, serial=serial, result=result
    )
