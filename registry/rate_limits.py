"""Rate limits shared by every web process, counted in the registry.

Each limit (a bucket: sign-in attempts, failed sign-ins, objections) counts hits per key in
fixed windows of its length, one row per key and window. The limit holds over the last
`window` seconds, estimated as the current window's hits plus the previous window's,
weighted by how much of it is still inside those seconds: no burst of twice the limit
across a window's edge, and only two rows read.

A hit is taken by one statement on both databases, an insert that on conflict raises the
count only while it is below the most the window may hold (the row is locked while it
does), so two processes at once never both take the last slot. Keys are stored as their
SHA-256: user names and addresses are not kept. A new window's first hit deletes the
bucket's rows older than the previous window, so the table stays small.
"""

from __future__ import annotations

import hashlib
import math

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from registry.database import session_scope
from registry.tables import RateLimitWindow

_ROW_KEY = ["bucket", "key", "window_start"]


def take(url: str, bucket: str, key: str, limit: int, window: int, now: float) -> bool:
    """Count a hit for `key` unless `limit` hits in the last `window` seconds are reached;
    whether it was counted. `now` is Unix time in seconds."""
    hits, most = _hits_and_most(url, bucket, key, limit, window, now)
    if hits >= most:
        return False
    with session_scope(url) as db:
        return _add_hit(db, bucket, key, window, _start(now, window), below=most) is not None


def reached(url: str, bucket: str, key: str, limit: int, window: int, now: float) -> bool:
    """Whether `key` has reached `limit` hits in the last `window` seconds (nothing is counted)."""
    hits, most = _hits_and_most(url, bucket, key, limit, window, now)
    return hits >= most


def add(url: str, bucket: str, key: str, window: int, now: float) -> None:
    """Count a hit for `key`, whatever the limit."""
    with session_scope(url) as db:
        _add_hit(db, bucket, key, window, _start(now, window), below=None)


def _start(now: float, window: int) -> int:
    return int(now // window) * window


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _hits_and_most(
    url: str, bucket: str, key: str, limit: int, window: int, now: float
) -> tuple[int, int]:
    """The current window's hits, and the most it may hold: `limit` less the previous
    window's hits still inside the last `window` seconds."""
    start = _start(now, window)
    with session_scope(url) as db:
        rows = db.exec(
            select(RateLimitWindow.window_start, RateLimitWindow.hits).where(
                RateLimitWindow.bucket == bucket,
                RateLimitWindow.key == _digest(key),
                col(RateLimitWindow.window_start).in_((start - window, start)),
            )
        ).all()
    hits = dict(rows)
    still_inside = 1 - (now - start) / window  # the share of the previous window
    most = math.floor(limit - hits.get(start - window, 0) * still_inside)
    return hits.get(start, 0), most


def _add_hit(
    db: Session, bucket: str, key: str, window: int, start: int, below: int | None
) -> int | None:
    """The window's hits with this one; None, and nothing counted, when the window already
    holds `below` (another process took the last slot since they were read)."""
    table = RateLimitWindow.__table__
    stored = table.c.hits
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    upsert = (
        dialect.insert(table)
        .values(bucket=bucket, key=_digest(key), window_start=start, hits=1)
        .on_conflict_do_update(
            index_elements=_ROW_KEY,
            set_={"hits": stored + 1},
            where=None if below is None else stored < below,
        )
        .returning(stored)
    )
    hits = db.execute(upsert).scalar()
    if hits == 1:  # a new window for this key: drop the rows no estimate reads any more
        db.exec(
            delete(RateLimitWindow).where(
                col(RateLimitWindow.bucket) == bucket,
                col(RateLimitWindow.window_start) < start - window,
            )
        )
    return hits
