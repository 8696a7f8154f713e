"""The term in the alliance portal (articles 11 and 12): the annual report, assessment
materials and the rectification report handed in online, member and contact changes
proposed for staff to decide, and the alliance's record (status, history, certificate).

Each form becomes the same workflow update the console and the CLI send, through
`client.alliances.act`, with the request id the form carries: a form sent twice acts
once. A refusal (the form's or the workflow's) shows the form again as it was typed, its
files still held. Staff decide change requests on pages of their own, linked from the
alliance's console page.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from client.actions import CATALOGUE, StaffAction
from client.alliances import ProcedureActionFailed, act, term_state
from domain.application import MemberKind, MemberRole
from domain.labels import event_words, words
from domain.material_files import MaterialUpload
from domain.procedure import Role
from domain.report_statistics import FIGURES, figures_shown
from domain.term import CERTIFICATE_HOLDS, AssessmentKind, ReportStatus, TermState, report_years
from registry.tables import Alliance, PortalUser, StaffUser
from web import portal_queries as queries
from web import portal_term as term
from web import staff_queries
from web.forms import FormInvalid, actor_of
from web.pages import Forbidden, current_user, said, settings_of, workflow_client
from web.pages import render as render_console
from web.routes_portal import (
    NotYours,
    PortalRoute,
    client_or_none,
    portal_user,
    render,
    serving,
)
from web.security import RateLimiter, check_csrf

portal = APIRouter(prefix="/portal", route_class=PortalRoute)
staff = APIRouter()
router = APIRouter()

TOO_MANY = ("提交过于频繁，请一分钟后再试", "Too many forms sent; wait a minute.")
UNREACHABLE = (
    "暂时无法连接办理系统，未提交；请稍后再试（已填写的内容保留在本页）",
    "The procedure service cannot be reached; nothing was sent. Try again later "
    "(what you typed is kept on this page).",
)
NOT_VISIBLE = "没有该联盟，或您无权查看 (no such alliance, or not yours to see)"
MEMBER_KINDS = [(kind.value, *words("member_kind", kind)) for kind in MemberKind]
MEMBER_ROLES = [(role.value, *words("member_role", role)) for role in MemberRole]


def _now() -> datetime:
    return datetime.now(UTC)


def _url(request: Request) -> str:
    return settings_of(request).registry_url()


async def _live(request: Request, alliance: Alliance) -> TermState | None:
    """The term's live state, or None when no term runs or Temporal does not answer."""
    if alliance.status not in staff_queries.TERM_STATUSES:
        return None
    try:
        return await term_state(await workflow_client(request), alliance.code)
    except ProcedureActionFailed:
        return None


async def _serving(request: Request, code: str, user: PortalUser):
    alliance, _ = await asyncio.to_thread(serving, request, code, user)
    return alliance


# ---------------------------------------------------------------- the forms, one flow


class _Form:
    """A portal form as received: its text fields, its files held for it, its problems."""

    def __init__(self, fields: dict[str, str], request_id: str) -> None:
        self.fields, self.request_id = fields, request_id
        self.files: list[MaterialUpload] = []
        self.problems: list[tuple[str, str]] = []


async def _received(request: Request, user: PortalUser) -> _Form:
    data = await request.form()
    check_csrf(request, str(data.get("csrf", "")))
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    form = _Form(fields, term.request_id_of(fields))
    parts = [
        value
        for key, value in data.multi_items()
        if key == term.ATTACHMENT_FIELD and isinstance(value, UploadFile) and value.filename
    ]
    # more files than a form may carry: none is read or held (a flood stores nothing)
    too_many = len(parts) > term.MAX_ATTACHMENTS
    uploads = [
        MaterialUpload(
            term.attachment_field(value.filename),
            value.filename,
            value.content_type or "",
            await value.read(),
        )
        for value in ([] if too_many else parts)
        if isinstance(value.filename, str)
    ]
    form.files, form.problems = await asyncio.to_thread(
        term.hold_attachments,
        _url(request),
        form.request_id,
        user,
        uploads,
        settings_of(request).upload_max_mb,
    )
    if too_many and term.TOO_MANY_FILES not in form.problems:
        form.problems.append(term.TOO_MANY_FILES)
    return form


def _limited(request: Request, user: PortalUser) -> bool:
    limiter = RateLimiter(_url(request), "portal_submit", term.SUBMISSIONS_PER_MINUTE, 60)
    return not limiter.allow(str(user.id))


async def _hand_in(
    request: Request,
    code: str,
    user: PortalUser,
    name: StaffAction,
    subject: str,
    fixed: dict[str, str],
    page,
):
    """Read the form, send its action to the workflow, keep its files and audit it; on any
    refusal the page again, as typed, with the refusal in the user's language."""
    await _serving(request, code, user)
    form = await _received(request, user)
    url = _url(request)
    here = request.url.path
    if await asyncio.to_thread(term.already_done, url, code, form.request_id):
        return RedirectResponse(f"{here}?sent=1", status_code=303)
    if await asyncio.to_thread(_limited, request, user):
        form.problems.append(TOO_MANY)
        return await page(request, code, user, form, status_code=429)
    action = None
    try:
        action = term.parse_submission(
            name, {**form.fields, **fixed}, form.request_id, term.alliance_actor(user)
        )
    except FormInvalid as invalid:
        form.problems.append((invalid.zh, invalid.en))
    if form.problems:
        return await page(request, code, user, form, status_code=400)
    try:
        await act(await workflow_client(request), code, name, action)
    except ProcedureActionFailed as refused:
        form.problems.append((refused.zh, refused.en))
        return await page(request, code, user, form, status_code=400)
    await asyncio.to_thread(
        term.record_submission,
        url,
        code,
        subject,
        form.request_id,
        user,
        form.files,
        f"{subject.split(':')[0]}.submitted",
        _now(),
    )
    return RedirectResponse(f"{here}?sent=1", status_code=303)


def _form_context(request: Request, form: _Form | None) -> dict:
    return {
        "entered": form.fields if form else {},
        "request_id": form.request_id if form else term.request_id_of({}),
        "held": form.files if form else [],
        "problems": form.problems if form else [],
        "sent": request.query_params.get("sent") == "1" and form is None,
        "max_mb": settings_of(request).upload_max_mb,
        "max_files": term.MAX_ATTACHMENTS,
    }


# ---------------------------------------------------------------- the annual report (article 11)


async def _report_page(request, code, user, form=None, status_code=200):
    year = int(request.path_params["year"])
    alliance = await _serving(request, code, user)
    url = _url(request)
    task = await asyncio.to_thread(queries.report_task, url, alliance, year)
    state = await _live(request, alliance)
    if state is not None:
        record = state.report(year)
        owed = year in report_years(state)
        task.open = owed and (record is None or record.status in queries.OPEN_REPORT)
        if record is None and owed:
            task.state = ("待提交", "to hand in")
        if record is not None and record.status == ReportStatus.RETURNED and record.resubmit_by:
            task.due = record.resubmit_by
    submitted = await asyncio.to_thread(queries.report_row, url, code, year)
    return render(
        request,
        "term_report.html",
        status_code=status_code,
        task=task,
        year=year,
        figures=FIGURES,
        submitted=submitted,
        shown=figures_shown(submitted.statistics) if submitted else [],
        files=await asyncio.to_thread(term.attachments, url, code, f"report:{year}"),
        **_form_context(request, form),
    )


@portal.get("/a/{code}/reports/{year}")
async def report_page(
    request: Request, code: str, year: int, user: PortalUser = Depends(portal_user)
):
    return await _report_page(request, code, user)


@portal.post("/a/{code}/reports/{year}")
async def submit_report(
    request: Request, code: str, year: int, user: PortalUser = Depends(portal_user)
):
    return await _hand_in(
        request,
        code,
        user,
        StaffAction.SUBMIT_ANNUAL_REPORT,
        f"report:{year}",
        {"year": str(year)},
        _report_page,
    )


# ---------------------------------------------------------------- assessment materials (article 12)


def _kind(request: Request) -> AssessmentKind:
    kind = request.path_params["kind"]
    if kind not in set(AssessmentKind):
        raise NotYours()
    return AssessmentKind(kind)


async def _assessment_page(request, code, user, form=None, status_code=200):
    kind = _kind(request)
    alliance = await _serving(request, code, user)
    url = _url(request)
    task = await asyncio.to_thread(queries.assessment_task, url, alliance, kind)
    state = await _live(request, alliance)
    record = state.assessment(kind) if state is not None else None
    if record is not None:
        task.open = record.materials_submitted_at is None
        task.due = record.materials_due
    return render(
        request,
        "term_assessment.html",
        status_code=status_code,
        task=task,
        kind=kind,
        materials=record.materials if record is not None else "",
        files=await asyncio.to_thread(term.attachments, url, code, f"assessment:{kind.value}"),
        **_form_context(request, form),
    )


@portal.get("/a/{code}/assessments/{kind}")
async def assessment_page(
    request: Request, code: str, kind: str, user: PortalUser = Depends(portal_user)
):
    return await _assessment_page(request, code, user)


@portal.post("/a/{code}/assessments/{kind}")
async def submit_assessment(
    request: Request, code: str, kind: str, user: PortalUser = Depends(portal_user)
):
    await _serving(request, code, user)
    chosen = _kind(request)
    return await _hand_in(
        request,
        code,
        user,
        StaffAction.SUBMIT_ASSESSMENT_MATERIALS,
        f"assessment:{chosen.value}",
        {"kind": chosen.value},
        _assessment_page,
    )


# ---------------------------------------------------------------- the rectification report


async def _rectification_page(request, code, user, form=None, status_code=200):
    alliance = await _serving(request, code, user)
    url = _url(request)
    task = await queries.rectification_task(await client_or_none(request), alliance)
    return render(
        request,
        "term_rectification.html",
        status_code=status_code,
        task=task,
        files=await asyncio.to_thread(term.attachments, url, code, "rectification"),
        **_form_context(request, form),
    )


@portal.get("/a/{code}/rectification")
async def rectification_page(request: Request, code: str, user: PortalUser = Depends(portal_user)):
    return await _rectification_page(request, code, user)


@portal.post("/a/{code}/rectification")
async def submit_rectification(
    request: Request, code: str, user: PortalUser = Depends(portal_user)
):
    return await _hand_in(
        request,
        code,
        user,
        StaffAction.SUBMIT_RECTIFICATION_REPORT,
        "rectification",
        {},
        _rectification_page,
    )


# ---------------------------------------------------------------- member and contact changes


async def _changes_page(request, code, user, state=None, form=None, status_code=200):
    alliance = await _serving(request, code, user)
    state = state or await _live(request, alliance)
    requests = await asyncio.to_thread(term.change_requests, _url(request), code)
    pending = any(r.status == term.ChangeStatus.PENDING for r in requests)
    return render(
        request,
        "term_changes.html",
        status_code=status_code,
        alliance=alliance,
        state=state,
        may_propose=state is not None
        and alliance.status in {s.value for s in CERTIFICATE_HOLDS}
        and not pending,
        requests=requests,
        change_words=term.CHANGE_STATUS_WORDS,
        member_kinds=MEMBER_KINDS,
        member_roles=MEMBER_ROLES,
        **_form_context(request, form),
    )


@portal.get("/a/{code}/changes")
async def changes_page(request: Request, code: str, user: PortalUser = Depends(portal_user)):
    return await _changes_page(request, code, user)


@portal.post("/a/{code}/changes")
async def propose_change(request: Request, code: str, user: PortalUser = Depends(portal_user)):
    alliance = await _serving(request, code, user)
    data = await request.form()
    check_csrf(request, str(data.get("csrf", "")))
    form = _Form({k: v for k, v in data.items() if isinstance(v, str)}, "")
    form.request_id = term.request_id_of(form.fields)
    if await asyncio.to_thread(_limited, request, user):
        form.problems.append(TOO_MANY)
        return await _changes_page(request, code, user, form=form, status_code=429)
    state = await _live(request, alliance)
    if state is None:
        form.problems.append(UNREACHABLE)
        return await _changes_page(request, code, user, form=form, status_code=503)
    try:
        change = term.proposed_change(
            form.fields, form.request_id, term.alliance_actor(user), state
        )
        await asyncio.to_thread(term.propose_change, _url(request), code, change, user, _now())
    except term.ChangeInvalid as invalid:
        form.problems = invalid.problems
        return await _changes_page(request, code, user, state, form, status_code=400)
    return RedirectResponse(f"/portal/a/{quote(code)}/changes?sent=1", status_code=303)


# ---------------------------------------------------------------- status, history, certificate


@portal.get("/a/{code}/record")
async def record_page(request: Request, code: str, user: PortalUser = Depends(portal_user)):
    alliance = await _serving(request, code, user)
    record = await asyncio.to_thread(term.record_of, _url(request), code)
    return render(
        request,
        "term_record.html",
        alliance=alliance,
        status=words("status", alliance.status),
        record=record,
        event_words=event_words,
        certificate_holds=alliance.status in {s.value for s in CERTIFICATE_HOLDS},
    )


@portal.get("/a/{code}/certificate.pdf")
def certificate_pdf(request: Request, code: str, user: PortalUser = Depends(portal_user)):
    alliance, _ = serving(request, code, user)
    document = term.certificate_document(_url(request), code)
    if document is None or alliance.status not in {s.value for s in CERTIFICATE_HOLDS}:
        raise NotYours()  # a revoked or expired status holds no certificate to hand out
    return Response(
        document.content,
        media_type=document.content_type,
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
    )


@portal.get("/a/{code}/files/{number}")
def attachment(request: Request, code: str, number: int, user: PortalUser = Depends(portal_user)):
    serving(request, code, user)
    return _file_response(term.attached_file(_url(request), code, number))


def _file_response(stored):
    if stored is None:
        raise NotYours()
    return Response(
        stored.content,
        media_type=stored.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.filename)}"},
    )


# ---------------------------------------------------------------- staff decide change requests


def _visible(request: Request, user: StaffUser, code: str):
    try:
        return staff_queries.alliance_record(_url(request), user, code)
    except staff_queries.NotVisible as hidden:
        raise Forbidden(NOT_VISIBLE) from hidden


def _may_decide(user: StaffUser) -> None:
    if Role(user.role) not in CATALOGUE[StaffAction.CHANGE_MEMBERSHIP].roles:
        raise Forbidden("只有市科技局工作人员可以审核变更申请 (only bureau staff decide changes)")


async def _change_page(request, code, number, user, status_code=200, error=""):
    record = await asyncio.to_thread(_visible, request, user, code)
    row = await asyncio.to_thread(term.change_request, _url(request), code, number)
    if row is None:
        raise Forbidden("没有该变更申请 (no such change request)")
    return render_console(
        request,
        "change_request.html",
        status_code=status_code,
        r=record,
        change=row,
        change_words=term.CHANGE_STATUS_WORDS,
        may_decide=Role(user.role) in CATALOGUE[StaffAction.CHANGE_MEMBERSHIP].roles,
        error=error,
    )


@staff.get("/alliances/{code}/change-requests/{number}")
async def change_request_page(
    request: Request, code: str, number: int, user: StaffUser = Depends(current_user)
):
    return await _change_page(request, code, number, user)


@staff.post("/alliances/{code}/change-requests/{number}/apply")
async def apply_change(
    request: Request, code: str, number: int, user: StaffUser = Depends(current_user)
):
    """Apply the alliance's change with CHANGE_MEMBERSHIP, as the console's form does."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    _may_decide(user)
    await asyncio.to_thread(_visible, request, user, code)
    url = _url(request)
    row = await asyncio.to_thread(term.change_request, url, code, number)
    if row is None or row.status != term.ChangeStatus.PENDING:
        return RedirectResponse(f"/alliances/{quote(code)}/change-requests/{number}", 303)
    change = term.staff_change(row, actor_of(user))
    try:
        await act(await workflow_client(request), code, StaffAction.CHANGE_MEMBERSHIP, change)
    except ProcedureActionFailed as refused:
        return await _change_page(request, code, number, user, 400, said(request, refused))
    await asyncio.to_thread(
        term.decide_change, url, code, number, term.ChangeStatus.APPLIED, user.display_name, _now()
    )
    return RedirectResponse(
        f"/alliances/{quote(code)}?done=change_membership&request_id={change.request_id}", 303
    )


@staff.post("/alliances/{code}/change-requests/{number}/decline")
async def decline_change(
    request: Request, code: str, number: int, user: StaffUser = Depends(current_user)
):
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    _may_decide(user)
    await asyncio.to_thread(_visible, request, user, code)
    reason = str(form.get("reason", "")).strip()
    if not reason:
        error = said(request, FormInvalid("请填写不予同意的理由", "give the reason"))
        return await _change_page(request, code, number, user, 400, error)
    await asyncio.to_thread(
        term.decide_change,
        _url(request),
        code,
        number,
        term.ChangeStatus.DECLINED,
        user.display_name,
        _now(),
        reason,
    )
    return RedirectResponse(f"/alliances/{quote(code)}/change-requests/{number}", 303)


@staff.get("/alliances/{code}/portal-files/{number}")
def staff_attachment(
    request: Request, code: str, number: int, user: StaffUser = Depends(current_user)
):
    """A file the alliance attached in the portal, to staff who may see the alliance."""
    _visible(request, user, code)
    stored = term.attached_file(_url(request), code, number)
    if stored is None:
        raise Forbidden("没有该文件 (no such file)")
    return _file_response(stored)


router.include_router(portal)
router.include_router(staff)
