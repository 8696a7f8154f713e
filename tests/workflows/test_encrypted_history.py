"""With payload keys, Temporal's stored history holds no contact email, name or phone in
clear, while the bureau's own client and worker read everything as before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from temporalio.api.history.v1 import History
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from admin import simulation
from client.alliances import ProcedureActionFailed, pending_attempt, workflow_id_for
from client.payload_codec import data_converter, new_key_line, parse_keys
from domain.procedure import Stage
from local_stack import SEARCH_ATTRIBUTES
from tests.support.calendars import prepare_calendar
from tests.support.smtp_fixture import settings_for, smtp_server  # noqa: F401
from tests.support.temporal import Bureau, expert_review, sample_application
from worker import build_worker

KEYS = parse_keys([("test", new_key_line("2026-a"))])


def personal_data() -> list[str]:
    """The contact people's names, emails and phones of the sample application."""
    contacts = sample_application().contacts
    return [value for c in contacts for value in (c.name, c.email, c.phone)]


@asynccontextmanager
async def bureau_with(keys, smtp, url, tmp_path) -> AsyncIterator[Bureau]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(keys), test_server_existing_path=simulation.test_server_path()
    )
    try:
        await simulation.register_search_attributes(env.client, SEARCH_ATTRIBUTES)
        settings = settings_for(smtp, url, tmp_path)
        prepare_calendar(url)
        async with build_worker(env.client, settings):
            yield Bureau(env=env, settings=settings, smtp=smtp)
    finally:
        await env.shutdown()


async def stored_history(bureau: Bureau, code: str) -> bytes:
    """The history as the server keeps it, read by a client that has no keys."""
    raw = Client(bureau.client.service_client, data_converter=pydantic_data_converter)
    history = await raw.get_workflow_handle(workflow_id_for(code)).fetch_history()
    return History(events=history.events).SerializeToString()


async def submitted(bureau: Bureau) -> str:
    """The sample submitted and its receipt mailed: personal data has gone into workflow
    input, state and activity arguments."""
    code = await bureau.submit()
    await bureau.wait_for_mail("application_received")
    await bureau.wait_for_mail("action_requested")
    return code


@pytest.mark.parametrize("keys, in_clear", [(KEYS, False), ({}, True)], ids=["keys", "no-keys"])
async def test_history_holds_personal_data_in_clear_only_without_keys(
    keys,
    in_clear,
    sqlite_url,
    smtp_server,  # noqa: F811
    tmp_path,
):
    async with bureau_with(keys, smtp_server, sqlite_url, tmp_path) as bureau:
        code = await submitted(bureau)
        stored = await stored_history(bureau, code)
        found = [value for value in personal_data() if value.encode() in stored]
        assert found == (personal_data() if in_clear else [])

        # the bureau's client reads it all back
        state = await bureau.state(code)
        assert [c.email for c in state.application.contacts] == [
            c.email for c in sample_application().contacts
        ]
        assert state.stage == Stage.DISTRICT_REVIEW


async def test_refusals_reach_staff_in_both_languages_with_keys(
    sqlite_url,
    smtp_server,  # noqa: F811
    tmp_path,
):
    async with bureau_with(KEYS, smtp_server, sqlite_url, tmp_path) as bureau:
        code = await submitted(bureau)
        with pytest.raises(ProcedureActionFailed) as refused:
            await bureau.act(code, "expert_review", expert_review(True))  # still district review
        assert "Encoded failure" not in str(refused.value)
        assert refused.value.zh != refused.value.en  # the refusal's details were decoded
        assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.zh)


async def test_retried_send_shows_its_error_with_keys(
    sqlite_url,
    smtp_server,  # noqa: F811
    tmp_path,
):
    """The alliance page and `alliance-admin show` print the retried effect's last error,
    which travels encrypted like the payloads."""
    async with bureau_with(KEYS, smtp_server, sqlite_url, tmp_path) as bureau:
        bureau.smtp.stop()
        code = await bureau.submit()
        attempt = None
        for _ in range(100):
            attempt = await pending_attempt(bureau.client, code)
            if attempt is not None:
                break
            await asyncio.sleep(0.05)
        assert attempt is not None
        assert "Encoded failure" not in attempt[1] and "connect" in attempt[1].lower()
        bureau.smtp.start()
