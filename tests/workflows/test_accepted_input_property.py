"""Whatever the door accepts, the workflow stores and reads back, on PostgreSQL, without
getting stuck: random unicode names and texts that pass the input rules are submitted,
acted on and found in the registry exactly as typed (NFC), with no incident.

The system (time-skipping Temporal, worker, SMTP, a PostgreSQL registry) runs on an event
loop of its own in a thread, so each hypothesis example is a plain function call.
"""

from __future__ import annotations

import asyncio
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlmodel import select

from domain.application import Application
from domain.credit_code import complete_code
from domain.procedure import Actor, Role, Stage, Withdrawal
from registry.database import session_scope
from registry.tables import Alliance, AuditEntry
from tests.support.calendars import prepare_calendar
from tests.support.databases import postgres_registry
from tests.support.smtp_fixture import settings_for
from tests.support.smtp_server import RecordingSmtpServer
from tests.support.temporal import Bureau, new_id, sample_application, start_time_skipping
from worker import build_worker

TEXT = st.text(
    st.characters(categories=["L", "M", "N", "P", "S", "Zs"], exclude_characters="\u2028\u2029"),
    min_size=1,
    max_size=60,
)


class SystemInThread:
    """The whole system on a loop of its own; `call` runs a coroutine there and waits."""

    def __init__(self, url: str, folder: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.smtp = RecordingSmtpServer().start()
        self.settings = settings_for(self.smtp, url, folder)
        prepare_calendar(url)
        self.bureau: Bureau = self.call(self._start())

    def call(self, coroutine, seconds: float = 60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(seconds)

    async def _start(self) -> Bureau:
        self.env = await start_time_skipping()
        self.worker = build_worker(self.env.client, self.settings)
        await self.worker.__aenter__()
        return Bureau(env=self.env, settings=self.settings, smtp=self.smtp)

    async def _stop(self) -> None:
        await self.worker.__aexit__(None, None, None)
        await self.env.shutdown()

    def close(self) -> None:
        self.call(self._stop())
        self.smtp.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def system(tmp_path_factory) -> Iterator[SystemInThread]:
    with postgres_registry() as url:
        running = SystemInThread(url, tmp_path_factory.mktemp("accepted-input"))
        try:
            yield running
        finally:
            running.close()


def _application(name: str, goals: str, serial: int) -> Application | None:
    """The sample under another name and lead code; None when the door refuses it."""
    data = sample_application().model_dump()
    data["alliance_name"] = name
    data["innovation_goals"] = goals
    lead = data["members"][0]
    lead["credit_code"] = _credit_code(serial)
    data["lead_unit"] = lead["name"]
    try:
        return Application.model_validate(data)
    except ValidationError as refused:
        fields = {".".join(str(p) for p in e["loc"]) for e in refused.errors()}
        assert fields <= {"alliance_name", "innovation_goals"}, fields
        return None


def _credit_code(serial: int) -> str:
    return complete_code(f"91210300MA{serial:07d}")


SERIAL = iter(range(1, 10_000))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=TEXT, goals=TEXT)
def test_accepted_text_is_stored_as_typed_and_the_procedure_goes_on(system, name, goals):
    application = _application(name, goals, next(SERIAL))
    if application is None:
        return  # refused at the door with the field named: nothing reached Temporal
    bureau = system.bureau

    async def submit_then_withdraw():
        code = await bureau.submit(application)
        withdrawn = await bureau.act(
            code,
            "withdraw",
            Withdrawal(
                request_id=new_id(),
                actor=Actor(name=application.lead_unit, role=Role.APPLICANT),
                reason=goals,
            ),
        )
        return code, withdrawn, await bureau.settled(code)

    code, withdrawn, outbox = system.call(submit_then_withdraw())

    assert withdrawn.stage == Stage.WITHDRAWN
    assert outbox.pending == [] and outbox.incidents == []
    with session_scope(system.settings.registry_url()) as session:
        stored = session.get(Alliance, code)
        reasons = session.exec(
            select(AuditEntry.reason).where(
                AuditEntry.alliance_code == code, AuditEntry.action == "district_review.withdraw"
            )
        ).all()
    assert stored is not None and stored.name == unicodedata.normalize("NFC", name)
    assert stored.status == Stage.WITHDRAWN
    assert reasons == [unicodedata.normalize("NFC", goals)]
