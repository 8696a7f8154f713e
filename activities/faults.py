"""Which failures of an activity can never succeed on a retry, and how they are reported.

A permanent failure is raised as a non-retryable `ApplicationError`, so the workflow's
effect queue turns it into an incident for staff instead of retrying it for ever. Faults
that pass (a connection, a database that is down or busy, a lock) are left to Temporal's
retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DataError, DBAPIError
from temporalio.exceptions import ApplicationError

T = TypeVar("T")

# Errors in the data itself: the same row is refused however often it is written.
_PERMANENT = (DataError, ValueError, TypeError, KeyError, UnicodeError)


def is_permanent(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and not isinstance(error, DataError):
        return False  # connection, lock, serialisation: the next attempt may succeed
    return isinstance(error, _PERMANENT)


async def in_thread(kind: str, write: Callable[..., T], *args: object) -> T:
    """Run a synchronous registry write in a thread; a data error is not retried."""
    try:
        return await asyncio.to_thread(write, *args)
    except Exception as error:
        if is_permanent(error):
            cause = error.orig if isinstance(error, DBAPIError) and error.orig else error
            message = (str(cause).strip().splitlines() or [type(cause).__name__])[0][:500]
            raise ApplicationError(message, type=kind, non_retryable=True) from error
        raise
