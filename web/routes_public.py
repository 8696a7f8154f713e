"""Public pages (no login): current public notices with the objection form, the status of
a filed objection by its tracking number, and the certificate check."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse

from client.alliances import ProcedureActionFailed
from domain.certificate import chinese_date
from web.pages import client_of, render, settings_of, today
from web.public_queries import (
    BureauContact,
    LetterUpload,
    NoticeView,
    ObjectionForm,
    certificate_check,
    current_notices,
    file_objection,
    notice_of,
    objection_status,
    tracking_number_of,
)
from web.security import check_csrf

router = APIRouter()
# The session carries the objection's number and tracking number across the redirect
# after filing, so the receipt shows once and a reload does not file a second objection.
RECEIPT = "objection_receipt"


def _render(request: Request, template: str, status_code: int = 200, **context):
    return render(
        request,
        template,
        status_code=status_code,
        chinese_date=chinese_date,
        bureau=BureauContact.of(settings_of(request)),
        letter_max_mb=settings_of(request).objection_letter_max_mb,
        **context,
    )


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
    pending = request.session.get(RECEIPT)
    receipt = request.session.pop(RECEIPT) if pending and pending.get("code") == code else None
    return _render(
        request, "public_notice.html", notice=notice, form=ObjectionForm(), receipt=receipt
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
    letter: UploadFile | None = File(None),
):
    check_csrf(request, csrf)
    notice = await _notice_or_404(request, code)
    form = ObjectionForm(name, organisation, contact, text).stripped()
    max_mb = settings_of(request).objection_letter_max_mb
    upload = None
    if letter is not None and letter.filename:
        # One byte over the limit is enough to refuse it; the rest is never read.
        upload = LetterUpload(letter.filename, await letter.read(max_mb * 1024 * 1024 + 1))
    client_host = request.client.host if request.client else "-"
    # Counted in the registry (shared by every web process); a registry that cannot be
    # reached is the app's "registry unavailable" answer, like the notice read above.
    if not await asyncio.to_thread(request.app.state.objection_limiter.allow, client_host):
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
    error = form.refusal() or (upload.refusal(max_mb) if upload else None)
    if error is None:
        try:
            receipt = await file_objection(
                await client_of(request), _url(request), code, form, upload
            )
        except ProcedureActionFailed as refused:
            error = str(refused)  # the workflow's own bilingual reason
        else:
            request.session[RECEIPT] = {
                "code": code,
                "number": receipt.number,
                "tracking_number": receipt.tracking_number,
            }
            return RedirectResponse(f"/notices/{quote(code, safe='')}", status_code=303)
    return _render(
        request, "public_notice.html", status_code=400, notice=notice, form=form, error=error
    )


@router.get("/objections")
async def objection_search(request: Request, number: str = ""):
    """异议查询: the objector types the tracking number the receipt gave them."""
    if not number.strip():
        return _render(request, "public_objection.html", number="", result=None)
    canonical = tracking_number_of(number)
    if canonical is None:
        return _render(
            request,
            "public_objection.html",
            status_code=400,
            number=number.strip(),
            result=None,
            error=(
                "受理查询号格式不正确，应形如 YY-7K2M-Q9XD",
                "That is not a tracking number; it looks like YY-7K2M-Q9XD.",
            ),
        )
    return RedirectResponse(f"/objections/{canonical}", status_code=303)


@router.get("/objections/{number}")
async def objection_page(request: Request, number: str):
    """The status of one objection; nothing of the objector or of anyone else is shown."""
    canonical = tracking_number_of(number)
    result = None
    if canonical is not None:
        result = await asyncio.to_thread(objection_status, _url(request), canonical)
    return _render(
        request,
        "public_objection.html",
        status_code=200 if result else 404,
        number=canonical or number,
        result=result,
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
