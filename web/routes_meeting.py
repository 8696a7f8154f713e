"""局长办公会: the clerk records one office meeting (number, date) for several applications at
once, each with its own decision and reasons, checks the summary, then sends them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from client.actions import CATALOGUE, StaffAction
from client.alliances import ProcedureActionFailed, act
from domain.procedure import Role, Stage
from registry.tables import Alliance, StaffUser
from web import staff_queries
from web.action_summary import summary
from web.forms import FormInvalid, parse_meeting
from web.pages import Forbidden, client_of, current_user, render, said, settings_of
from web.security import check_csrf

router = APIRouter()
MEETING = CATALOGUE[StaffAction.MEETING_DECISION]


def _waiting(request: Request, user: StaffUser) -> list[Alliance]:
    if Role(user.role) not in MEETING.roles:
        raise Forbidden("只有局长办公会记录人员和市科技局工作人员可以录入 (clerk or bureau staff)")
    return staff_queries.alliances_at(
        settings_of(request).registry_url(), user, Stage.DIRECTOR_MEETING
    )


@router.get("/meetings/new")
def meeting_form(request: Request, user: StaffUser = Depends(current_user)):
    return render(request, "meeting.html", alliances=_waiting(request, user), entered={})


@router.post("/meetings")
async def record_meeting(request: Request, user: StaffUser = Depends(current_user)):
    """Check every decision; show what will be recorded; on confirmation send each one."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form.get("csrf"))
    alliances = _waiting(request, user)
    names = {a.code: a.name for a in alliances}
    try:
        items = parse_meeting(form, list(names), user)
    except FormInvalid as refused:
        return render(
            request,
            "meeting.html",
            status_code=400,
            alliances=alliances,
            entered=form,
            error=said(request, refused),
        )
    if form.get("confirmed") != "1":
        entered = {k: v for k, v in form.items() if k not in ("csrf", "confirmed")}
        lines = [(item, names[item.code], summary(item.decision)) for item in items]
        return render(request, "meeting_confirm.html", items=lines, entered=entered)
    client = await client_of(request)
    outcomes = []
    for item in items:
        try:
            await act(client, item.code, StaffAction.MEETING_DECISION, item.decision)
            outcomes.append((item.code, names[item.code], True, item.decision.request_id))
        except ProcedureActionFailed as failed:
            outcomes.append((item.code, names[item.code], False, said(request, failed)))
    return render(request, "meeting_done.html", outcomes=outcomes)
