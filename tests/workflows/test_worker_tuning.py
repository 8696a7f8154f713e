"""Worker tuning from the settings: what the operator sets is what the worker runs with
(and says so at start); a 0 leaves the SDK's default."""

from __future__ import annotations

import logging

from temporalio.worker import PollerBehaviorSimpleMaximum
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from tests.support.calendars import prepare_calendar
from tests.support.smtp_fixture import settings_for
from tests.support.temporal import Bureau
from worker import build_worker


async def test_a_worker_with_no_workflow_cache_and_one_of_each_still_sends_the_receipt(
    env, sqlite_url, smtp_server, tmp_path, caplog
):
    settings = settings_for(smtp_server, sqlite_url, tmp_path).model_copy(
        update={
            "worker_max_cached_workflows": 0,  # every workflow task replays its history
            "worker_max_concurrent_workflow_tasks": 1,
            "worker_max_concurrent_activities": 1,
            "worker_workflow_task_pollers": 1,
            "worker_activity_task_pollers": 1,
        }
    )
    prepare_calendar(sqlite_url)
    with caplog.at_level(logging.INFO, logger="worker"):
        worker = build_worker(env.client, settings)
    config = worker.config()
    assert config.get("max_cached_workflows") == 0
    assert config.get("max_concurrent_workflow_tasks") == 1
    assert config.get("max_concurrent_activities") == 1
    assert config.get("workflow_task_poller_behavior") == PollerBehaviorSimpleMaximum(1)
    assert config.get("activity_task_poller_behavior") == PollerBehaviorSimpleMaximum(1)
    assert (
        "worker tuning: workflow tasks at once 1, activities at once 1, cached workflows 0, "
        "workflow task pollers 1, activity task pollers 1"
    ) in caplog.text

    async with worker:
        bureau = Bureau(env=env, settings=settings, smtp=smtp_server)
        await bureau.submit()
        assert await bureau.wait_for_mail("application_received")


async def test_zero_leaves_the_sdk_default_and_the_log_says_so(
    env, sqlite_url, smtp_server, tmp_path, caplog
):
    settings = settings_for(smtp_server, sqlite_url, tmp_path)
    with caplog.at_level(logging.INFO, logger="worker"):
        config = build_worker(env.client, settings).config()
    assert config.get("max_concurrent_activities") is None  # the SDK's 100 slots
    assert config.get("max_concurrent_workflow_tasks") is None
    assert config.get("max_cached_workflows") == 10000  # every alliance of a city
    assert "activities at once SDK default" in caplog.text


async def test_the_workflow_sandbox_takes_the_project_modules_from_the_worker(
    env, sqlite_url, smtp_server, tmp_path
):
    """A workflow run (re)created after leaving the cache does not import workflows/ and
    domain/ again: the sandbox passes them through; the SDK's restrictions stay."""
    settings = settings_for(smtp_server, sqlite_url, tmp_path)
    runner = build_worker(env.client, settings).config().get("workflow_runner")
    assert isinstance(runner, SandboxedWorkflowRunner)
    passed = runner.restrictions.passthrough_modules
    assert {"workflows", "domain"} <= passed
    assert SandboxRestrictions.default.passthrough_modules <= passed
    assert runner.restrictions.invalid_module_members == (
        SandboxRestrictions.default.invalid_module_members
    )
