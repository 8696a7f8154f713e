"""审批表: one alliance's whole record on paper, from the registry.

Every step of article 9 has its block whether or not it has happened yet (a clerk sees
at once what is missing), then the five-year term of articles 11 and 12 (reports,
assessments, rectification, changes of status), then every audit entry in order, and
the place for the bureau's opinion and seal.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from documents.pdf import LANGUAGE, SEAL_DIAMETER, DocumentInfo
from domain.audit_details import detail_lines
from domain.certificate import chinese_date
from domain.labels import event_words, words
from domain.shanghai_time import SHANGHAI
from registry.tables import (
    Alliance,
    AnnualReportRow,
    AssessmentRow,
    AuditEntry,
    Certificate,
    DecisionRow,
    Member,
    ObjectionRow,
    PublicNoticeRow,
)

TITLE = "鞍山市产业技术创新战略联盟认定审批表"
REGULATION = "《鞍山市产业技术创新战略联盟认定管理办法》（鞍科发〔2016〕21号）"
NOT_YET = "（尚未办理）"
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
LABEL_WIDTH = 32 * mm
GRID = colors.HexColor("#808080")
SHADE = colors.HexColor("#F2F2F2")
Rows = list[tuple[str, object]]  # (label, value) lines of one entry or decision
NONE_YET: list[Rows] = [[("办理情况", NOT_YET)]]
# The term's changes of status and rectification, shown in their own block.
TERM_ACTIONS = (
    "rectification.ordered",
    "rectification.report",
    "rectification.passed",
    "rectification.failed",
    "rectification.extended",
    "rectification.overdue",
    "membership.changed",
    "term.extended",
    "renewed",
    "revoked",
    "withdrawn",
    "expired",
)


@dataclass
class ApprovalRecord:
    """What the registry holds of one alliance, as the approval form prints it."""

    alliance: Alliance
    members: list[Member]
    decisions: list[DecisionRow]
    audit: list[AuditEntry]  # in the order they happened
    objections: list[ObjectionRow]
    notice: PublicNoticeRow | None
    certificates: list[Certificate]
    reports: list[AnnualReportRow]
    assessments: list[AssessmentRow]


def render_approval_form(
    record: ApprovalRecord, *, bureau: str, font: str, printed_at: datetime
) -> bytes:
    """The approval form as an A4 PDF with the CJK font `font` embedded."""
    form = _Form(record, font)
    alliance = record.alliance
    info = DocumentInfo(
        title=f"{TITLE}：{alliance.name}（{alliance.code}）",
        author=bureau,
        subject=f"{alliance.name}的认定程序和认定期管理记录",
        created=printed_at,
    )
    footer = f"{TITLE} · 联盟编号 {alliance.code} · 打印于 {_moment(printed_at)}"

    def decorate(canvas: Canvas, document: SimpleDocTemplate) -> None:
        info.apply(canvas)
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(GRID)
        canvas.drawString(MARGIN, 10 * mm, footer)
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        lang=LANGUAGE,
        initialFontName=font,
        title=info.title,
        author=bureau,
        subject=info.subject,
    )
    document.build(form.story(bureau), onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


class _Form:
    def __init__(self, record: ApprovalRecord, font: str) -> None:
        self.r = record
        self.font = font
        self.body = ParagraphStyle(
            "body", fontName=font, bulletFontName=font, fontSize=9.5, leading=14, wordWrap="CJK"
        )
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8.5, leading=12)
        self.heading = ParagraphStyle(
            "heading", parent=self.body, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4
        )
        self.title = ParagraphStyle(
            "title", parent=self.body, fontSize=18, leading=26, alignment=TA_CENTER
        )
        self.centre = ParagraphStyle("centre", parent=self.body, alignment=TA_CENTER)

    # ---- the form, top to bottom

    def story(self, bureau: str) -> list[Flowable]:
        return [
            Paragraph(TITLE, self.title),
            Paragraph(f"依据{escape(REGULATION)}", self.centre),
            Spacer(1, 4 * mm),
            self._basics(),
            Paragraph("一、认定程序（第九条）", self.heading),
            *self._procedure(),
            Paragraph("二、认定期管理（第十一条、第十二条）", self.heading),
            *self._term(),
            Paragraph("三、办理记录", self.heading),
            self._log(),
            Spacer(1, 6 * mm),
            KeepTogether(self._seal_block(bureau)),
        ]

    def _basics(self) -> Table:
        a = self.r.alliance
        members = (
            "；".join(f"{m.name}（{words('member_kind', m.kind)[0]}）" for m in self.r.members)
            or NOT_YET
        )
        rows: Rows = [
            ("联盟名称", a.name),
            ("联盟编号", a.code),
            ("发起（牵头）单位", f"{a.lead_unit}  统一社会信用代码 {a.lead_unit_code}".strip()),
            ("所在地区", words("district", a.district)[0]),
            ("产业领域", a.industry_field or "—"),
            (f"成员单位（{len(self.r.members)}家）", members),
            ("当前状态", words("status", a.status)[0]),
        ]
        if a.origin == "provincial":
            rows.append(("来源", "省级联盟，依第十三条自动具备市级联盟资格"))
        return self._block(None, [rows])

    def _procedure(self) -> list[Flowable]:
        if self.r.alliance.origin == "provincial":
            title = "第十三条：省级联盟自动具备市级联盟资格，不经认定程序"
            return [self._block(title, self._entries(["imported.provincial"]))]
        return [
            self._block("（一）提交申请（第九条第一项）", self._entries(["submitted"])),
            self._block(
                "（二）县（市）区科技局审查推荐（第九条第二项）",
                self._decisions("district_review", "correction") or NONE_YET,
            ),
            self._block(
                "（三）专家评审（第九条第三项）", self._decisions("expert_review") or NONE_YET
            ),
            self._block(
                "（四）局长办公会审议（第九条第四项）",
                self._decisions("director_meeting") or NONE_YET,
            ),
            self._block(
                "（五）公示（第九条第四项）",
                [*self._notice(), *self._decisions("public_notice")],
            ),
            self._block("（六）下达批复文件（第九条第五项）", self._approval()),
            self._block("（七）认定：证书和牌匾（第九条第五项）", self._recognition()),
        ]

    def _term(self) -> list[Flowable]:
        return [
            self._block("（一）年度报告（第十一条）", self._reports()),
            self._block("（二）考核评估（第十二条）", self._assessments()),
            self._block("（三）整改、资格变动", self._entries(TERM_ACTIONS)),
        ]

    # ---- article 9

    def _entries(self, actions: Sequence[str]) -> list[Rows]:
        """One group of rows per audit entry of these actions."""
        groups = [self._entry_rows(e) for e in self.r.audit if e.action in actions]
        return groups or NONE_YET

    def _entry_rows(self, entry: AuditEntry) -> Rows:
        rows: Rows = [
            ("事项", event_words(entry.action)[0]),
            ("办理人", _who(entry.actor, entry.role)),
            ("时间", _moment(entry.at)),
        ]
        if entry.reason:
            rows.append(("意见或理由", entry.reason))
        details = detail_lines(entry.detail)
        if details:
            rows.append(("记录", details))
        return rows

    def _decisions(self, *stages: str) -> list[Rows]:
        """One group of rows per decision taken in these stages; none yet: empty."""
        groups: list[Rows] = []
        for decision in self.r.decisions:
            if decision.stage not in stages:
                continue
            detail = decision.detail
            rows: Rows = [
                ("结论", event_words(decision.action)[0]),
                ("办理人", _who(decision.actor, decision.role)),
                ("时间", _moment(decision.decided_at)),
            ]
            if "organisation" in detail:
                rows.append(("受委托第三方机构", detail["organisation"]))
            if detail.get("panel"):
                rows.append(("专家组及评分", self._panel(detail["panel"])))
                rows.append(("平均分", str(detail.get("average_score", ""))))
            for key, label in (
                ("necessity_opinion", "组建必要性意见"),
                ("feasibility_opinion", "组建可行性意见"),
                ("meeting_number", "会议编号"),
            ):
                if detail.get(key):
                    rows.append((label, detail[key]))
            if detail.get("meeting_date"):
                rows.append(("会议日期", chinese_date(date.fromisoformat(detail["meeting_date"]))))
            if decision.reasons:
                rows.append(("意见或理由", decision.reasons))
            groups.append(rows)
        return groups

    def _panel(self, panel: list[dict]) -> Table:
        rows = [["专家", "单位", "评分"]]
        rows += [
            [p.get("name", ""), p.get("affiliation", ""), str(p.get("score", ""))] for p in panel
        ]
        inner = WIDTH - LABEL_WIDTH - 12
        return self._grid(rows, [inner * 0.3, inner * 0.5, inner * 0.2])

    def _notice(self) -> list[Rows]:
        notice = self.r.notice
        if notice is None:
            return NONE_YET
        rows: Rows = [
            (
                "公示期",
                f"{chinese_date(notice.start_date)}至{chinese_date(notice.end_date)}（5个工作日）",
            ),
            ("发布时间", _moment(notice.published_at)),
        ]
        if not self.r.objections:
            rows.append(("异议情况", "公示期内未收到异议"))
            return [rows]
        table = [["编号", "提出人", "提出时间", "异议内容", "处理结果"]]
        for o in self.r.objections:
            who = f"{o.name}（{o.organisation}）" if o.organisation else o.name
            result = words("objection_status", o.status)[0]
            if o.resolution:
                result += f"：{o.resolution}"
            if o.resolved_at is not None:
                result += f"（{o.resolved_by}，{_moment(o.resolved_at)}）"
            if o.letter_name:
                who += f"，附异议书 {o.letter_name}"
            table.append([str(o.number), who, _moment(o.filed_at), o.text, result])
        inner = WIDTH - LABEL_WIDTH - 12
        widths = [inner * w for w in (0.08, 0.22, 0.18, 0.26, 0.26)]
        rows.append((f"异议情况（{len(self.r.objections)}件）", self._grid(table, widths)))
        return [rows]

    def _approval(self) -> list[Rows]:
        first = next((c for c in self.r.certificates if c.term == 1), None)
        if first is None:  # not yet, or the procedure ended in this stage (a withdrawal)
            return self._decisions("approval") or NONE_YET
        rows: Rows = [
            ("批复文件文号", first.approval_document_number),
            ("批复日期", chinese_date(first.issued_on)),
        ]
        recorded = [d for d in self.r.decisions if d.action == "approval.recorded"]
        if recorded:
            rows += [
                ("录入人", _who(recorded[-1].actor, recorded[-1].role)),
                ("录入时间", _moment(recorded[-1].decided_at)),
            ]
        else:
            rows.append(("编号方式", "系统按文号格式自动编号"))
        return [rows]

    def _recognition(self) -> list[Rows]:
        groups: list[Rows] = [
            [
                (f"第{c.term}个认定期", f"证书编号 {c.serial}；牌匾编号 {c.plaque_number}"),
                ("有效期", f"{chinese_date(c.issued_on)}至{chinese_date(c.valid_until)}"),
                ("证书状态", _certificate_status(c.status)),
            ]
            for c in sorted(self.r.certificates, key=lambda c: c.term)
        ]
        groups += [
            [("牌匾交付", [*detail_lines(e.detail), _who(e.actor, e.role)])]
            for e in self.r.audit
            if e.action == "plaque.handed_over"
        ]
        if self.r.alliance.origin == "provincial":
            groups.append([("省级证书", self.r.alliance.certificate_serial or "—")])
        return groups or NONE_YET

    # ---- articles 11 and 12

    def _reports(self) -> list[Rows]:
        if not self.r.reports:
            return NONE_YET
        table = [["年度", "报送时间", "是否逾期", "审核状态", "审核意见"]]
        for report in self.r.reports:
            table.append(
                [
                    f"{report.year}年度（第{report.term_no}个认定期）",
                    _moment(report.submitted_at),
                    "逾期" if report.late else "按期",
                    words("report_status", report.status)[0],
                    report.review or "—",
                ]
            )
        inner = WIDTH - LABEL_WIDTH - 12
        widths = [inner * w for w in (0.24, 0.2, 0.12, 0.16, 0.28)]
        return [[(f"年度报告（{len(self.r.reports)}份）", self._grid(table, widths))]]

    def _assessments(self) -> list[Rows]:
        groups: list[Rows] = []
        for row in sorted(self.r.assessments, key=lambda r: (r.term_no, r.kind)):
            name = words("assessment", row.kind)[0]
            rows: Rows = [
                ("评估", f"{name}（第{row.term_no}个认定期）"),
                ("材料报送期限", _moment(row.materials_due)),
                ("材料报送时间", _moment(row.materials_submitted_at)),
                ("评估等级", words("grade", row.grade)[0] if row.grade else "（尚未录入）"),
            ]
            if row.opinion:
                rows.append(("专家意见", row.opinion))
            if row.recorded_at is not None:
                recorder = self._recorder(f"assessment.{row.kind}.{row.grade}", row.recorded_at)
                rows.append(("录入", f"{recorder}{_moment(row.recorded_at)}"))
            groups.append(rows)
        return groups or NONE_YET

    def _recorder(self, action: str, at: datetime) -> str:
        """Who recorded the entry of `action` at `at`, from the audit log."""
        for entry in self.r.audit:
            if entry.action == action and entry.at == at:
                return f"{_who(entry.actor, entry.role)}，"
        return ""

    # ---- the whole audit log and the seal

    def _log(self) -> Table:
        table: list[list] = [["时间", "事项", "办理人", "意见、理由和记录"]]
        for entry in self.r.audit:
            notes = [entry.reason] if entry.reason else []
            table.append(
                [
                    _moment(entry.at),
                    event_words(entry.action)[0],
                    _who(entry.actor, entry.role),
                    [*notes, *detail_lines(entry.detail)] or "—",
                ]
            )
        widths = [WIDTH * w for w in (0.17, 0.23, 0.22, 0.38)]
        return self._grid(table, widths, small=True)

    def _seal_block(self, bureau: str) -> list[Flowable]:
        """The bureau's opinion, signatures and a blank circle's room for its seal."""
        opinion = Table(
            [
                [self._p("市科技局审批意见："), ""],
                [self._p("经办人（签字）："), self._p("审核人（签字）：")],
                ["", _SealPlace(bureau, self.font)],
            ],
            colWidths=[WIDTH / 2, WIDTH / 2],
            rowHeights=[30 * mm, 14 * mm, SEAL_DIAMETER + 16 * mm],
        )
        opinion.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.6, GRID),
                    ("FONTNAME", (0, 0), (-1, -1), self.font),
                    ("SPAN", (0, 0), (-1, 0)),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return [opinion]

    # ---- building blocks

    def _block(self, title: str | None, groups: list[Rows]) -> Table:
        """A titled two-column table; a heavier rule sets each group of rows apart."""
        data: list[list[object]] = []
        if title:
            data.append([self._p(title), ""])
        starts = []
        for rows in groups:
            starts.append(len(data))
            data += [[self._p(label), self._cell(value)] for label, value in rows]
        table = Table(
            data, colWidths=[LABEL_WIDTH, WIDTH - LABEL_WIDTH], repeatRows=1 if title else 0
        )
        style: list[tuple] = [
            ("GRID", (0, 0), (-1, -1), 0.5, GRID),
            ("FONTNAME", (0, 0), (-1, -1), self.font),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 1 if title else 0), (0, -1), SHADE),
            *(("LINEABOVE", (0, row), (-1, row), 1.5, colors.black) for row in starts[1:]),
        ]
        if title:
            style += [("SPAN", (0, 0), (-1, 0)), ("BACKGROUND", (0, 0), (-1, 0), SHADE)]
        table.setStyle(TableStyle(style))
        return table

    def _grid(self, rows: list[list], widths: list[float], small: bool = False) -> Table:
        style = self.small if small else self.body
        data = [[self._cell(value, style) for value in row] for row in rows]
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                    ("FONTNAME", (0, 0), (-1, -1), self.font),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ]
            )
        )
        return table

    def _cell(self, value: object, style: ParagraphStyle | None = None) -> object:
        if isinstance(value, Flowable):
            return value
        if isinstance(value, list):
            return [self._p(str(line), style) for line in value]
        return self._p(str(value), style)

    def _p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        # Paragraph reads markup: what people typed is escaped, line breaks kept.
        return Paragraph(escape(text).replace("\n", "<br/>"), style or self.body)


class _SealPlace(Flowable):
    """The bureau's name and the date line, with a dashed circle where the seal goes."""

    def __init__(self, bureau: str, font: str) -> None:
        super().__init__()
        self.bureau = bureau
        self.font = font
        self.width = SEAL_DIAMETER + 40 * mm
        self.height = SEAL_DIAMETER + 10 * mm

    def draw(self) -> None:
        canvas = self.canv
        centre_x, centre_y = self.width / 2, self.height / 2
        canvas.saveState()
        canvas.setStrokeColor(GRID)
        canvas.setDash(2, 2)
        canvas.circle(centre_x, centre_y, SEAL_DIAMETER / 2)
        canvas.setFont(self.font, 11)
        canvas.drawCentredString(centre_x, centre_y + 12, self.bureau)
        canvas.drawCentredString(centre_x, centre_y - 2, "（盖章）")
        canvas.drawCentredString(centre_x, centre_y - 20, "年　　月　　日")
        canvas.restoreState()


def _who(actor: str, role: str) -> str:
    return "系统" if role == "system" else f"{actor}（{words('role', role)[0]}）"


def _moment(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _certificate_status(status: str) -> str:
    return {"valid": "有效", "revoked": "已撤销", "expired": "已过期", "withdrawn": "已放弃"}.get(
        status, status
    )
