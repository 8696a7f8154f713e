"""An alliance's audit trail (办理记录) as an Excel workbook, one row per audit entry."""

from __future__ import annotations

import json
from datetime import date

from openpyxl import Workbook

from domain.audit_details import detail_lines
from domain.labels import event_words, words
from domain.shanghai_time import SHANGHAI
from registry.tables import Alliance, AuditEntry
from web.export import content_disposition, table_sheet, workbook_bytes

HEADER = (
    "序号",
    "时间（北京时间）",
    "事项",
    "Event",
    "办理人",
    "角色",
    "意见或理由",
    "记录",
    "事项代码",
    "原始记录（JSON）",
)
WIDTHS = (6, 18, 30, 34, 24, 18, 40, 48, 30, 40)
SHEET = "办理记录"


def audit_workbook(alliance: Alliance, entries: list[AuditEntry], bureau: str) -> bytes:
    """One header row, then every audit entry in the order it happened."""
    book = Workbook()
    book.properties.title = f"{alliance.name}（{alliance.code}）办理记录"
    book.properties.creator = bureau
    sheet = book.active
    sheet.title = SHEET
    rows = []
    for number, entry in enumerate(entries, start=1):
        zh, en = event_words(entry.action)
        rows.append(
            (
                number,
                # Excel keeps no time zone: the wall-clock time in Beijing is what staff read.
                entry.at.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0),
                zh,
                en,
                "系统" if entry.role == "system" else entry.actor,
                words("role", entry.role)[0],
                entry.reason,
                "\n".join(detail_lines(entry.detail)),
                entry.action,
                _json(entry.detail),
            )
        )
    table_sheet(sheet, HEADER, rows, WIDTHS, {1: "yyyy-mm-dd hh:mm:ss"})
    return workbook_bytes(book)


def _json(detail: dict) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else ""


def audit_disposition(code: str, today: date) -> str:
    """Attachment `办理记录-<code>-YYYYMMDD.xlsx`, with an ASCII name too."""
    return content_disposition(today, f"办理记录-{code}", f"audit-{code}")
