"""`alliance-admin replay`, the check before new workflow code is deployed: histories
exported from production (files) or read from the server replay against this code, and a
history the code would no longer reproduce is named and fails the command."""

from __future__ import annotations

import json

import pytest

from admin import cli
from domain.settings import PROJECT_ROOT
from tests.web.conftest import start_dev_server
from tests.workflows.test_operator_cli import run

HISTORIES = PROJECT_ROOT / "tests" / "histories"


@pytest.fixture
async def env():
    """The dev server: `--server` lists workflows, which the time-skipping server cannot."""
    env = await start_dev_server()
    yield env
    await env.shutdown()


async def test_saved_histories_replay_and_a_changed_one_is_named(operator_env, tmp_path):
    saved = [HISTORIES / "recognised.json", HISTORIES / "term_full_renewed.json"]
    same = await run(cli.app, "replay", *saved)
    assert same.exit_code == 0, same.output
    assert "已重放 (replayed) 2，一致 (same) 2，不一致 (differ) 0" in same.output

    # what new code that schedules a different first activity would meet in production
    history = json.loads(saved[0].read_text(encoding="utf-8"))
    scheduled = next(
        e for e in history["events"] if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"
    )
    scheduled["activityTaskScheduledEventAttributes"]["activityType"]["name"] = "renamed"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(history), encoding="utf-8")
    differs = await run(cli.app, "replay", saved[1], changed)
    assert differs.exit_code == 1
    assert "不一致 (differs) file:changed" in differs.output
    assert "一致 (same) 1，不一致 (differ) 1" in differs.output


async def test_the_running_workflows_replay_from_the_server(operator_env):
    code = await operator_env.submit()
    await operator_env.track(code)
    replayed = await run(cli.app, "replay", "--server")
    assert replayed.exit_code == 0, replayed.output
    assert "已重放 (replayed) 1，一致 (same) 1" in replayed.output

    neither = await run(cli.app, "replay")
    assert neither.exit_code == 2 and "--server" in neither.output
