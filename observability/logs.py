"""Log lines for operators: timestamped text, or JSON (one object a line) that a log
collector reads without parsing; both carry the workflow, activity or request they concern."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from domain.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
FORMATS = ("text", "json")

# the web request being answered; set by observability.request_log.RequestLog
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")


class JsonFormatter(logging.Formatter):
    """time (ISO 8601 with the zone), level, logger, message; workflow_id, run_id,
    workflow_type or activity_type when Temporal's workflow or activity logger wrote the
    record (its `temporal_workflow` / `temporal_activity` extras); request_id in a request."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created)
            .astimezone()
            .isoformat("T", "milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        workflow = getattr(record, "temporal_workflow", None)
        if isinstance(workflow, dict):
            entry |= _present(workflow, "workflow_id", "run_id", "workflow_type", "update_name")
        activity = getattr(record, "temporal_activity", None)
        if isinstance(activity, dict):
            entry |= _present(activity, "workflow_id", "activity_type", "attempt")
            if activity.get("workflow_run_id"):
                entry["run_id"] = activity["workflow_run_id"]
        request_id = REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _present(details: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: details[name] for name in names if details.get(name) not in (None, "")}


def configure_logging(settings: Settings) -> None:
    """The process's log: every logger to standard error, at `log_level`, as `log_format`
    says. Called once at the start of the worker and of the web process."""
    if settings.log_format not in FORMATS:
        raise ValueError(
            f"ALLIANCE_LOG_FORMAT: 应为 text 或 json (must be text or json), "
            f"not {settings.log_format!r}"
        )
    level = settings.log_level.upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ValueError(
            f"ALLIANCE_LOG_LEVEL: 应为 DEBUG、INFO、WARNING 或 ERROR "
            f"(must be DEBUG, INFO, WARNING or ERROR), not {settings.log_level!r}"
        )
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
        _workflow_details_in_fields_only()
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)


def _workflow_details_in_fields_only() -> None:
    """In JSON the workflow and activity details are fields of their own; Temporal's
    loggers would repeat them as a dict after each message."""
    from temporalio import activity, workflow

    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
