"""Each inbox item shows the deadline its workflow's own state gives, on the Temporal CLI
dev server, which answers list queries as production does: read from the registry, where
the workflows write it (since 1.2), and for an alliance whose workflow has not written one
(a run begun before 1.2) from one visibility listing (`AllianceNextDeadline`)."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from admin.seed import plan, running, seed_registry, start_workflows
from client.alliances import procedure_state, term_state, workflow_id_for
from domain.procedure import Role
from registry.database import session_scope
from registry.staff_accounts import create_user
from registry.tables import Alliance
from tests.web.conftest import PASSWORD, start_dev_server
from web.pages import beijing_time
from web.staff_queries import listed_deadlines
from workflows.common import NEXT_DEADLINE

N = 41  # every article-9 step, ended terms, active terms, one report awaiting review
ROW = re.compile(r'<a href="/alliances/([^"]+)">[^<]*</a></td>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>')


@pytest.fixture
async def env():
    """Replaces the time-skipping server for this module's `bureau`."""
    env = await start_dev_server()
    yield env
    await env.shutdown()


async def settled_states(bureau, codes: list[str], in_procedure: set[str], seconds: float = 60):
    """Each workflow's state once it has planned its time limit and done its effects."""
    deadline = time.monotonic() + seconds
    while True:
        states = {}
        for code in codes:
            if code in in_procedure:
                state = await procedure_state(bureau.client, code)
                ready = state.clock is not None or state.notice is not None
            else:
                state = await term_state(bureau.client, code)
                ready = state.next_deadline is not None
            outbox = await bureau.settled(code, seconds=0)
            if ready and not outbox.pending:
                states[code] = state
        if len(states) == len(codes) or time.monotonic() > deadline:
            return states
        await asyncio.sleep(0.5)


async def listed_everywhere(bureau, states: dict, seconds: float = 30) -> None:
    """Until visibility lists each running workflow with the deadline it has set."""
    with_deadline = sum(state.next_deadline is not None for state in states.values())
    query = "ExecutionStatus = 'Running' AND AllianceNextDeadline IS NOT NULL"
    deadline = time.monotonic() + seconds
    while (await bureau.client.count_workflows(query)).count < with_deadline:
        assert time.monotonic() < deadline, "visibility never listed the deadlines"
        await asyncio.sleep(0.2)


async def test_each_inbox_deadline_is_the_one_its_workflow_gives(bureau, web_app, as_user):
    url = bureau.settings.registry_url()
    now = datetime.now(UTC)
    seed_registry(url, N, now, lambda _: None)
    seeds = running(list(plan(N, now)))
    in_procedure = {s.code for s in seeds if s.in_procedure}
    assert await start_workflows(bureau.settings, N, now, say=lambda _: None, client=bureau.client)
    states = await settled_states(bureau, [s.code for s in seeds], in_procedure)
    assert len(states) == len(seeds)
    await listed_everywhere(bureau, states)
    # What the workflow's state says the person must act by (the inbox used to ask each).
    expected = {
        code: (state.clock.deadline if state.clock else None)
        if code in in_procedure
        else state.next_deadline
        for code, state in states.items()
    }
    # The listing alone holds every workflow's AllianceNextDeadline, read as the SDK reads
    # it (no workflow needs asking on this server).
    described = {
        code: (
            await bureau.client.get_workflow_handle(workflow_id_for(code)).describe()
        ).typed_search_attributes.get(NEXT_DEADLINE)
        for code in expected
    }
    assert await listed_deadlines(bureau.client, set(expected)) == described
    districts = {seed.application.district for seed in seeds if seed.in_procedure}
    reviewers = [f"reviewer{k}" for k, _ in enumerate(districts)]
    for username, district in zip(reviewers, districts, strict=True):
        create_user(url, username, "区审查员", PASSWORD, Role.DISTRICT_REVIEWER, district)

    async def inbox_deadlines() -> dict[str, str]:
        shown: dict[str, str] = {}
        for username in ("staff", "expert", "clerk", *reviewers):
            page = (await (await as_user(username)).get("/inbox")).text
            shown |= dict(ROW.findall(page.split('id="done"')[0]))
        return shown

    shown = await inbox_deadlines()
    # Steps and a report to review: district review, expert review, the meeting, the
    # approval document, and the 2025 annual report of the alliance in term.
    assert len(shown) >= 5
    assert any(code not in in_procedure for code in shown), "a term's item is listed"
    for code, text in shown.items():
        assert text == beijing_time(expected[code]), code
    assert sum(text != "—" for text in shown.values()) >= 4
    with session_scope(url) as session:
        assert all(session.get(Alliance, code).deadline_as_of for code in shown)

    # As a run begun before 1.2 leaves the registry: no limit written. The listing gives
    # the same deadlines.
    with session_scope(url) as session:
        session.exec(update(Alliance).values(next_deadline=None, deadline_as_of=None))
    assert await inbox_deadlines() == shown
