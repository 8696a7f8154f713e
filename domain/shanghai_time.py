"""Wall-clock time in Asia/Shanghai, where every date of the procedure is counted."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

# China has kept UTC+8 without daylight saving time since 1991, so a fixed offset is exact
# for every date this system handles and keeps workflow code free of tz-database file reads.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_date(dt: datetime) -> date:
    """The Shanghai calendar day of an instant."""
    if dt.tzinfo is None:
        # A naive value would silently take the host's zone; refuse it instead.
        raise ValueError(f"instant without a time zone: {dt.isoformat()}")
    return dt.astimezone(SHANGHAI).date()


def at_local(d: date, hour: int, minute: int = 0) -> datetime:
    """The instant `hour:minute` Shanghai time on day `d`."""
    return datetime.combine(d, time(hour, minute), SHANGHAI)


def start_of_day(d: date) -> datetime:
    """00:00:00 Shanghai time on day `d`."""
    return at_local(d, 0)


def end_of_day(d: date) -> datetime:
    """23:59:59 Shanghai time on day `d`: the last instant a deadline on `d` still allows."""
    return datetime.combine(d, time(23, 59, 59), SHANGHAI)
