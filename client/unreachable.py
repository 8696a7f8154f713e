"""One line saying which service could not be reached and what to check, not a traceback.

Shared by `starter.py` and `alliance-admin`: Temporal's client reports a refused
connection as `RuntimeError: Failed client connect: ...`, the registry as SQLAlchemy's
`OperationalError`; either one, anywhere in an exception's chain, becomes this line.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from domain.settings import Settings
from registry.schema_state import MIGRATE_FIRST, schema_missing

EXIT_UNREACHABLE = 3  # distinct from 1 (refused input) and 2 (usage)
_TEMPORAL_CONNECT = "Failed client connect"


def unreachable_line(error: BaseException, settings: Settings) -> str | None:
    """The message for a service that could not be reached, or None for any other error."""
    for cause in _chain(error):
        if schema_missing(cause):
            return MIGRATE_FIRST
        if isinstance(cause, RuntimeError) and str(cause).startswith(_TEMPORAL_CONNECT):
            address = settings.temporal_address
            return (
                f"无法连接 Temporal 服务 {address}：请确认服务已启动（bash scripts/run.sh）"
                f"或 ALLIANCE_TEMPORAL_ADDRESS 设置正确 (cannot reach Temporal at {address}: "
                "start it with bash scripts/run.sh or set ALLIANCE_TEMPORAL_ADDRESS)"
            )
        if isinstance(cause, OperationalError):
            url = make_url(settings.registry_url()).render_as_string(hide_password=True)
            reason = (str(cause.orig).strip().splitlines() or ["?"])[0]
            return (
                f"无法连接登记库 {url}（{reason}）：请确认数据库已启动、可以访问，"
                f"或 ALLIANCE_DATABASE_URL 设置正确 (cannot reach the registry database at "
                f"{url}: {reason}; check that it is running and ALLIANCE_DATABASE_URL)"
            )
    return None


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found
