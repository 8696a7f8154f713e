"""Excel workbooks for the bureau's reporting: the alliance list, and the yearly innovation
resource statistics it reports to the province."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from io import BytesIO
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from domain.districts import district_zh
from domain.procedure import status_zh
from domain.report_statistics import FIGURES
from web.registry_queries import AllianceRow, YearStatistics

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = (
    "联盟编号",
    "联盟名称",
    "所在县区",
    "状态",
    "证书编号",
    "认定日期",
    "有效期至",
    "最后更新",
)
WIDTHS = (22, 44, 24, 14, 22, 12, 12, 18)
STATISTICS_HEADER = (
    "年度",
    "计入报告数（份）",
    "其中已审核通过（份）",
    *(figure.title_zh for figure in FIGURES.values()),
    "未填报说明",
)
STATISTICS_SCOPE = "已审核通过和已提交待审核的年度报告；已退回修改、尚未提交的不计入"


def table_sheet(
    sheet: Worksheet,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[int],
    formats: dict[int, str] | None = None,
) -> None:
    """A header row, then the rows; text stays text, columns get their widths and number
    formats (by 0-based index), and the header row stays in view."""
    sheet.append(tuple(header))
    for row in rows:
        sheet.append(tuple(row))
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                # Names and reasons come from people: a leading "=" stays text, never a formula.
                cell.data_type = "s"
        for index, number_format in (formats or {}).items():
            cells[index].number_format = number_format
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def workbook_bytes(book: Workbook) -> bytes:
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def alliances_workbook(rows: list[AllianceRow]) -> bytes:
    """One header row in Chinese, then one row per alliance."""
    book = Workbook()
    sheet = book.active
    sheet.title = "联盟列表"
    table_sheet(
        sheet,
        HEADER,
        (
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
            for row in rows
        ),
        WIDTHS,
        {5: "yyyy-mm-dd", 6: "yyyy-mm-dd", 7: "yyyy-mm-dd hh:mm"},
    )
    return workbook_bytes(book)


def statistics_workbook(years: list[YearStatistics], district: str | None, today: date) -> bytes:
    """联盟年度创新资源统计: one row per report year, one column per figure (its Chinese
    title with the unit), the sums over the alliances' reports; a second sheet says what
    was counted."""
    book = Workbook()
    sheet = book.active
    sheet.title = "创新资源统计"
    sheet.append(STATISTICS_HEADER)
    for year in years:
        gaps = "；".join(
            f"{t.figure.title_zh}：{t.not_reported}份报告未填报" for t in year.incomplete
        )
        sheet.append(
            (year.year, year.reports, year.accepted, *(t.total for t in year.totals), gaps)
        )
    for index, title in enumerate(STATISTICS_HEADER, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(8, 2 * len(title) + 2)
    sheet.freeze_panes = "B2"
    about = book.create_sheet("说明")
    for row in (
        ("统计范围", district_zh(district) if district else "全市"),
        ("统计口径", STATISTICS_SCOPE),
        ("计量单位", "见各列标题括号内"),
        ("导出日期", today),
    ):
        about.append(row)
    about["B4"].number_format = "yyyy-mm-dd"
    about.column_dimensions["A"].width = 12
    about.column_dimensions["B"].width = 70
    return workbook_bytes(book)


def content_disposition(today: date, name_zh: str = "联盟列表", name: str = "alliances") -> str:
    """Attachment `联盟列表-YYYYMMDD.xlsx` (RFC 5987), with an ASCII name for old clients."""
    utf8 = quote(f"{name_zh}-{today:%Y%m%d}.xlsx")
    return f"attachment; filename=\"{name}-{today:%Y%m%d}.xlsx\"; filename*=UTF-8''{utf8}"
