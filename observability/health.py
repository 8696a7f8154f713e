"""The readiness checks the web console and the worker share: does the registry answer a
query, does Temporal answer a call. Each says yes or no; the reason stays in the debug log
(it may hold a host name or a user)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import text
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from registry.database import session_scope

log = logging.getLogger("health")
CHECK_TIMEOUT = timedelta(seconds=3)


def registry_answers(url: str) -> bool:
    try:
        with session_scope(url) as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        return True
    except Exception:
        log.debug("the registry does not answer", exc_info=True)
        return False


async def temporal_answers(client: Client | None) -> bool:
    if client is None:
        return False
    try:
        await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=CHECK_TIMEOUT)
        return True
    except Exception:
        log.debug("Temporal does not answer", exc_info=True)
        return False


def ready_answer(states: dict[str, str]) -> tuple[int, dict[str, str]]:
    """The HTTP status and body of /readyz: 200 when every part is "ok", else 503 with
    each part's state, so the one that is down is named."""
    ready = all(state == "ok" for state in states.values())
    return (200 if ready else 503), {"status": "ok" if ready else "unavailable", **states}


def reachable(answers: bool) -> str:
    return "ok" if answers else "unreachable"
