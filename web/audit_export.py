"""An alliance's audit trail (办理记录) as an Excel workbook, one row per audit entry."""

from __future__ import annotations

import json
from datetime import date
from io import BytesIO
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from domain.audit_details import detail_lines
from domain.labels import event_words, words
from domain.shanghai_time import SHANGHAI
from registry.tables import Alliance, AuditEntry

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
    sheet.append(HEADER)
    for number, entry in enumerate(entries, start=1):
        zh, en = event_words(entry.action)
        sheet.append(
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
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                # Names and reasons come from people: a leading "=" stays text, never a formula.
                cell.data_type = "s"
        cells[1].number_format = "yyyy-mm-dd hh:mm:ss"
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _json(detail: dict) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else ""


def audit_disposition(code: str, today: date) -> str:
    """Attachment `办理记录-<code>-YYYYMMDD.xlsx` (RFC 5987), with an ASCII name too."""
    name = f"办理记录-{code}-{today:%Y%m%d}.xlsx"
    return (
        f"attachment; filename=\"audit-{code}-{today:%Y%m%d}.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
