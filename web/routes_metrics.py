"""/metrics for Prometheus: the system's counters (notices by status, actions by kind,
open incidents), read from the registry and Temporal at each scrape so that every web
process reports the same numbers, and this process's own.

Open like /healthz: Prometheus scrapes without a session. Nothing personal is in it
(purposes, statuses, actions and roles only); compose publishes the port on 127.0.0.1."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from observability.metrics import CONTENT_TYPE, exposition, system_metrics
from web.pages import settings_of
from web.routes_health import client_within_timeout

router = APIRouter()


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    reading = await system_metrics(
        settings_of(request).registry_url(), await client_within_timeout(request)
    )
    return Response(exposition(reading), media_type=CONTENT_TYPE)
