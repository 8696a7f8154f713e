"""第十三条: importing provincial alliances recognised by Liaoning before the regulation."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from admin.provincial_import import COLUMNS, ImportFileInvalid, import_provincial_csv
from domain.credit_code import CHARSET, complete_code
from domain.settings import PROJECT_ROOT
from registry.database import session_scope
from registry.tables import Alliance, AuditEntry, Member

SAMPLE = PROJECT_ROOT / "samples" / "provincial-alliances.csv"
SAMPLE_CODES = ["91210300MA0XK3T2A0", "91210300MA0R2N5JCT", "91210300MA0U9Y4HFJ"]


def wrong_check_character(code: str) -> str:
    """The same code with another check character: a checksum failure."""
    return code[:-1] + CHARSET[(CHARSET.index(code[-1]) + 1) % len(CHARSET)]


def lead_code(n: int) -> str:
    return complete_code(f"91210300MA0{n:05d}A")


def university_code(n: int) -> str:
    return complete_code(f"12210300MB0{n:05d}B")


def good_row(n: int, **changes: str) -> dict[str, str]:
    """A valid row for alliance n; keyword arguments replace columns."""
    row = {
        "alliance_name": f"鞍山测试{n}产业技术创新战略联盟",
        "district": "tiedong",
        "certificate_number": f"辽科联认字〔2013〕第{n:02d}号",
        "recognised_on": "2013-05-10",
        "lead_unit": f"鞍山测试{n}有限公司",
        "lead_credit_code": lead_code(n),
        "contact_email": f"lianmeng{n}@test{n}.example",
        "members": f"鞍山测试{n}有限公司|enterprise|{lead_code(n)};"
        f"鞍山测试{n}学院|university|{university_code(n)}",
    }
    return row | changes


def write_csv(path: Path, rows: list[dict[str, str] | None], encoding: str = "utf-8") -> Path:
    """Header plus rows; `None` writes a blank line."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        if row is None:
            buffer.write("\n")
        else:
            writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding=encoding)
    return path


def count(url: str, column: Any) -> int:
    with session_scope(url) as session:
        return session.exec(select(func.count(column))).one()


@pytest.fixture
def mixed_file(tmp_path: Path) -> Path:
    """Good and bad rows; comments give each row's physical line."""
    bad_checksum = wrong_check_character(university_code(4))
    rows: list[dict[str, str] | None] = [
        # lines 2–3: a members field broken over two lines, legal inside quotes
        good_row(1, members=good_row(1)["members"].replace(";", ";\n")),
        # line 4: a member's credit code fails its checksum
        good_row(
            4, members=f"鞍山测试4有限公司|企业|{lead_code(4)};鞍山测试4学院|大学|{bad_checksum}"
        ),
        # line 5: recognised after the regulation
        good_row(5, recognised_on="2017-03-01"),
        # line 6: not an Anshan district
        good_row(6, district="东城区"),
        # line 7: the lead unit is not among the members
        good_row(7, members=f"鞍山测试7学院|university|{university_code(7)}"),
        # line 8: certificate number of line 2
        good_row(8, certificate_number=good_row(1)["certificate_number"]),
        # line 9: lead credit code of line 2
        good_row(1, certificate_number="辽科联认字〔2013〕第99号"),
        # line 10: malformed email
        good_row(10, contact_email="lianmeng10-at-test10.example"),
        # line 11: four problems at once
        good_row(
            11,
            district="东城区",
            recognised_on="2013/05/10",
            contact_email="nobody",
            lead_credit_code=wrong_check_character(lead_code(11)),
        ),
        # line 12: good, with Chinese district and kinds, and two addresses
        good_row(
            12,
            district="铁西区",
            contact_email="a@test12.example, b@test12.example",
            members=f"鞍山测试12有限公司|企业|{lead_code(12)};鞍山测试12学院|大学|{university_code(12)}",
        ),
        None,  # line 13: blank
        good_row(14, district="high_tech_zone"),  # line 14
    ]
    return write_csv(tmp_path / "mixed.csv", rows, encoding="utf-8-sig")


def test_sample_imports_three_recognised_alliances_with_members_and_audit(registry_url):
    report = import_provincial_csv(registry_url, SAMPLE)

    assert (report.imported, report.skipped, report.rejected) == (3, 0, [])
    assert report.codes == SAMPLE_CODES
    with session_scope(registry_url) as session:
        magnesia = session.get(Alliance, SAMPLE_CODES[0])
        members = session.exec(select(Member).where(Member.alliance_code == SAMPLE_CODES[0])).all()
        audit = session.exec(select(AuditEntry).order_by(AuditEntry.key)).all()
    assert magnesia is not None
    assert magnesia.name == "鞍山市菱镁新材料产业技术创新战略联盟"
    assert (magnesia.origin, magnesia.status) == ("provincial", "recognised")
    assert magnesia.district == "haicheng"
    assert magnesia.recognised_on == date(2012, 9, 26)
    assert magnesia.certificate_serial == "辽科联认字〔2012〕第09号"
    assert magnesia.lead_unit == "鞍山恒镁耐火材料股份有限公司"
    assert magnesia.contact_emails == ["lianmeng@hengmei.example", "wang.li@hengmei.example"]
    assert (magnesia.workflow_id, magnesia.application_version) == (
        f"alliance-{SAMPLE_CODES[0]}",
        0,
    )
    assert len(members) == 4
    assert [(m.name, m.credit_code) for m in members if m.role == "lead"] == [
        ("鞍山恒镁耐火材料股份有限公司", SAMPLE_CODES[0])
    ]
    assert {m.kind for m in members} == {"enterprise", "university", "research_institute"}
    assert all(m.application_version == 0 and m.task == "" for m in members)
    assert count(registry_url, Member.id) == 12
    assert [a.key for a in audit] == sorted(f"import-provincial:{c}" for c in SAMPLE_CODES)
    assert {(a.actor, a.role, a.action) for a in audit} == {
        ("operator", "administrator", "imported.provincial")
    }
    first = next(a for a in audit if a.alliance_code == SAMPLE_CODES[0])
    assert first.detail["certificate_number"] == "辽科联认字〔2012〕第09号"
    assert first.detail["source_file"] == "provincial-alliances.csv"


def test_reimporting_the_sample_skips_every_alliance_and_changes_nothing(registry_url):
    import_provincial_csv(registry_url, SAMPLE)

    again = import_provincial_csv(registry_url, SAMPLE)

    assert (again.imported, again.skipped, again.rejected, again.codes) == (0, 3, [], [])
    assert count(registry_url, Alliance.code) == 3
    assert count(registry_url, Member.id) == 12
    assert count(registry_url, AuditEntry.id) == 3


def test_bad_rows_are_refused_by_physical_line_and_good_rows_imported(registry_url, mixed_file):
    report = import_provincial_csv(registry_url, mixed_file)

    assert report.imported == 3
    assert report.codes == [lead_code(1), lead_code(12), lead_code(14)]
    reasons = dict(report.rejected)
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10, 11]
    expected = {
        4: ["鞍山测试4学院", "GB 32100-2015"],
        5: ["2017-03-01", "第十三条", "article 13 only covers"],
        6: ["区县“东城区”不存在", "unknown district '东城区'"],
        7: ["未列入成员", "is not among the members"],
        8: ["证书编号", "与第 2 行重复", "repeats line 2"],
        9: ["发起单位统一社会信用代码", "与第 2 行重复", "repeats line 2"],
        10: ["lianmeng10-at-test10.example", "is not well-formed"],
    }
    for line, fragments in expected.items():
        for fragment in fragments:
            assert fragment in reasons[line], (line, reasons[line])
    assert "；" not in reasons[8], "the repeat is reported once, not again as a registry conflict"
    with session_scope(registry_url) as session:
        stored = set(session.exec(select(Alliance.code)).all())
        second = session.get(Alliance, lead_code(12))
    assert stored == {lead_code(1), lead_code(12), lead_code(14)}
    assert second is not None and second.contact_emails == ["a@test12.example", "b@test12.example"]


def test_row_with_several_problems_gets_one_reason_listing_them_all(registry_url, mixed_file):
    report = import_provincial_csv(registry_url, mixed_file)

    reasons = [reason for line, reason in report.rejected if line == 11]
    assert len(reasons) == 1
    problems = reasons[0].split("；")
    assert len(problems) == 4
    for fragment in ("东城区", "2013/05/10", wrong_check_character(lead_code(11)), "“nobody”"):
        assert sum(fragment in problem for problem in problems) == 1, fragment
    assert all(problem.endswith(")") and " (" in problem for problem in problems)


def test_certificate_number_of_another_registered_alliance_is_refused(registry_url, tmp_path):
    import_provincial_csv(registry_url, write_csv(tmp_path / "first.csv", [good_row(1)]))
    later = good_row(2, certificate_number=good_row(1)["certificate_number"])

    report = import_provincial_csv(registry_url, write_csv(tmp_path / "later.csv", [later]))

    assert report.imported == 0
    [(line, reason)] = report.rejected
    assert line == 2
    assert f"already belongs to alliance {lead_code(1)}" in reason
    assert count(registry_url, Alliance.code) == 1


@pytest.mark.parametrize(
    ("content", "encoding", "message"),
    [
        (
            "alliance_name,district,certificate_number,recognised_on,lead_unit,lead_credit_code\n",
            "utf-8",
            "missing columns: contact_email, members",
        ),
        (",".join(COLUMNS) + "\n鞍山测试联盟,铁东区\n", "gbk", "not UTF-8"),
        ("", "utf-8", "missing columns: alliance_name"),
        (",".join(COLUMNS) + '\n"unterminated,tiedong\n', "utf-8", "not valid CSV"),
    ],
    ids=["missing-columns", "gbk", "empty", "broken-quote"],
)
def test_unreadable_file_is_refused_whole_and_nothing_stored(
    registry_url, tmp_path, content, encoding, message
):
    path = tmp_path / "provincial.csv"
    path.write_text(content, encoding=encoding)

    with pytest.raises(ImportFileInvalid, match=message):
        import_provincial_csv(registry_url, path)

    assert count(registry_url, Alliance.code) == 0


def test_file_missing_a_column_stores_none_of_its_good_rows(registry_url, tmp_path):
    path = tmp_path / "no-members.csv"
    row = good_row(1)
    del row["members"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(row), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding="utf-8")

    with pytest.raises(ImportFileInvalid, match="缺少列：members"):
        import_provincial_csv(registry_url, path)

    assert count(registry_url, Alliance.code) == 0
    assert count(registry_url, AuditEntry.id) == 0


def test_progress_is_reported_after_every_row_ending_at_total(registry_url, mixed_file):
    calls: list[tuple[int, int]] = []

    import_provincial_csv(registry_url, mixed_file, on_progress=lambda d, t: calls.append((d, t)))

    assert calls == [(n, 11) for n in range(1, 12)]


def _members(n: int, count: int) -> str:
    extra = ";".join(
        f"鞍山测试{n}协作{i}公司|enterprise|{lead_code(100 + i)}" for i in range(count)
    )
    return f"{good_row(n)['members']};{extra}"


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        pytest.param(
            {"alliance_name": "鞍山\x00测试联盟"},
            ["联盟名称第3个字符是空字符（U+0000）", "alliance_name has a NUL character"],
            id="nul-in-alliance-name",
        ),
        pytest.param(
            {"lead_unit": "鞍山测试1有限公司\u202e"},
            ["发起单位第10个字符是不可见的双向文本控制符", "lead_unit has an invisible"],
            id="bidi-in-lead-unit",
        ),
        pytest.param(
            {"certificate_number": "辽" * 65},
            ["证书编号不能超过64个字符（现有65个）", "certificate_number must have at most 64"],
            id="certificate-number-too-long",
        ),
        pytest.param(
            {"members": f"{'名' * 101}|enterprise|{lead_code(1)}"},
            ["第 1 个成员的名称不能超过100个字符", "member 1 must have at most 100"],
            id="member-name-too-long",
        ),
        pytest.param(
            {"members": f"鞍山\t测试1有限公司|enterprise|{lead_code(1)}"},
            ["第 1 个成员的名称第3个字符是制表符", "member 1 has a tab"],
            id="tab-in-member-name",
        ),
        pytest.param(
            {"members": _members(1, 50)},
            ["成员最多50个（现有52个）", "at most 50 entries (it has 52)"],
            id="too-many-members",
        ),
        pytest.param(
            {"contact_email": ";".join(f"l{i}@test.example" for i in range(11))},
            ["联系邮箱最多10个（现有11个）", "at most 10 addresses (it has 11)"],
            id="too-many-emails",
        ),
        pytest.param(
            {"contact_email": "a" * 250 + "@test.example"},
            ["超过254个字符", "longer than 254 characters"],
            id="email-too-long",
        ),
        pytest.param(
            {"district": "东" * 100_000},
            ["区县不能超过64个字符（现有100000个）", "district must have at most 64"],
            id="huge-district",
        ),
    ],
)
def test_row_breaking_the_input_rules_is_refused_naming_the_column(
    registry_url, tmp_path, changes, fragments
):
    path = write_csv(tmp_path / "rules.csv", [good_row(1, **changes), good_row(2)])

    report = import_provincial_csv(registry_url, path)

    [(line, reason)] = report.rejected
    assert line == 2
    for fragment in fragments:
        assert fragment in reason
    assert len(reason) < 1000  # the bad value is not echoed back whole
    assert report.codes == [lead_code(2)]
    with session_scope(registry_url) as session:
        assert set(session.exec(select(Alliance.code)).all()) == {lead_code(2)}


def test_names_are_stored_in_their_composed_form(registry_url, tmp_path):
    name = "鞍山Cafe\u0301测试联盟"
    path = write_csv(tmp_path / "nfc.csv", [good_row(1, alliance_name=name)])

    import_provincial_csv(registry_url, path)

    with session_scope(registry_url) as session:
        stored = session.get(Alliance, lead_code(1))
    assert stored is not None and stored.name == "鞍山Caf\u00e9测试联盟"
