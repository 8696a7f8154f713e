"""/healthz answers while the process runs; /readyz says whether the registry and Temporal
answer, naming the one that does not."""

from __future__ import annotations

from tests.web.conftest import browser
from web.app import create_app


async def test_ready_when_registry_and_temporal_answer(bureau, web_app):
    async with browser(web_app) as monitor:
        assert (await monitor.get("/healthz")).json() == {"status": "ok"}
        ready = await monitor.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "registry": "ok", "temporal": "ok"}


async def test_not_ready_says_which_service_does_not_answer(bureau):
    down = bureau.settings.model_copy(update={"temporal_address": "127.0.0.1:1"})
    async with browser(create_app(down, client=None)) as monitor:
        assert (await monitor.get("/healthz")).status_code == 200
        ready = await monitor.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "registry": "ok", "temporal": "unreachable"}
