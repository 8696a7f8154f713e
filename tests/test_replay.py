"""Saved histories replay against the current workflow code without non-determinism.

`tests/histories/*.json` are release 1.0.0's and are never regenerated: workflows begun
on 1.0.0 must go on under any later code (each command-changing edit is guarded with
`workflow.patched`). `tests/histories/1.1/` holds the same paths recorded on the code
with the `fewer-actions` patch alone, `1.2/` on the code with `deadlines-in-registry` too;
record the newest again after an intended, patched change:
    ALLIANCE_RECORD_HISTORIES=1 .venv/bin/python -m pytest tests/workflows
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from client.payload_codec import data_converter, new_key_line, parse_keys
from worker import WORKFLOWS

SAVED = Path(__file__).parent / "histories"
RELEASED = sorted(SAVED.glob("*.json"))  # 1.0.0
FEWER_ACTIONS_ONLY = sorted((SAVED / "1.1").glob("*.json"))
RECORDED_NOW = sorted((SAVED / "1.2").glob("*.json"))
HISTORIES = RELEASED + FEWER_ACTIONS_ONLY + RECORDED_NOW
IDS = [str(p.relative_to(SAVED).with_suffix("")) for p in HISTORIES]
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


def test_every_procedure_path_has_a_saved_history_from_1_0_0_and_from_now():
    assert {p.stem for p in RELEASED} >= EXPECTED
    assert {p.stem for p in FEWER_ACTIONS_ONLY} >= EXPECTED
    assert {p.stem for p in RECORDED_NOW} >= EXPECTED


def _patches(path: Path) -> set[str]:
    """The ids of the `workflow.patched` markers in a saved history."""
    history = json.loads(path.read_text(encoding="utf-8"))
    return {
        json.loads(base64.b64decode(payload["data"]))["id"]
        for e in history["events"]
        if e["eventType"] == "EVENT_TYPE_MARKER_RECORDED"
        for payload in e["markerRecordedEventAttributes"]["details"]["patch-data"]["payloads"]
    }


def test_every_side_of_each_patch_is_replayed():
    """The 1.0.0 histories take the old commands, 1.1's the `fewer-actions` ones, the
    recorded ones (1.2) `deadlines-in-registry` too: replaying all three proves each side
    of both `workflow.patched` calls."""
    between = [p for p in FEWER_ACTIONS_ONLY if p.stem != "calendar_watch"]
    alliance = [p for p in RECORDED_NOW if p.stem != "calendar_watch"]
    assert all(not _patches(p) for p in RELEASED)
    assert between and all(_patches(p) == {"fewer-actions"} for p in between)
    assert alliance and all(
        _patches(p) == {"fewer-actions", "deadlines-in-registry"} for p in alliance
    )


@pytest.mark.parametrize("path", HISTORIES, ids=IDS)
async def test_saved_history_replays_on_current_code(path):
    history = WorkflowHistory.from_json(f"alliance-{path.stem}", path.read_text(encoding="utf-8"))
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


@pytest.mark.parametrize("path", HISTORIES, ids=IDS)
async def test_saved_history_replays_with_payload_encryption_on(path):
    """Histories written before the keys were set (all the saved ones) still replay on a
    worker whose converter has the payload codec: plain payloads pass through it."""
    history = WorkflowHistory.from_json(f"alliance-{path.stem}", path.read_text(encoding="utf-8"))
    converter = data_converter(parse_keys([("test", new_key_line("replay"))]))
    replayer = Replayer(workflows=WORKFLOWS, data_converter=converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
