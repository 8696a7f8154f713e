"""The alliance list as an Excel workbook, for the bureau's own reporting."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from domain.districts import district_zh
from domain.procedure import status_zh
from web.registry_queries import AllianceRow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = (
    "统一社会信用代码",
    "联盟名称",
    "所在县区",
    "状态",
    "证书编号",
    "认定日期",
    "有效期至",
    "最后更新",
)
WIDTHS = (22, 44, 24, 14, 22, 12, 12, 18)


def alliances_workbook(rows: list[AllianceRow]) -> bytes:
    """One header row in Chinese, then one row per alliance."""
    book = Workbook()
    sheet = book.active
    sheet.title = "联盟列表"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(
            (
                row.code,
                row.name,
                district_zh(row.district),
                status_zh(row.status),
                row.certificate_serial or "",
                row.recognised_on,
                row.term_end,
                row.updated,
            )
        )
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                # Names come from applicants: a leading "=" must stay text, never a formula.
                cell.data_type = "s"
        cells[5].number_format = cells[6].number_format = "yyyy-mm-dd"
        cells[7].number_format = "yyyy-mm-dd hh:mm"
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def content_disposition(today: date) -> str:
    """Attachment `联盟列表-YYYYMMDD.xlsx` (RFC 5987), with an ASCII name for old clients."""
    name = f"联盟列表-{today:%Y%m%d}.xlsx"
    return f"attachment; filename=\"alliances-{today:%Y%m%d}.xlsx\"; filename*=UTF-8''{quote(name)}"
