"""Workflow helpers shared by the recognition procedure and the five-year term."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.procedure import ActionRefused

STATUS = SearchAttributeKey.for_keyword("AllianceStatus")
DISTRICT = SearchAttributeKey.for_keyword("AllianceDistrict")
LEAD_UNIT = SearchAttributeKey.for_keyword("AllianceLeadUnit")  # the lead unit's credit code
NEXT_DEADLINE = SearchAttributeKey.for_datetime("AllianceNextDeadline")
TERM_END = SearchAttributeKey.for_datetime("AllianceTermEnd")
OPEN_INCIDENTS = SearchAttributeKey.for_int("AllianceOpenIncidents")

SHORT = timedelta(minutes=2)  # a calendar look-up
HANDLED_REQUESTS_KEPT = 500


def refuse_unless(check: Callable[[], None]) -> None:
    """Run a domain check; a refusal becomes the update's failure, shown to the caller."""
    try:
        check()
    except ActionRefused as refused:
        raise ApplicationError(str(refused), type="ActionRefused", non_retryable=True) from refused


def remember_request(handled: list[str], request_id: str) -> list[str]:
    """The handled request ids with this one added, keeping the most recent."""
    return [*handled, request_id][-HANDLED_REQUESTS_KEPT:]


async def wait_until(instant: datetime, done: Callable[[], bool]) -> bool:
    """Wait for `done` or `instant`, whichever is first; True when `done` came true."""
    remaining = instant - workflow.now()
    if remaining > timedelta(0):
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(done, timeout=remaining)
    return done()
