"""第十三条: provincial alliances recognised by Liaoning before this regulation are municipal ones.

They need no new procedure, so the operator imports them from a CSV file (UTF-8, with or
without BOM, a header row; extra columns are ignored):

    alliance_name,district,certificate_number,recognised_on,lead_unit,lead_credit_code,contact_email,members

- `district`: a `District` value (`tiedong`) or its Chinese name (铁东区).
- `recognised_on`: ISO date (2014-06-30), on or before 2016-08-23, the regulation's date.
- `contact_email`: one or more addresses separated by `,` or `;` (ASCII or full-width);
  a field holding a comma must be in double quotes, as CSV requires.
- `members`: `name|kind|credit_code` entries separated by `;` (or `；`); `kind` is a
  `MemberKind` value or its Chinese name. The lead unit must be one of them, with the
  same credit code. Credit codes may be typed in lower case.

Each row is checked on its own and refused with every problem it has, by its physical
line number (header = line 1); cells breaking the input rules (`domain.input_rules`:
length, invisible characters) are reported alone, before their content is looked at.
A certificate number or lead credit code that repeats an earlier row refuses the later
row. An alliance already in the registry is skipped, so importing the same file again
changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session, select

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
from domain.shanghai_time import local_date
from domain.term import TermState, current_term, term_end_for
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
)

_DISTRICTS = {d.value: d for d in District} | {zh: d for d, zh in DISTRICT_ZH.items()}
_KINDS = {k.value: k for k in MemberKind} | {zh: k for k, zh in MEMBER_KIND_ZH.items()}
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
    code: str
    contact_emails: list[str]
    members: list[Member]


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    # Every valid row, imported now or before: each needs its five-year term running.
    alliances: list[ProvincialAlliance] = field(default_factory=list)


def import_provincial_csv(
    url: str, path: Path, on_progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Register the file's provincial alliances, one transaction each; report what happened."""
    header, rows = _read_rows(path)
    report = ImportReport()
    first_line_of: dict[tuple[str, str], int] = {}
    for done, (line, record) in enumerate(rows, start=1):
        alliance = None
        if len(record) == len(header):
            values, problems = _cleaned(dict(zip(header, record, strict=True)))
            if not problems:
                alliance, problems = _parse_row(line, values)
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
            with session_scope(url) as session:
                problems += _registry_conflicts(session, alliance, report.codes)
                if not problems and session.get(Alliance, alliance.code) is not None:
                    report.skipped += 1
                    report.alliances.append(alliance)
                elif not problems:
                    _register(session, alliance, path.name)
                    report.imported += 1
                    report.codes.append(alliance.code)
                    report.alliances.append(alliance)
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
            cleaned[column] = clean_text(values[column], kind)
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
            values["lead_credit_code"].strip().upper(),
            "发起单位统一社会信用代码",
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


def _parse_row(line: int, values: dict[str, str]) -> tuple[ProvincialAlliance | None, list[str]]:
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
    if problems:
        return None, problems
    assert district is not None and recognised_on is not None and code is not None
    return (
        ProvincialAlliance(
            line=line,
            name=name,
            district=district,
            certificate_number=certificate_number,
            recognised_on=recognised_on,
            lead_unit=lead_unit,
            code=code,
            contact_emails=emails,
            members=members,
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


def _recognised_on(text: str, problems: list[str]) -> date | None:
    try:
        recognised_on = date.fromisoformat(text)
    except ValueError:
        problems.append(
            _problem(
                f"认定日期“{text}”不是 YYYY-MM-DD 格式的日期",
                f"recognised_on '{text}' is not a YYYY-MM-DD date",
            )
        )
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


def _register(session: Session, alliance: ProvincialAlliance, source_name: str) -> None:
    now = datetime.now(UTC)
    session.add(
        Alliance(
            code=alliance.code,
            name=alliance.name,
            district=alliance.district.value,
            lead_unit=alliance.lead_unit,
            status=Stage.RECOGNISED.value,
            origin="provincial",
            workflow_id=f"alliance-{alliance.code}",
            application_version=0,
            certificate_serial=alliance.certificate_number,
            recognised_on=alliance.recognised_on,
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
            action="imported.provincial",
            at=now,
            reason="第十三条：本办法制发前经辽宁省科技厅认定的省级联盟自动具备市级联盟资格"
            " (article 13: recognised by Liaoning before the regulation)",
            detail={
                "certificate_number": alliance.certificate_number,
                "recognised_on": alliance.recognised_on.isoformat(),
                "source_file": source_name,
                "line": alliance.line,
            },
        )
    )


def term_state_for(alliance: ProvincialAlliance, now: datetime) -> TermState:
    """The term an imported alliance is in today, counted from its original recognition.

    Deadlines already behind `now` are skipped by the workflow, not replayed as emails.
    """
    term_no, start = current_term(alliance.recognised_on, local_date(now))
    return TermState(
        alliance_code=alliance.code,
        alliance_name=alliance.name,
        district=alliance.district,
        lead_unit=alliance.lead_unit,
        members=alliance.members,
        contacts=[Contact(name=alliance.lead_unit, email=e) for e in alliance.contact_emails],
        term_no=term_no,
        term_start=start,
        term_end=term_end_for(start),
        tracking_from=now,
    )
