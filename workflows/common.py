"""Workflow helpers shared by the recognition procedure and the five-year term."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import search_attributes as names
    from domain.procedure import ActionRefused

STATUS = SearchAttributeKey.for_keyword(names.STATUS)
DISTRICT = SearchAttributeKey.for_keyword(names.DISTRICT)
LEAD_UNIT = SearchAttributeKey.for_keyword(names.LEAD_UNIT)
NEXT_DEADLINE = SearchAttributeKey.for_datetime(names.NEXT_DEADLINE)
TERM_END = SearchAttributeKey.for_datetime(names.TERM_END)
OPEN_INCIDENTS = SearchAttributeKey.for_int(names.OPEN_INCIDENTS)

SHORT = timedelta(minutes=2)  # a calendar look-up
HANDLED_REQUESTS_KEPT = 500


def refuse_unless(check: Callable[[], None]) -> None:
    """Run a domain check; a refusal becomes the update's failure, shown to the caller."""
    try:
        check()
    except ActionRefused as refused:
        raise ApplicationError(
            str(refused), refused.zh, refused.en, type="ActionRefused", non_retryable=True
        ) from refused


def validate_with(update: Any, check: Callable[..., None], dated: bool = False) -> None:
    """Give `update` the validator that refuses what `check(self.s, action)` refuses (with
    `workflow.now()` as a third argument when `dated`), before the update reaches history."""

    def validate(self: Any, action: Any) -> None:
        extra = (workflow.now(),) if dated else ()
        refuse_unless(lambda: check(self.s, action, *extra))

    validate.__signature__ = inspect.signature(update)  # type: ignore[attr-defined]
    validate.__name__ = f"validate_{update.__name__}"
    update.validator(validate)


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


class Alarm:
    """One durable timer, kept while the waits that follow are for the same instant: a
    message that leaves the next step where it was starts no second timer (each timer
    started is a billable action)."""

    def __init__(self) -> None:
        self._at: datetime | None = None
        self._timer: asyncio.Task[None] | None = None

    async def wait(self, instant: datetime, done: Callable[[], bool]) -> bool:
        """Wait for `done` or `instant`, whichever is first; True when `done` came true."""
        if instant != self._at:
            if self._timer is not None:
                self._timer.cancel()
            self._at, self._timer = instant, None
            remaining = instant - workflow.now()
            if remaining > timedelta(0):
                self._timer = asyncio.create_task(workflow.sleep(remaining))
        timer = self._timer
        if timer is not None:
            await workflow.wait_condition(lambda: done() or timer.done())
        return done()
