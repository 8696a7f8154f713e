"""Excel workbooks for the bureau's reporting: the alliance list, and the yearly innovation
resource statistics it reports to the province."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from io import BytesIO
from urllib.parse import quote
from xml.sax.saxutils import escape

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
    """One header row in Chinese, then one row per alliance (`streamed_table`: the whole
    registry may be thousands of rows)."""
    return streamed_table(
        "联盟列表",
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
    )


# The parts of a one-sheet workbook around its sheet: dates and times in the formats the
# other exports use; every text an inline string, so a leading "=" is never a formula.
_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
        'Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
        '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"'
        ' xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0"'
        ' applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0"'
        ' applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal"'
        ' xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    ),
}
_EXCEL_EPOCH = datetime(1899, 12, 30)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # refused in XML 1.0 text


def streamed_table(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[int],
) -> bytes:
    """A workbook of one sheet, written straight as its XML: the header row frozen in view,
    the columns at their widths, text as text, dates as `yyyy-mm-dd` and times as
    `yyyy-mm-dd hh:mm` (what `table_sheet` makes, without a cell object per value)."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name, xml in _PARTS.items():
            book.writestr(name, _XML_HEAD + xml)
        book.writestr(
            "xl/workbook.xml",
            _XML_HEAD + '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
            'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships"><sheets><sheet name="{escape(title)}" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        lines = [
            _XML_HEAD,
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><cols>',
            *(
                f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                for i, w in enumerate(widths, start=1)
            ),
            "</cols><sheetData>",
            _row(1, header),
        ]
        lines += (_row(number, row) for number, row in enumerate(rows, start=2))
        lines.append("</sheetData></worksheet>")
        book.writestr("xl/worksheets/sheet1.xml", "".join(lines))
    return out.getvalue()


_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _row(number: int, values: Sequence[object]) -> str:
    cells = []
    for value in values:
        if value is None or value == "":
            cells.append("<c/>")
        elif isinstance(value, str):
            text = escape(_NOT_XML.sub("", value))
            cells.append(f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        elif isinstance(value, datetime):
            serial = (value.replace(tzinfo=None) - _EXCEL_EPOCH) / timedelta(days=1)
            cells.append(f'<c s="2"><v>{serial!r}</v></c>')
        elif isinstance(value, date):
            cells.append(f'<c s="1"><v>{(value - _EXCEL_EPOCH.date()).days}</v></c>')
        else:
            cells.append(f"<c><v>{value}</v></c>")
    return f'<row r="{number}">{"".join(cells)}</row>'


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
