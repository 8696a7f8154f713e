"""Saved histories replay against the current workflow code without non-determinism.

Regenerate after an intended, patched change with:
    ALLIANCE_RECORD_HISTORIES=1 .venv/bin/python -m pytest tests/workflows
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from client.payload_codec import data_converter, new_key_line, parse_keys
from worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
EXPECTED = {
    "recognised",
    "returned_and_resubmitted",
    "rejected_at_district_review",
    "rejected_at_expert_review",
    "rejected_at_director_meeting",
    "objection_upheld",
    "objection_dismissed_after_window",
    "objection_late_refused",
    "approval_recorded_after_holiday",
    "approval_numbered_by_system",
    "calendar_missing_then_loaded",
    "district_review_overrun",
    "withdrawn",
    "duplicate_request",
    "term_full_renewed",
    "term_late_report",
    "term_rectification_passed",
    "term_rectification_failed_revoked",
    "term_expired",
}


def test_every_procedure_path_has_a_saved_history():
    assert {p.stem for p in HISTORIES} >= EXPECTED


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_saved_history_replays_on_current_code(path):
    history = WorkflowHistory.from_json(f"alliance-{path.stem}", path.read_text(encoding="utf-8"))
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_saved_history_replays_with_payload_encryption_on(path):
    """Histories written before the keys were set (all the saved ones) still replay on a
    worker whose converter has the payload codec: plain payloads pass through it."""
    history = WorkflowHistory.from_json(f"alliance-{path.stem}", path.read_text(encoding="utf-8"))
    converter = data_converter(parse_keys([("test", new_key_line("replay"))]))
    replayer = Replayer(workflows=WORKFLOWS, data_converter=converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
