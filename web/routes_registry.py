"""Staff views over the registry: dashboard, alliance list and Excel export, the yearly
innovation resource statistics export, holiday years."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from client.alliances import announce_calendar_loaded
from domain.districts import DISTRICT_ZH
from domain.procedure import Role
from registry.calendar_store import CalendarFileInvalid, load_year_file
from registry.tables import StaffUser
from web import registry_queries as queries
from web.export import XLSX, alliances_workbook, content_disposition, statistics_workbook
from web.pages import Forbidden, client_of, current_user, render, settings_of, today
from web.security import check_csrf

router = APIRouter()

MAX_CALENDAR_BYTES = 256 * 1024  # a year's schedule is a few hundred bytes
CALENDAR_SUFFIXES = (".yaml", ".yml", ".json")


async def _view(request: Request, user: StaffUser) -> queries.RegistryView:
    settings = settings_of(request)
    return queries.view_for(
        settings.registry_url(), user, await today(request), settings.term_rules
    )


def _filters(
    status: str = "",
    district: str = "",
    year: str = "",
    overdue: str = "",
    q: str = "",
    sort: str = "",
    page: str = "",
) -> queries.AllianceFilter:
    try:
        return queries.read_filter(status, district, year, overdue, q, sort, page)
    except queries.FilterInvalid as invalid:
        raise HTTPException(status_code=400, detail=str(invalid)) from invalid


@router.get("/")
async def dashboard_page(request: Request, user: StaffUser = Depends(current_user)):
    view = await _view(request, user)
    return render(
        request,
        "dashboard.html",
        board=queries.dashboard(view),
        today=view.today,
        may_load_calendar=may_load_calendar(user),
    )


@router.get("/statistics.xlsx")
async def statistics_export(request: Request, user: StaffUser = Depends(current_user)):
    """联盟年度创新资源统计 per year, as the bureau reports it to the province."""
    view = await _view(request, user)
    return Response(
        statistics_workbook(queries.resource_statistics(view), view.district, view.today),
        media_type=XLSX,
        headers={
            "Content-Disposition": content_disposition(view.today, "创新资源统计", "statistics")
        },
    )


@router.get("/alliances")
async def alliance_list(
    request: Request,
    user: StaffUser = Depends(current_user),
    filters: queries.AllianceFilter = Depends(_filters),
):
    view = await _view(request, user)
    return render(
        request,
        "alliances.html",
        listing=queries.alliance_page(view, filters),
        filters=filters,
        statuses=queries.STATUS_ORDER,
        districts=None if view.district else DISTRICT_ZH,
    )


@router.get("/alliances.xlsx")
async def alliance_export(
    request: Request,
    user: StaffUser = Depends(current_user),
    filters: queries.AllianceFilter = Depends(_filters),
):
    view = await _view(request, user)
    return Response(
        alliances_workbook(queries.find_alliances(view, filters)),
        media_type=XLSX,
        headers={"Content-Disposition": content_disposition(view.today)},
    )


def may_load_calendar(user: StaffUser) -> bool:
    return user.role == Role.ADMINISTRATOR.value


def _administrator_only(user: StaffUser) -> None:
    if not may_load_calendar(user):
        raise Forbidden("只有系统管理员可以管理节假日安排 (administrators only)")


def _calendar(request: Request, status_code: int = 200, **context):
    years = queries.calendar_years(settings_of(request).registry_url())
    return render(request, "calendar.html", status_code=status_code, years=years, **context)


@router.get("/calendar")
def calendar_page(request: Request, user: StaffUser = Depends(current_user)):
    _administrator_only(user)
    return _calendar(request)


@router.post("/calendar")
async def calendar_upload(
    request: Request,
    user: StaffUser = Depends(current_user),
    file: UploadFile | None = File(None),
    csrf: str = Form(""),
):
    """Load one year's holiday file; procedures waiting for a year then re-check."""
    _administrator_only(user)
    check_csrf(request, csrf)
    url = settings_of(request).registry_url()
    # Only the base name, in plain characters: it becomes a file name on this host.
    name = re.sub(r"[^\w.\-]", "_", Path(file.filename or "").name) if file else ""
    if not name:
        return _calendar(request, 400, problems=["请选择节假日文件 (choose a holiday file)"])
    if Path(name).suffix.lower() not in CALENDAR_SUFFIXES:
        return _calendar(
            request, 400, problems=[f"{name}: 只接受 .yaml、.yml 或 .json 文件 (YAML or JSON only)"]
        )
    content = await file.read(MAX_CALENDAR_BYTES + 1)
    if len(content) > MAX_CALENDAR_BYTES:
        return _calendar(request, 400, problems=[f"{name}: 文件过大 (file too large)"])
    try:
        year = await run_in_threadpool(_load_calendar_file, url, name, content)
    except CalendarFileInvalid as invalid:
        return _calendar(request, 400, problems=invalid.problems, filename=name)
    codes = await run_in_threadpool(queries.open_procedure_codes, url)
    woken = await announce_calendar_loaded(await client_of(request), codes) if codes else 0
    return _calendar(request, loaded_year=year, woken=woken)


def _load_calendar_file(url: str, name: str, content: bytes) -> int:
    # Kept under its own name: a file without `source` is recorded as "file <name>".
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        return load_year_file(url, path)
