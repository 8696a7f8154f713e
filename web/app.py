"""The web console application: staff pages behind a login, public pages without."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError, ProgrammingError
from starlette.middleware.sessions import SessionMiddleware
from temporalio.client import Client

from client.unreachable import unreachable_line
from domain.settings import Settings, get_settings
from observability.request_log import RequestLog
from registry.schema_state import MIGRATE_FIRST, schema_missing
from registry.staff_sessions import SESSION_MAX_AGE
from registry.uploads import DraftNotYours
from web import (
    routes_application,
    routes_auth,
    routes_codec,
    routes_health,
    routes_meeting,
    routes_metrics,
    routes_portal,
    routes_portal_application,
    routes_portal_term,
    routes_print,
    routes_public,
    routes_registry,
    routes_staff,
    routes_users,
)
from web.pages import Forbidden, LoginRequired, render
from web.security import RateLimiter, SecurityHeaders, session_secret

STATIC = __file__.rsplit("/", 1)[0] + "/static"


def create_app(settings: Settings | None = None, client: Client | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.refuse_unsafe_production()
    app = FastAPI(title="鞍山市产业技术创新战略联盟管理系统", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.client = client
    registry = settings.registry_url()  # the limits are counted there, shared by every process
    app.state.login_limiter = RateLimiter(registry, "login", settings.login_attempts_per_minute, 60)
    app.state.login_address_limiter = RateLimiter(
        registry, "login_failure", settings.login_failures_per_address_per_minute, 60
    )
    app.state.objection_limiter = RateLimiter(
        registry, "objection", settings.objections_per_hour, 3600
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie="alliance_session",
        https_only=settings.secure_cookies,
        same_site="lax",
        max_age=int(SESSION_MAX_AGE.total_seconds()),
    )
    app.add_middleware(SecurityHeaders, https=settings.secure_cookies)
    app.add_middleware(RequestLog)  # outermost: its request id is on every line logged
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(routes_health.router)
    app.include_router(routes_metrics.router)
    app.include_router(routes_auth.router)
    app.include_router(routes_public.router)
    app.include_router(routes_registry.router)
    app.include_router(routes_staff.router)
    app.include_router(routes_application.router)
    app.include_router(routes_meeting.router)
    app.include_router(routes_users.router)
    app.include_router(routes_print.router)
    app.include_router(routes_codec.router)
    app.include_router(routes_portal.router)
    app.include_router(routes_portal_application.router)
    app.include_router(routes_portal_term.router)

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _: LoginRequired):
        query = {"next": request.url.path}
        if getattr(request.state, "session_ended", False):
            query["ended"] = "1"
        return RedirectResponse(f"/login?{urlencode(query)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, refused: Forbidden):
        return render(request, "message.html", status_code=403, message=str(refused))

    @app.exception_handler(DraftNotYours)  # a form's request id copied from someone else's
    async def _draft_not_yours(request: Request, _: DraftNotYours):
        message = (
            "这份表单属于他人，请重新打开页面填写 "
            "(this form belongs to someone else: open the page again)"
        )
        return render(request, "message.html", status_code=403, message=message)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, error: HTTPException):
        return render(request, "message.html", status_code=error.status_code, message=error.detail)

    @app.exception_handler(RuntimeError)  # Temporal's client: "Failed client connect"
    async def _temporal_unreachable(request: Request, error: RuntimeError):
        line = unreachable_line(error, settings)
        if line is None:
            raise error
        return render(request, "message.html", status_code=503, message=line)

    @app.exception_handler(OperationalError)
    async def _registry_unreachable(request: Request, error: OperationalError):
        # plain text: the page around a message reads the signed-in user from the registry
        return PlainTextResponse(unreachable_line(error, settings), status_code=503)

    @app.exception_handler(ProgrammingError)  # PostgreSQL: a table not created yet
    async def _registry_not_migrated(request: Request, error: ProgrammingError):
        if not schema_missing(error):
            raise error
        return PlainTextResponse(MIGRATE_FIRST, status_code=503)

    return app
