"""The rules every input meets before anything is stored or sent to Temporal.

One set of limits and one text cleaner, shared by the application files, the article-13
CSV import, the operator commands, the web forms and the action models the update
validators receive. Every refusal names the field and says in Chinese and English what
to change. Pure: no settings, no I/O.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, NamedTuple

from pydantic import AfterValidator, BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError

# ---- the limits, in one place

NAME_MAX = 100  # an alliance, a unit, a body, an industry field
PERSON_NAME_MAX = 50
SHORT_TEXT_MAX = 64  # codes, phone numbers, request ids, meeting numbers
EMAIL_MAX = 254  # RFC 5321's longest forward path
LINE_MAX = 200  # one line of text: an objector's contact details, a holiday file's source
FILE_NAME_MAX = 255  # what common file systems allow
FREE_TEXT_MAX = 5_000  # goals, opinions, reasons, reports

MEMBERS_MAX = 50
CONTACTS_MAX = 10
MATERIALS_MAX = MEMBERS_MAX + 10  # a licence copy per member, the three documents, a few more
EXPERTS_MAX = 30

SCORE_MIN, SCORE_MAX = 0, 100
MONEY_MAX_WAN = 10_000_000  # 万元, i.e. 1000亿元: far above any alliance's budget
COUNT_MAX = 1_000_000  # people, projects, patents, objections
YEAR_MIN, YEAR_MAX = 2000, 2100
DATE_MIN, DATE_MAX = date(YEAR_MIN, 1, 1), date(YEAR_MAX, 12, 31)

APPLICATION_PAYLOAD_MAX = 256 * 1024  # bytes of the application as JSON
# A file larger than this is not read, and a payload larger than this is refused without
# checking each field (a YAML alias can make a small file enormous once expanded).
APPLICATION_FILE_MAX = 1024 * 1024
HOLIDAY_FILE_MAX = 1024 * 1024
WORKING_DAYS_MIN = 200  # a real year has about 250; fewer means a wrong holiday file

RULE_ERROR = "input_rule"
"""The pydantic error type of every refusal below; its context holds `zh` and `en`."""


class InputRefused(ValueError):
    """An input the rules refuse; `zh` and `en` say what to change, without the field name."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


# ---- text


@dataclass(frozen=True)
class TextKind:
    limit: int
    multiline: bool = False


NAME = TextKind(NAME_MAX)
PERSON_NAME = TextKind(PERSON_NAME_MAX)
SHORT_TEXT = TextKind(SHORT_TEXT_MAX)
EMAIL = TextKind(EMAIL_MAX)
LINE = TextKind(LINE_MAX)
FILE_NAME = TextKind(FILE_NAME_MAX)
FREE_TEXT = TextKind(FREE_TEXT_MAX, multiline=True)

# Invisible characters that change how text reads or breaks databases and mail headers:
# controls (C0, DEL, C1), bidirectional marks and overrides, zero-width characters, line
# and paragraph separators, and unpaired surrogates (JSON can smuggle these in).
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff"
_REFUSED_IN_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}{_ZERO_WIDTH}\u2028\u2029\ud800-\udfff]")
_REFUSED_IN_TEXT = re.compile(
    f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_ZERO_WIDTH}\u2028\u2029\ud800-\udfff]"
)
_LINE_BREAKS = re.compile(r"\r\n?")
_NAMED = {
    0x00: ("空字符", "a NUL character"),
    0x09: ("制表符", "a tab"),
    0x0A: ("换行符", "a line break"),
    0x0D: ("回车符", "a carriage return"),
    0x2028: ("换行符", "a line separator"),
    0x2029: ("分段符", "a paragraph separator"),
}


def clean_text(value: str, kind: TextKind) -> str:
    """`value` in NFC form (line breaks as LF in long text), or InputRefused."""
    if kind.multiline:
        # browsers send a textarea's line breaks as CR LF
        value = _LINE_BREAKS.sub("\n", value)
    value = unicodedata.normalize("NFC", value)
    if len(value) > kind.limit:
        raise InputRefused(
            f"不能超过{kind.limit}个字符（现有{len(value)}个），请精简",
            f"must have at most {kind.limit} characters (it has {len(value)})",
        )
    refused = (_REFUSED_IN_TEXT if kind.multiline else _REFUSED_IN_LINE).search(value)
    if refused is not None:
        raise _character_refused(refused.group(), refused.start() + 1, kind)
    return value


def _character_refused(char: str, position: int, kind: TextKind) -> InputRefused:
    code = ord(char)
    if code in _NAMED:
        what_zh, what_en = _NAMED[code]
    elif 0xD800 <= code <= 0xDFFF:
        what_zh, what_en = "无效的代理码位", "an unpaired surrogate"
    elif re.fullmatch(f"[{_BIDI}]", char):
        what_zh, what_en = "不可见的双向文本控制符", "an invisible bidirectional text control"
    elif re.fullmatch(f"[{_ZERO_WIDTH}]", char):
        what_zh, what_en = "不可见的零宽字符", "an invisible zero-width character"
    else:
        what_zh, what_en = "不可见的控制字符", "an invisible control character"
    one_line = not kind.multiline and char in "\t\n\r\u2028\u2029"
    return InputRefused(
        f"第{position}个字符是{what_zh}（U+{code:04X}），"
        + ("此项只能填一行文字，请删除" if one_line else "请删除"),
        f"has {what_en} (U+{code:04X}) at character {position}"
        + ("; this field takes one line of text" if one_line else "; delete it"),
    )


def shortened(value: Any, limit: int = 40) -> str:
    """A value quoted back in a message, cut short so a huge input cannot flood it."""
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}…"


# ---- pydantic types: a refusal becomes a ValidationError of type RULE_ERROR


def _as_pydantic(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def validate(value: Any) -> Any:
        try:
            return check(value)
        except InputRefused as refused:
            context = {"zh": refused.zh, "en": refused.en}
            raise PydanticCustomError(RULE_ERROR, "{en}", context) from None

    return validate


def _text(kind: TextKind) -> AfterValidator:
    return AfterValidator(_as_pydantic(lambda value: clean_text(value, kind)))


Name = Annotated[str, _text(NAME)]
PersonName = Annotated[str, _text(PERSON_NAME)]
ShortText = Annotated[str, _text(SHORT_TEXT)]
EmailText = Annotated[str, _text(EMAIL)]
TextLine = Annotated[str, _text(LINE)]
FileName = Annotated[str, _text(FILE_NAME)]
FreeText = Annotated[str, _text(FREE_TEXT)]


def check_range(value: Any, low: Any, high: Any) -> Any:
    """`value` if it lies in [low, high] (NaN never does), else InputRefused."""
    if not low <= value <= high:
        shown = shortened(f"{value:g}" if isinstance(value, float) else value)
        raise InputRefused(
            f"应在{low}至{high}之间（现为{shown}）",
            f"must be between {low} and {high} (it is {shown})",
        )
    return value


def _range(low: Any, high: Any) -> AfterValidator:
    return AfterValidator(_as_pydantic(lambda value: check_range(value, low, high)))


Score = Annotated[float, _range(SCORE_MIN, SCORE_MAX)]
MoneyWan = Annotated[float, _range(0, MONEY_MAX_WAN)]
Count = Annotated[int, _range(0, COUNT_MAX)]
Year = Annotated[int, _range(YEAR_MIN, YEAR_MAX)]
PlausibleDate = Annotated[date, _range(DATE_MIN, DATE_MAX)]


def at_most(limit: int) -> BeforeValidator:
    """A list of at most `limit` entries, refused before any entry is looked at."""

    def check(value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) > limit:
            raise InputRefused(
                f"最多{limit}项（现有{len(value)}项）",
                f"may have at most {limit} entries (it has {len(value)})",
            )
        return value

    return BeforeValidator(_as_pydantic(check))


# ---- payload size


def payload_size(data: Any, stop_after: int) -> float:
    """Bytes of `data` as compact UTF-8 JSON, counted no further than just past `stop_after`.

    Counting stops early, so a structure expanded from YAML aliases costs little; one that
    refers to itself counts as infinitely large.
    """
    encoder = json.JSONEncoder(
        ensure_ascii=False, separators=(",", ":"), skipkeys=True, default=str
    )
    size = 0
    try:
        for chunk in encoder.iterencode(data):
            size += len(chunk.encode("utf-8", "surrogatepass"))
            if size > stop_after:
                break
    except (ValueError, RecursionError):  # circular reference
        return math.inf
    return size


def largest_part(data: Any, stop_after: int) -> tuple[int | str, ...]:
    """The path to the biggest single value inside `data`, for naming it in a refusal."""
    path: list[int | str] = []
    for _ in range(32):  # deep enough for any application; a self-referring one stops here
        if isinstance(data, Mapping):
            children = list(data.items())
        elif isinstance(data, list | tuple):
            children = list(enumerate(data))
        else:
            break
        if not children:
            break
        key, data = max(children, key=lambda child: payload_size(child[1], stop_after))
        path.append(key)
    return tuple(path)


# ---- refusals as people read them


class Refusal(NamedTuple):
    field: str
    zh: str
    en: str


ACTION_FIELD_ZH = {
    "request_id": "请求编号",
    "actor": "经办人",
    "name": "姓名",
    "district": "区县",
    "reasons": "理由",
    "reason": "理由",
    "note": "说明",
    "application": "申请",
    "organisation": "单位",
    "panel": "专家组",
    "affiliation": "工作单位",
    "score": "评分",
    "necessity_opinion": "必要性论证意见",
    "feasibility_opinion": "可行性论证意见",
    "meeting_number": "会议编号",
    "meeting_date": "会议日期",
    "notice_start": "公示开始日期",
    "contact": "联系方式",
    "text": "异议内容",
    "objection_no": "异议编号",
    "year": "年度",
    "summary": "总结",
    "next_year_plan": "下一年度计划",
    "statistics": "创新资源统计",  # its figures' labels: domain.report_statistics adds them
    "opinion": "专家意见",
    "report": "整改报告",
    "days": "延长天数",
    "until": "延期至",
    "members": "成员",
    "contacts": "联系人",
    "email": "电子邮箱",
    "phone": "电话",
    "credit_code": "统一社会信用代码",
    "task": "任务分工",
}


def field_path(loc: tuple[int | str, ...]) -> str:
    """`members[2].name` from pydantic's ("members", 2, "name")."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def refusals(error: ValidationError, labels: Mapping[str, str] = ACTION_FIELD_ZH) -> list[Refusal]:
    """Each problem of `error` naming its field, in Chinese and English."""
    found = []
    for e in error.errors():
        path = field_path(e["loc"]) or "input"
        label = "的".join(
            labels.get(p, p) + (f"（第{n + 1}项）" if isinstance(n, int) else "")
            for p, n in zip(e["loc"], [*e["loc"][1:], None], strict=True)
            if isinstance(p, str)
        )
        label = label or path
        if e["type"] == RULE_ERROR:
            zh, en = f"{label}{e['ctx']['zh']}", f"{path} {e['ctx']['en']}"
        elif e["type"] == "missing":
            zh, en = f"缺少{label}", f"{path} is required"
        else:
            zh, en = f"{label}格式不正确", f"{path}: {e['msg']}"
        found.append(Refusal(path, zh, en))
    return found


def refused_by_rules(error: ValidationError) -> bool:
    """Whether every problem in `error` is one of these rules (not a program's own mistake)."""
    return all(e["type"] == RULE_ERROR for e in error.errors())


def bilingual(error: ValidationError) -> tuple[str, str]:
    """All the problems of `error` as one Chinese and one English sentence."""
    found = refusals(error)
    return "；".join(r.zh for r in found), "; ".join(r.en for r in found)
