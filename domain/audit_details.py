"""What an audit entry's recorded details say, as the approval form and the audit export
print them (the action itself is named by `domain.labels.event_words`). A key not listed
here is printed as it is, so nothing recorded is lost."""

from __future__ import annotations

from domain.procedure import STAGE_ZH, Stage
from domain.term import REVOCATION_GROUND_ZH, RevocationGround

DETAIL_LABELS = {
    "organisation": "受委托第三方机构",
    "average_score": "平均分",
    "necessity_opinion": "组建必要性意见",
    "feasibility_opinion": "组建可行性意见",
    "meeting_number": "会议编号",
    "meeting_date": "会议日期",
    "notice_start": "公示开始日期",
    "document_number": "批复文件文号",
    "document_date": "批复日期",
    "handed_over_on": "交付日期",
    "received_by": "接收人",
    "until": "延长至",
    "ground": "取消理由",
    "legal_basis": "依据",
    "year": "年度",
    "stage": "环节",
    "count": "次数",
    "step": "环节",
    "certificate": "证书编号",
    "from": "起始日期",
    "certificate_number": "证书编号",
    "recognised_on": "认定日期",
    "valid_from": "有效期自",
    "valid_until": "有效期至",
}
# Internal bookkeeping that a reader of the record does not need.
_HIDDEN = {"decided_stage", "source_file", "line", "first_report_year"}


def detail_lines(detail: dict) -> list[str]:
    """An audit entry's detail as `标签：值` lines; the panel one line per expert."""
    lines = []
    for key, value in detail.items():
        if key in _HIDDEN or value in (None, "", [], {}):
            continue
        if key == "panel" and isinstance(value, list):
            for expert in value:
                lines.append(
                    f"专家：{expert.get('name', '')}（{expert.get('affiliation', '')}）"
                    f"评分 {expert.get('score', '')}"
                )
            continue
        if key == "ground" and value in {g.value for g in RevocationGround}:
            value = REVOCATION_GROUND_ZH[RevocationGround(value)]
        if key == "stage" and value in {s.value for s in Stage}:
            value = STAGE_ZH[Stage(value)]
        lines.append(f"{DETAIL_LABELS.get(key, key)}：{value}")
    return lines
