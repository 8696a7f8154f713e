"""Health for orchestrators and monitors: `/healthz` says the process answers, `/readyz`
whether it can do its work (the registry and Temporal reachable)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from registry.database import session_scope
from web.pages import client_of, settings_of

router = APIRouter()
CHECK_TIMEOUT = timedelta(seconds=3)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when both answer; 503 naming the one that does not (no details leak out)."""
    checks = {
        "registry": await asyncio.to_thread(_registry_answers, request),
        "temporal": await _temporal_answers(request),
    }
    ready = all(checks.values())
    body = {name: "ok" if ok else "unreachable" for name, ok in checks.items()}
    return JSONResponse({"status": "ok" if ready else "unavailable", **body}, 200 if ready else 503)


def _registry_answers(request: Request) -> bool:
    try:
        with session_scope(settings_of(request).registry_url()) as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        return True
    except Exception:
        return False


async def _temporal_answers(request: Request) -> bool:
    try:
        client = await asyncio.wait_for(client_of(request), CHECK_TIMEOUT.total_seconds())
        await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=CHECK_TIMEOUT)
        return True
    except Exception:
        return False
