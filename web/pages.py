"""What every page shares: templates, language, the signed-in user, the Temporal client."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from temporalio.client import Client

from client.actions import CATALOGUE
from client.alliances import ProcedureActionFailed
from client.connection import connect
from client.unreachable import unreachable_line
from domain.application import MATERIAL_KIND_ZH, MEMBER_KIND_ZH, MemberKind, MemberRole
from domain.districts import district_zh
from domain.effects import INCIDENT_STATUS_ZH, Effect, IncidentStatus
from domain.labels import event_words, milestone_words, words
from domain.notices import DELIVERY_STATUS_ZH, DeliveryStatus
from domain.procedure import status_zh
from domain.report_statistics import FIGURES, figures_shown
from domain.settings import PROJECT_ROOT, Settings
from domain.shanghai_time import SHANGHAI, local_date
from domain.term import REVOCATION_GROUND_EN, REVOCATION_GROUND_ZH, STAFF_REVOCATION_GROUNDS
from registry.staff_sessions import TOKEN, session_user
from registry.tables import StaffUser
from web.security import csrf_token

DELIVERY_STATUS_EN = {
    DeliveryStatus.SENDING: "sending",
    DeliveryStatus.SENT: "sent",
    DeliveryStatus.ALREADY_SENT: "sent",
    DeliveryStatus.PARTLY_FAILED: "refused by some recipients",
    DeliveryStatus.FAILED: "not delivered",
}
INCIDENT_STATUS_EN = {IncidentStatus.OPEN: "open", IncidentStatus.RETRIED: "re-queued"}


def _labels(zh: dict, en: dict):
    """(zh, en) of a status for `t(*label(value))`; an unknown value shows as it is."""
    return lambda value: (zh.get(value, value), en.get(value, value))


def effect_summary(effect: Effect) -> tuple[str, str]:
    """(zh, en) of what an effect does; the zh is the operator command's summary."""
    return effect.summary(), effect.summary_en()


templates = Jinja2Templates(directory=str(PROJECT_ROOT / "templates" / "web"))
templates.env.globals.update(
    status_zh=status_zh,
    district_zh=district_zh,
    member_kind_zh=lambda kind: MEMBER_KIND_ZH.get(kind, kind),
    material_kind_zh=lambda kind: MATERIAL_KIND_ZH.get(kind, kind),
    delivery_status=_labels(DELIVERY_STATUS_ZH, DELIVERY_STATUS_EN),
    incident_status=_labels(INCIDENT_STATUS_ZH, INCIDENT_STATUS_EN),
    effect_summary=effect_summary,
    statistics_figures=FIGURES,
    catalogue=CATALOGUE,
    words=words,
    event_words=event_words,
    milestone_words=milestone_words,
    member_kinds=[kind.value for kind in MemberKind],
    member_roles=[(role.value, *words("member_role", role)) for role in MemberRole],
    report_figures=figures_shown,
    revocation_grounds=[
        (g.value, REVOCATION_GROUND_ZH[g], REVOCATION_GROUND_EN[g])
        for g in STAFF_REVOCATION_GROUNDS
    ],
)


def said(request: Request, refusal: Exception) -> str:
    """A refusal in the page's language, when it keeps its Chinese and English apart."""
    zh, en = getattr(refusal, "zh", str(refusal)), getattr(refusal, "en", str(refusal))
    return en if language(request) == "en" else zh


def query_with(request: Request, **changes: object) -> str:
    """The request's query string with some parameters replaced (sorting, paging links)."""
    params = dict(request.query_params) | {key: str(value) for key, value in changes.items()}
    return urlencode(params)


templates.env.globals["query_with"] = query_with


def beijing_time(moment: datetime | None) -> str:
    """Times are stored in UTC; people read Beijing time."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else "—"


templates.env.filters["bj"] = beijing_time
LANGUAGES = ("zh-CN", "en")


class LoginRequired(Exception):
    """The page needs a signed-in user; the app redirects to the login page."""


class Forbidden(Exception):
    """The signed-in user's role or district may not see or do this."""


def language(request: Request) -> str:
    lang = request.cookies.get("lang", "zh-CN")
    return lang if lang in LANGUAGES else "zh-CN"


async def today(request: Request) -> date:
    """Today in Beijing. Tests on simulated time set `app.state.clock` (a plain or async
    callable returning an aware datetime), so pages and workflows agree on the date."""
    clock = getattr(request.app.state, "clock", None)
    now = clock() if clock is not None else datetime.now(SHANGHAI)
    if inspect.isawaitable(now):
        now = await now
    return local_date(now)


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


async def client_of(request: Request) -> Client:
    if request.app.state.client is None:
        telemetry = getattr(request.app.state, "telemetry", None)  # set by `alliance web`
        traced = (
            {"runtime": telemetry.runtime, "interceptors": telemetry.interceptors}
            if telemetry
            else {}
        )
        request.app.state.client = await connect(settings_of(request), **traced)
    return request.app.state.client


async def workflow_client(request: Request) -> Client:
    """`client_of` for pages that show the registry whatever Temporal's state: a server
    that cannot be reached is a `ProcedureActionFailed` saying so, shown as a notice."""
    try:
        return await client_of(request)
    except RuntimeError as error:
        line = unreachable_line(error, settings_of(request))
        if line is None:
            raise
        raise ProcedureActionFailed(line) from error


def idle_timeout(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.session_idle_minutes)


def signed_in(request: Request) -> StaffUser | None:
    """The user of the request's live session, read once per request. A session that has
    ended (signed out, idled out, account disabled) is dropped from the cookie and noted
    on `request.state.session_ended`, so the sign-in page can say why."""
    if hasattr(request.state, "user"):
        return request.state.user
    user = None
    token = request.session.get(TOKEN)
    if token:
        settings = settings_of(request)
        user = session_user(
            settings.registry_url(), token, idle_timeout(settings), datetime.now(UTC)
        )
        if user is None:
            del request.session[TOKEN]
            request.state.session_ended = True
    request.state.user = user
    return user


def current_user(request: Request) -> StaffUser:
    """FastAPI dependency: the signed-in user, or a redirect to the login page."""
    user = signed_in(request)
    if user is None:
        raise LoginRequired()
    return user


def render(request: Request, template: str, status_code: int = 200, **context):
    lang = language(request)
    user = signed_in(request)
    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": (lambda zh, en: en if lang == "en" else zh),
            "user": user,
            "role_name": words("role", user.role)[lang == "en"] if user else "",
            "csrf": csrf_token(request),
            **context,
        },
        status_code=status_code,
    )
