"""Before new workflow code is deployed: replay histories against it and say which would
fail (non-determinism). From saved JSON files (`temporal workflow show -w ID -o json`) or
straight from the server, as the operations guide's upgrade step does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from workflows.calendar_watch import CalendarWatchWorkflow
from workflows.recognition import RecognitionWorkflow
from workflows.term import TermWorkflow

WORKFLOWS = [RecognitionWorkflow, TermWorkflow, CalendarWatchWorkflow]


@dataclass(frozen=True)
class Replayed:
    workflow_id: str
    source: str  # the file, or "server"
    failure: str  # empty: replayed without a difference


def _replayer(data_converter: DataConverter) -> Replayer:
    return Replayer(workflows=WORKFLOWS, data_converter=data_converter)


async def replay_files(paths: Sequence[Path], data_converter: DataConverter) -> list[Replayed]:
    replayer = _replayer(data_converter)
    outcomes = []
    for path in paths:
        workflow_id = f"file:{path.stem}"
        try:
            history = WorkflowHistory.from_json(workflow_id, path.read_text(encoding="utf-8"))
        except (ValueError, KeyError) as error:
            outcomes.append(Replayed(workflow_id, str(path), f"not a history file: {error}"))
            continue
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        failure = "" if result.replay_failure is None else str(result.replay_failure)
        outcomes.append(Replayed(workflow_id, str(path), failure))
    return outcomes


async def replay_running(client: Client, query: str, limit: int) -> list[Replayed]:
    """The histories of the workflows the visibility query lists (at most `limit`)."""
    replayer = _replayer(client.data_converter)
    outcomes = []
    async for history in client.list_workflows(query, limit=limit).map_histories():
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        failure = "" if result.replay_failure is None else str(result.replay_failure)
        outcomes.append(Replayed(history.workflow_id, "server", failure))
    return outcomes
