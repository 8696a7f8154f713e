"""/metrics of the web console as Prometheus reads it: the system's counters come from the
registry at each scrape, so they move when a notice is sent or an action recorded."""

from __future__ import annotations

from tests.web.conftest import browser
from tests.workflows.conftest import bureau_each_db  # noqa: F401
from web.app import create_app


async def test_metrics_count_the_sent_receipt_and_the_application_once_recorded(
    bureau_each_db,  # noqa: F811
):
    bureau = bureau_each_db
    async with browser(create_app(bureau.settings, client=bureau.client)) as prometheus:
        before = await prometheus.get("/metrics")
        code = await bureau.submit()
        await bureau.wait_for_mail("application_received")
        await bureau.settled(code)
        after = (await prometheus.get("/metrics")).text

    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'alliance_metrics_source_up{source="registry"} 1.0' in before.text
    assert "alliance_notices{" not in before.text
    assert "alliance_actions_total{" not in before.text
    assert 'alliance_notices{purpose="application_received",status="sent"} 1.0' in after
    assert 'alliance_actions_total{action="submitted",role="applicant"} 1.0' in after
    assert "process_cpu_seconds_total" in after
