"""Health for orchestrators and monitors: `/healthz` says the process answers, `/readyz`
whether it can do its work (the registry and Temporal reachable)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from temporalio.client import Client

from observability.health import (
    CHECK_TIMEOUT,
    reachable,
    ready_answer,
    registry_answers,
    temporal_answers,
)
from web.pages import client_of, settings_of

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when both answer; 503 naming the one that does not (no details leak out)."""
    registry = await asyncio.to_thread(registry_answers, settings_of(request).registry_url())
    temporal = await temporal_answers(await client_within_timeout(request))
    status, body = ready_answer({"registry": reachable(registry), "temporal": reachable(temporal)})
    return JSONResponse(body, status)


async def client_within_timeout(request: Request) -> Client | None:
    """The console's Temporal client, connecting now if it has not yet; None when that
    does not succeed within the check's time."""
    try:
        return await asyncio.wait_for(client_of(request), CHECK_TIMEOUT.total_seconds())
    except Exception:
        return None
