"""第十三条: provincial alliances recognised by Liaoning before this regulation are municipal ones.

They need no new procedure, so the operator imports them from a CSV file (UTF-8, with or
without BOM, a header row; extra columns are ignored):

    alliance_name,district,certificate_number,recognised_on,lead_unit,lead_credit_code,contact_email,members,valid_from,valid_until[,midterm_held_on,midterm_grade]

- `district`: a `District` value (`tiedong`) or its Chinese name (铁东区).
- `recognised_on`: ISO date (2014-06-30), on or before 2016-08-23, the regulation's date.
- `valid_from`, `valid_until`: the validity of the provincial certificate in force today
  (ISO dates, at most five years, started, not ended). It becomes the first term this
  bureau supervises: term 1, from `valid_from` to `valid_until`.
- `midterm_held_on`, `midterm_grade` (optional columns, both or neither): a mid-term the
  province held in that validity, on a day not in the future; the grade is a `Grade`
  value or its Chinese name (优秀、良好、合格). A poor (较差) one is refused: article 12's
  warning and rectification must be ordered by staff, who record it by hand once the
  mid-term is open, not started silently by an import.
- `contact_email`: one or more addresses separated by `,` or `;` (ASCII or full-width);
  a field holding a comma must be in double quotes, as CSV requires.
- `members`: `name|kind|credit_code` entries separated by `;` (or `；`); `kind` is a
  `MemberKind` value or its Chinese name. The lead unit must be one of them, with the
  same credit code. Credit codes may be typed in lower case.

Each row is checked on its own and refused with every problem it has, by its physical
line number (header = line 1); cells breaking the input rules (`domain.input_rules`:
length, invisible characters) are reported alone, before their content is looked at.
A certificate number, or a lead credit code with the same alliance name, that repeats an
earlier row refuses the later row (a unit may lead several alliances). Each alliance gets
its 联盟编号 from the registry (`registry.alliance_codes`), the same one for the same lead
unit and name; an alliance already in the registry is skipped, so importing the same
file again changes nothing.

The term is tracked from the moment the alliance is registered: annual reports due
before it are not owed; a mid-term (or final) whose opening day is already behind and
that was not held opens at once (`domain.term.opens_after_import`). The report says per
row what the import set (`ImportedTerm.summary`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session, select

from client.alliances import workflow_id_for
from domain.application import MEMBER_KIND_ZH, Contact, Member, MemberKind, MemberRole
from domain.credit_code import is_valid_credit_code
from domain.districts import DISTRICT_ZH, District
from domain.eligibility import is_valid_email
from domain.input_rules import (
    CONTACTS_MAX,
    EMAIL_MAX,
    FREE_TEXT,
    MEMBERS_MAX,
    NAME,
    NAME_MAX,
    SHORT_TEXT,
    InputRefused,
    TextKind,
    clean_text,
    shortened,
)
from domain.procedure import Role, Stage
from domain.shanghai_time import end_of_day, local_date, start_of_day
from domain.term import (
    ASSESSMENT_ZH,
    FIRST_REPORT_YEAR,
    GRADE_ZH,
    IMPORT_ACTION,
    AssessmentKind,
    AssessmentRecord,
    Grade,
    TermState,
    first_report_year,
    opens_after_import,
    report_years,
    term_end_for,
)
from domain.term_rules import TermRules
from registry.alliance_codes import assign_alliance_code
from registry.database import session_scope
from registry.tables import Alliance, AuditEntry
from registry.tables import Member as MemberRow

REGULATION_ISSUED_ON = date(2016, 8, 23)
"""鞍科发〔2016〕21号 制发日期: article 13 covers provincial recognitions up to this day."""

COLUMNS = (
    "alliance_name",
    "district",
    "certificate_number",
    "recognised_on",
    "lead_unit",
    "lead_credit_code",
    "contact_email",
    "members",
    "valid_from",
    "valid_until",
)
OPTIONAL_COLUMNS = ("midterm_held_on", "midterm_grade")

_DISTRICTS = {d.value: d for d in District} | {zh: d for d, zh in DISTRICT_ZH.items()}
_KINDS = {k.value: k for k in MemberKind} | {zh: k for k, zh in MEMBER_KIND_ZH.items()}
_GRADES = {g.value: g for g in Grade} | {zh: g for g, zh in GRADE_ZH.items()}
_ASSESSMENT_EN = {AssessmentKind.MIDTERM: "mid-term", AssessmentKind.FINAL: "final"}
_EMAIL_SEPARATORS = re.compile(r"[,;，；\s]+")
_MEMBER_SEPARATORS = re.compile(r"[;；]")
# What each column may hold; a list cell may break lines between its entries.
_CELLS = {
    "alliance_name": ("联盟名称", NAME),
    "district": ("区县", SHORT_TEXT),
    "certificate_number": ("证书编号", SHORT_TEXT),
    "recognised_on": ("认定日期", SHORT_TEXT),
    "lead_unit": ("发起单位", NAME),
    "lead_credit_code": ("发起单位统一社会信用代码", SHORT_TEXT),
    "contact_email": ("联系邮箱", FREE_TEXT),
    # room for MEMBERS_MAX entries of name|kind|credit code
    "members": ("成员", TextKind(MEMBERS_MAX * (NAME_MAX + 50), multiline=True)),
    "valid_from": ("有效期起始日", SHORT_TEXT),
    "valid_until": ("有效期截止日", SHORT_TEXT),
    "midterm_held_on": ("期中评估日期", SHORT_TEXT),
    "midterm_grade": ("期中评估等级", SHORT_TEXT),
}


class ImportFileInvalid(Exception):
    """The file as a whole cannot be imported (not CSV, missing columns); nothing was stored."""


@dataclass(frozen=True)
class ProvincialAlliance:
    """One checked row: a provincial alliance ready to be registered."""

    line: int
    name: str
    district: District
    certificate_number: str
    recognised_on: date
    lead_unit: str
    lead_code: str  # the lead unit's credit code
    contact_emails: list[str]
    members: list[Member]
    valid_from: date
    valid_until: date
    midterm_held_on: date | None = None
    midterm_grade: Grade | None = None
    code: str = ""  # 联盟编号, assigned by the registry when the row is imported


@dataclass(frozen=True)
class ImportedTerm:
    """The term the import set for one valid row; `summary` is its line in the report."""

    line: int
    state: TermState
    summary: str
    imported: bool  # False: the alliance was already in the registry


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    # Every valid row, imported now or before: each needs its five-year term running.
    alliances: list[ProvincialAlliance] = field(default_factory=list)
    terms: list[ImportedTerm] = field(default_factory=list)


def import_provincial_csv(
    url: str,
    path: Path,
    on_progress: Callable[[int, int], None] | None = None,
    *,
    now: datetime | None = None,
    rules: TermRules | None = None,
) -> ImportReport:
    """Register the file's provincial alliances, one transaction each; report what happened.

    `now` is the moment of the import (default: the clock); `rules` the term rules the
    terms will run under.
    """
    now = now or datetime.now(UTC)
    rules = rules or TermRules()
    header, rows = _read_rows(path)
    report = ImportReport()
    first_line_of: dict[tuple[str, str], int] = {}
    for done, (line, record) in enumerate(rows, start=1):
        alliance = None
        if len(record) == len(header):
            values, problems = _cleaned(dict(zip(header, record, strict=True)))
            if not problems:
                alliance, problems = _parse_row(line, values, local_date(now))
                problems += _repeats(line, values, first_line_of)
        else:
            problems = [
                _problem(
                    f"本行有 {len(record)} 列，表头有 {len(header)} 列，含逗号的值须加英文双引号",
                    f"the row has {len(record)} fields, the header {len(header)}; "
                    "quote values that contain commas",
                )
            ]
        if alliance is not None:
            code = assign_alliance_code(url, alliance.lead_code, alliance.name, local_date(now))
            alliance = replace(alliance, code=code)
            with session_scope(url) as session:
                problems += _registry_conflicts(session, alliance, report.codes)
                present = session.get(Alliance, alliance.code)
                if not problems and present is not None:
                    # Its term, if not running yet, is tracked from its registration.
                    state = term_state_for(alliance, present.created_at, rules)
                    report.skipped += 1
                    report.alliances.append(alliance)
                    report.terms.append(_imported_term(alliance, state, now, imported=False))
                elif not problems:
                    state = term_state_for(alliance, now, rules)
                    _register(session, alliance, path.name, state)
                    report.imported += 1
                    report.codes.append(alliance.code)
                    report.alliances.append(alliance)
                    report.terms.append(_imported_term(alliance, state, now, imported=True))
        if problems:
            report.rejected.append((line, "；".join(problems)))
        if on_progress is not None:
            on_progress(done, len(rows))
    return report


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and every non-blank record with the physical line it starts on."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as err:
        raise ImportFileInvalid(f"无法读取文件 {path} (cannot read the file: {err})") from err
    except UnicodeDecodeError as err:
        raise ImportFileInvalid(
            f"文件 {path.name} 不是 UTF-8 编码，请另存为 UTF-8 CSV"
            f" (the file is not UTF-8 encoded; save it as UTF-8 CSV: {err})"
        ) from err
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        header = [column.strip() for column in next(reader, [])]
        missing = [column for column in COLUMNS if column not in header]
        if missing:
            raise ImportFileInvalid(
                f"文件 {path.name} 缺少列：{', '.join(missing)}"
                f" (missing columns: {', '.join(missing)})"
            )
        start = reader.line_num + 1
        for record in reader:
            if any(value.strip() for value in record):
                rows.append((start, record))
            start = reader.line_num + 1
    except csv.Error as err:
        raise ImportFileInvalid(
            f"文件 {path.name} 第 {reader.line_num} 行不是有效的 CSV：{err}"
            f" (line {reader.line_num} is not valid CSV: {err})"
        ) from err
    return header, rows


def _problem(zh: str, en: str) -> str:
    return f"{zh} ({en})"


def _cleaned(values: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The row with each column in NFC form, and the columns the input rules refuse."""
    cleaned, problems = dict(values), []
    for column, (what_zh, kind) in _CELLS.items():
        try:
            cleaned[column] = clean_text(values.get(column, ""), kind)  # optional columns
        except InputRefused as refused:
            problems.append(_problem(f"{what_zh}{refused.zh}", f"{column} {refused.en}"))
    return cleaned, problems


def _repeats(
    line: int, values: dict[str, str], first_line_of: dict[tuple[str, str], int]
) -> list[str]:
    """Refuse a certificate number or lead credit code an earlier row of the file already used."""
    problems = []
    keys = (
        ("certificate_number", values["certificate_number"].strip(), "证书编号"),
        (
            "lead_credit_code",
            f"{values['lead_credit_code'].strip().upper()} {values['alliance_name'].strip()}",
            "发起单位统一社会信用代码及联盟名称",
        ),
    )
    for column, value, what_zh in keys:
        if not value:
            continue
        earlier = first_line_of.setdefault((column, value), line)
        if earlier != line:
            problems.append(
                _problem(
                    f"{what_zh}“{value}”与第 {earlier} 行重复",
                    f"{column} '{value}' repeats line {earlier}",
                )
            )
    return problems


def _parse_row(
    line: int, values: dict[str, str], today: date
) -> tuple[ProvincialAlliance | None, list[str]]:
    """The alliance a row describes, or every problem that stops it being one."""
    problems: list[str] = []
    name = _required(values, "alliance_name", "联盟名称", problems)
    certificate_number = _required(values, "certificate_number", "证书编号", problems)
    lead_unit = _required(values, "lead_unit", "发起单位", problems)
    district = _district(values["district"].strip(), problems)
    recognised_on = _recognised_on(values["recognised_on"].strip(), problems)
    code = _credit_code(values["lead_credit_code"], "发起单位", "the lead unit", problems)
    emails = _emails(values["contact_email"], problems)
    members = _members(values["members"], lead_unit, code, problems)
    valid_from, valid_until = _validity(values, today, problems)
    held_on, grade = _held_midterm(values, valid_from, valid_until, today, code, problems)
    if problems:
        return None, problems
    assert district is not None and recognised_on is not None and code is not None
    assert valid_from is not None and valid_until is not None
    return (
        ProvincialAlliance(
            line=line,
            name=name,
            district=district,
            certificate_number=certificate_number,
            recognised_on=recognised_on,
            lead_unit=lead_unit,
            lead_code=code,
            contact_emails=emails,
            members=members,
            valid_from=valid_from,
            valid_until=valid_until,
            midterm_held_on=held_on,
            midterm_grade=grade,
        ),
        [],
    )


def _required(values: dict[str, str], column: str, what_zh: str, problems: list[str]) -> str:
    value = values[column].strip()
    if not value:
        problems.append(_problem(f"{what_zh}为空", f"{column} is empty"))
    return value


def _district(text: str, problems: list[str]) -> District | None:
    district = _DISTRICTS.get(text.lower())
    if district is None:
        problems.append(
            _problem(
                f"区县“{text}”不存在，应为{'、'.join(DISTRICT_ZH.values())}之一",
                f"unknown district '{text}'; use one of {', '.join(d.value for d in District)}",
            )
        )
    return district


def _date(text: str, column: str, what_zh: str, problems: list[str]) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(
            _problem(
                f"{what_zh}“{text}”不是 YYYY-MM-DD 格式的日期",
                f"{column} '{text}' is not a YYYY-MM-DD date",
            )
        )
        return None


def _required_date(
    values: dict[str, str], column: str, what_zh: str, problems: list[str]
) -> date | None:
    if not values[column].strip():
        problems.append(_problem(f"{what_zh}为空", f"{column} is empty"))
        return None
    return _date(values[column].strip(), column, what_zh, problems)


def _recognised_on(text: str, problems: list[str]) -> date | None:
    recognised_on = _date(text, "recognised_on", "认定日期", problems)
    if recognised_on is None:
        return None
    if recognised_on > REGULATION_ISSUED_ON:
        problems.append(
            _problem(
                f"认定日期 {recognised_on} 晚于本办法制发日期 {REGULATION_ISSUED_ON}，"
                "第十三条只适用于本办法制发前经辽宁省科技厅认定的省级联盟，此后的联盟须按第九条申请认定",
                f"recognised on {recognised_on}, after the regulation of {REGULATION_ISSUED_ON}: "
                "article 13 only covers alliances Liaoning recognised before the regulation; "
                "later ones apply through the article 9 procedure",
            )
        )
    return recognised_on


def _validity(
    values: dict[str, str], today: date, problems: list[str]
) -> tuple[date | None, date | None]:
    """The provincial certificate's current validity: started, not ended, five years at most."""
    start = _required_date(values, "valid_from", "有效期起始日", problems)
    until = _required_date(values, "valid_until", "有效期截止日", problems)
    if start is None or until is None:
        return None, None
    count = len(problems)
    if until < start:
        problems.append(
            _problem(
                f"有效期截止日 {until} 早于起始日 {start}，请检查两列是否填反",
                f"valid_until {until} is before valid_from {start}; are the two columns swapped?",
            )
        )
    elif until > term_end_for(start):
        problems.append(
            _problem(
                f"有效期 {start} 至 {until} 超过5年，最晚应至 {term_end_for(start)}（第十一条）",
                f"the validity {start} to {until} is longer than five years (article 11): "
                f"it ends on {term_end_for(start)} at the latest",
            )
        )
    if until < today:
        problems.append(
            _problem(
                f"省级证书有效期已于 {until} 届满，不能按第十三条导入；请填写现行有效证书的有效期",
                f"the provincial certificate's validity ended on {until}: give the validity of "
                "the certificate in force today",
            )
        )
    if start > today:
        problems.append(
            _problem(
                f"有效期起始日 {start} 晚于今天 {today}，请填写现行有效证书的有效期",
                f"valid_from {start} is after today ({today}): give the validity of the "
                "certificate in force today",
            )
        )
    return (start, until) if len(problems) == count else (None, None)


def _held_midterm(
    values: dict[str, str],
    start: date | None,
    until: date | None,
    today: date,
    code: str | None,
    problems: list[str],
) -> tuple[date | None, Grade | None]:
    """A mid-term the province held in the current validity, with its grade; or none."""
    day_text, grade_text = values["midterm_held_on"].strip(), values["midterm_grade"].strip()
    if not day_text and not grade_text:
        return None, None
    if not day_text or not grade_text:
        problems.append(
            _problem(
                "期中评估日期和等级须同时填写或同时留空",
                "give midterm_held_on and midterm_grade together, or leave both empty",
            )
        )
        return None, None
    count = len(problems)
    held_on = _date(day_text, "midterm_held_on", "期中评估日期", problems)
    grade = _GRADES.get(grade_text.lower())
    if grade is None:
        problems.append(
            _problem(
                f"期中评估等级“{shortened(grade_text)}”不存在，应为{'、'.join(GRADE_ZH.values())}之一",
                f"unknown midterm_grade '{shortened(grade_text)}'; "
                f"use one of {', '.join(g.value for g in Grade)}",
            )
        )
    elif grade == Grade.POOR:
        problems.append(
            _problem(
                "期中评估等级为较差：第十二条要求告诫并限期整改，导入不代为启动。请清空本行的"
                "期中评估日期和等级后导入，待期中评估开启（见导入报告）后由工作人员录入结果："
                "alliance-admin assessment record <联盟编号> midterm --grade poor，"
                "系统随即发出告诫和整改通知",
                "a poor mid-term calls for a warning and rectification (article 12), which an "
                "import does not start: clear midterm_held_on and midterm_grade, import the "
                "row, and once the mid-term is open (see the import report) record the result: "
                "alliance-admin assessment record <CODE> midterm --grade poor; "
                "the warning and the rectification notice follow",
            )
        )
    if held_on is not None and held_on > today:
        problems.append(
            _problem(
                f"期中评估日期 {held_on} 晚于今天 {today}",
                f"midterm_held_on {held_on} is in the future (today is {today})",
            )
        )
    elif held_on and start and until and not start <= held_on <= until:
        problems.append(
            _problem(
                f"期中评估日期 {held_on} 不在证书有效期 {start} 至 {until} 内",
                f"midterm_held_on {held_on} is outside the validity {start} to {until}",
            )
        )
    return (held_on, grade) if len(problems) == count else (None, None)


def _credit_code(text: str, who_zh: str, who_en: str, problems: list[str]) -> str | None:
    code = text.strip().upper()
    if is_valid_credit_code(code):
        return code
    given = shortened(text.strip())
    problems.append(
        _problem(
            f"{who_zh}的统一社会信用代码“{given}”无效，应为 18 位且校验位符合 GB 32100-2015",
            f"the credit code '{given}' of {who_en} is not valid: it must have 18 "
            "characters and pass the GB 32100-2015 check",
        )
    )
    return None


def _emails(text: str, problems: list[str]) -> list[str]:
    emails = list(dict.fromkeys(e for e in _EMAIL_SEPARATORS.split(text) if e))
    if not emails:
        problems.append(_problem("联系邮箱为空", "contact_email is empty"))
    if len(emails) > CONTACTS_MAX:
        problems.append(
            _problem(
                f"联系邮箱最多{CONTACTS_MAX}个（现有{len(emails)}个）",
                f"contact_email may hold at most {CONTACTS_MAX} addresses (it has {len(emails)})",
            )
        )
    for email in emails[:CONTACTS_MAX]:
        if len(email) > EMAIL_MAX:
            problems.append(
                _problem(
                    f"联系邮箱“{shortened(email)}”超过{EMAIL_MAX}个字符",
                    f"the email address '{shortened(email)}' is longer than {EMAIL_MAX} characters",
                )
            )
        elif not is_valid_email(email):
            problems.append(
                _problem(
                    f"联系邮箱“{email}”格式不正确，应形如 name@example.com",
                    f"the email address '{email}' is not well-formed; write it as name@example.com",
                )
            )
    return emails


def _members(text: str, lead_unit: str, lead_code: str | None, problems: list[str]) -> list[Member]:
    """The member entries, the lead unit marked; problems name the entry concerned."""
    entries = [entry.strip() for entry in _MEMBER_SEPARATORS.split(text) if entry.strip()]
    if not entries:
        problems.append(_problem("成员为空", "members is empty"))
        return []
    if len(entries) > MEMBERS_MAX:
        problems.append(
            _problem(
                f"成员最多{MEMBERS_MAX}个（现有{len(entries)}个）",
                f"members may list at most {MEMBERS_MAX} entries (it has {len(entries)})",
            )
        )
        return []
    written: list[tuple[str, str]] = []
    members: list[Member] = []
    for number, entry in enumerate(entries, start=1):
        parts = [part.strip() for part in entry.split("|")]
        if len(parts) != 3 or not parts[0]:
            problems.append(
                _problem(
                    f"第 {number} 个成员“{shortened(entry)}”应写成 名称|类型|统一社会信用代码",
                    f"member {number} '{shortened(entry)}' must be written name|kind|credit_code",
                )
            )
            continue
        name, kind_text, code_text = parts
        try:
            name = clean_text(name, NAME)
        except InputRefused as refused:
            problems.append(
                _problem(f"第 {number} 个成员的名称{refused.zh}", f"member {number} {refused.en}")
            )
            continue
        written.append((name, code_text.upper()))
        kind = _KINDS.get(kind_text.lower())
        if kind is None:
            problems.append(
                _problem(
                    f"成员“{name}”的类型“{shortened(kind_text)}”不存在，"
                    f"应为{'、'.join(MEMBER_KIND_ZH.values())}之一",
                    f"member '{name}' has unknown kind '{shortened(kind_text)}'; "
                    f"use one of {', '.join(k.value for k in MemberKind)}",
                )
            )
        code = _credit_code(code_text, f"成员“{name}”", f"member '{name}'", problems)
        if kind is not None and code is not None:
            role = MemberRole.LEAD if code == lead_code else MemberRole.MEMBER
            members.append(Member(name=name, kind=kind, credit_code=code, role=role))
    codes = [code for _, code in written]
    for code in dict.fromkeys(c for c in codes if codes.count(c) > 1):
        problems.append(
            _problem(
                f"统一社会信用代码 {code} 在成员中出现了 {codes.count(code)} 次",
                f"credit code {code} appears {codes.count(code)} times among the members",
            )
        )
    # Only a list whose every entry could be read can show the lead unit is missing from it.
    if len(written) == len(entries) and lead_unit and lead_code is not None:
        problems += _lead_problems(written, lead_unit, lead_code)
    return members


def _lead_problems(written: list[tuple[str, str]], lead_unit: str, lead_code: str) -> list[str]:
    """The lead unit must be among the members under the same credit code."""
    name_of_code = next((name for name, code in written if code == lead_code), None)
    if name_of_code == lead_unit:
        return []
    if name_of_code is not None:
        return [
            _problem(
                f"成员中统一社会信用代码为 {lead_code} 的单位是“{name_of_code}”，"
                f"与发起单位“{lead_unit}”不一致",
                f"the member with credit code {lead_code} is '{name_of_code}', "
                f"not the lead unit '{lead_unit}'",
            )
        ]
    code_of_lead = next((code for name, code in written if name == lead_unit), None)
    if code_of_lead is not None:
        return [
            _problem(
                f"成员中发起单位“{lead_unit}”的统一社会信用代码 {code_of_lead}"
                f"与 lead_credit_code {lead_code} 不一致",
                f"the lead unit '{lead_unit}' is listed among the members with credit code "
                f"{code_of_lead}, not {lead_code}",
            )
        ]
    return [
        _problem(
            f"发起单位“{lead_unit}”（{lead_code}）未列入成员",
            f"the lead unit '{lead_unit}' ({lead_code}) is not among the members",
        )
    ]


def _registry_conflicts(
    session: Session, alliance: ProvincialAlliance, imported_now: list[str]
) -> list[str]:
    """A certificate number the registry already gives another alliance.

    An alliance this file has just imported is left out: the row repeating it says so.
    """
    holder = session.exec(
        select(Alliance.code).where(Alliance.certificate_serial == alliance.certificate_number)
    ).first()
    if holder is None or holder == alliance.code or holder in imported_now:
        return []
    return [
        _problem(
            f"证书编号“{alliance.certificate_number}”已属于登记簿中的联盟 {holder}",
            f"certificate number '{alliance.certificate_number}' already belongs to "
            f"alliance {holder} in the registry",
        )
    ]


def _register(
    session: Session, alliance: ProvincialAlliance, source_name: str, state: TermState
) -> None:
    """The alliance, its members and the audit entry of the import, which keeps the term
    the import set: the registry's lists read from it which reports are owed."""
    now = state.tracking_from
    session.add(
        Alliance(
            code=alliance.code,
            name=alliance.name,
            district=alliance.district.value,
            lead_unit=alliance.lead_unit,
            lead_unit_code=alliance.lead_code,
            status=Stage.RECOGNISED.value,
            origin="provincial",
            workflow_id=workflow_id_for(alliance.code),
            application_version=0,
            certificate_serial=alliance.certificate_number,
            recognised_on=alliance.recognised_on,
            term_no=state.term_no,
            term_end=state.term_end,
            contact_emails=alliance.contact_emails,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()  # members and the audit entry refer to the alliance row
    for member in alliance.members:
        session.add(
            MemberRow(
                alliance_code=alliance.code,
                application_version=0,
                name=member.name,
                kind=member.kind.value,
                credit_code=member.credit_code,
                role=member.role.value,
                task="",
            )
        )
    session.add(
        AuditEntry(
            key=f"import-provincial:{alliance.code}",
            alliance_code=alliance.code,
            actor="operator",
            role=Role.ADMINISTRATOR.value,
            action=IMPORT_ACTION,
            at=now,
            reason="第十三条：本办法制发前经辽宁省科技厅认定的省级联盟自动具备市级联盟资格"
            " (article 13: recognised by Liaoning before the regulation)",
            detail={
                "certificate_number": alliance.certificate_number,
                "recognised_on": alliance.recognised_on.isoformat(),
                "source_file": source_name,
                "line": alliance.line,
                "valid_from": alliance.valid_from.isoformat(),
                "valid_until": alliance.valid_until.isoformat(),
                "midterm_held_on": _iso(alliance.midterm_held_on),
                "midterm_grade": alliance.midterm_grade.value if alliance.midterm_grade else None,
                FIRST_REPORT_YEAR: first_report_year(state),
            },
        )
    )


def term_state_for(
    alliance: ProvincialAlliance, registered_at: datetime, rules: TermRules | None = None
) -> TermState:
    """Article 13: the provincial certificate's current validity is the first term this
    bureau supervises, tracked from the moment the alliance was registered; a mid-term
    the province already held there is recorded with its grade.
    """
    assessments = []
    if alliance.midterm_held_on is not None and alliance.midterm_grade is not None:
        held_on = alliance.midterm_held_on
        assessments.append(
            AssessmentRecord(
                kind=AssessmentKind.MIDTERM,
                materials_due=end_of_day(held_on),
                materials_submitted_at=start_of_day(held_on),
                grade=alliance.midterm_grade,
                opinion=f"辽宁省科技厅于{held_on}进行的期中评估，按第十三条导入"
                f" (the province's mid-term of {held_on}, imported under article 13)",
                recorded_at=registered_at,
            )
        )
    return TermState(
        alliance_code=alliance.code,
        alliance_name=alliance.name,
        district=alliance.district,
        lead_unit=alliance.lead_unit,
        members=alliance.members,
        contacts=[Contact(name=alliance.lead_unit, email=e) for e in alliance.contact_emails],
        term_no=1,
        term_start=alliance.valid_from,
        term_end=alliance.valid_until,
        tracking_from=registered_at,
        rules=rules or TermRules(),
        assessments=assessments,
    )


def _imported_term(
    alliance: ProvincialAlliance, state: TermState, now: datetime, imported: bool
) -> ImportedTerm:
    """The report's line for a row: the term dates, each assessment, the first report owed."""
    zh = [f"认定期 {state.term_start} 至 {state.term_end}"]
    en = [f"term {state.term_start} to {state.term_end}"]
    for kind in AssessmentKind:
        what_zh, what_en = ASSESSMENT_ZH[kind], _ASSESSMENT_EN[kind]
        opens = opens_after_import(state, kind, now)
        held = state.assessment(kind)
        if held is not None and held.grade is not None:
            zh.append(f"{what_zh}已于 {alliance.midterm_held_on} 进行，等级{GRADE_ZH[held.grade]}")
            en.append(f"{what_en} held on {alliance.midterm_held_on}, graded {held.grade.value}")
        elif opens is None:
            zh.append(f"{what_zh}不再单独进行，由导入时开启的期末评估一并评价")
            en.append(f"no separate {what_en}: the final, open at import, judges the whole term")
        elif opens == now:
            days = state.rules.assessment_materials_days
            zh.append(f"{what_zh}开启日已过，导入时开启，材料{days}日内报送")
            en.append(f"{what_en} opens at import (its day is past), materials due in {days} days")
        else:
            zh.append(f"{what_zh} {local_date(opens)} 开启")
            en.append(f"{what_en} opens on {local_date(opens)}")
    if report_years(state):
        first = first_report_year(state)
        zh.append(f"首个应报年度报告：{first}年度（{first}-12-31前）")
        en.append(f"first annual report owed: {first} (by {first}-12-31)")
    else:
        zh.append("本认定期内无应报年度报告")
        en.append("no annual report owed in this term")
    summary = f"{alliance.name} {alliance.code}：{'；'.join(zh)} ({'; '.join(en)})"
    return ImportedTerm(line=alliance.line, state=state, summary=summary, imported=imported)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
