"""第十三条: importing provincial alliances recognised by Liaoning before the regulation.

Article 13 makes them municipal alliances without a new procedure; the provincial
certificate's current validity becomes the first term the bureau supervises (articles
11 and 12): reports due before the import are not owed, an assessment not yet held
is still due, one the province held is recorded.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from admin.provincial_import import (
    COLUMNS,
    OPTIONAL_COLUMNS,
    ImportFileInvalid,
    ImportReport,
    import_provincial_csv,
)
from domain.credit_code import CHARSET, complete_code
from domain.settings import PROJECT_ROOT
from domain.shanghai_time import at_local, local_date
from domain.term import (
    AssessmentKind,
    Grade,
    MilestoneKind,
    add_months,
    assessment_opens,
    milestones,
    opens_after_import,
    report_years,
    skip_past,
    term_end_for,
)
from registry.alliance_codes import alliances_led_by
from registry.database import session_scope
from registry.tables import Alliance, AuditEntry, Member

SAMPLE = PROJECT_ROOT / "samples" / "provincial-alliances.csv"
SAMPLE_LEADS = ["91210300MA0XK3T2A0", "91210300MA0R2N5JCT", "91210300MA0U9Y4HFJ"]
# 联盟编号 the registry assigns on 30 November 2026, in the file's order.
SAMPLE_CODES = ["2026-0001", "2026-0002", "2026-0003"]
# 30 November 2026, 10:00 Beijing: the day the sample's validities describe.
IMPORTED_AT = at_local(date(2026, 11, 30), 10)
# A provincial validity in force today, wherever the tests run: its mid-term still ahead.
CURRENT_FROM = add_months(local_date(datetime.now(UTC)), -20)
MIDTERM, FINAL = AssessmentKind.MIDTERM, AssessmentKind.FINAL
D = date.fromisoformat


def wrong_check_character(code: str) -> str:
    """The same code with another check character: a checksum failure."""
    return code[:-1] + CHARSET[(CHARSET.index(code[-1]) + 1) % len(CHARSET)]


def lead_code(n: int) -> str:
    return complete_code(f"91210300MA0{n:05d}A")


def code_of(url: str, lead: str) -> str:
    """The 联盟编号 of the one alliance this unit leads in the registry."""
    [alliance] = alliances_led_by(url, lead)
    return alliance.code


def led_by(url: str, code: str) -> str:
    """The lead unit's credit code of the alliance with this 联盟编号."""
    with session_scope(url) as session:
        alliance = session.get(Alliance, code)
        assert alliance is not None, code
        return alliance.lead_unit_code


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
        "valid_from": CURRENT_FROM.isoformat(),
        "valid_until": term_end_for(CURRENT_FROM).isoformat(),
    }
    return row | changes


def write_csv(path: Path, rows: list[dict[str, str] | None], encoding: str = "utf-8") -> Path:
    """Header (with the optional columns) plus rows; `None` writes a blank line."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=[*COLUMNS, *OPTIONAL_COLUMNS], restval="", lineterminator="\n"
    )
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
    report = import_provincial_csv(registry_url, SAMPLE, now=IMPORTED_AT)

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
    assert (magnesia.term_no, magnesia.term_end) == (1, date(2029, 2, 28))
    assert magnesia.certificate_serial == "辽科联认字〔2012〕第09号"
    assert magnesia.lead_unit == "鞍山恒镁耐火材料股份有限公司"
    assert magnesia.lead_unit_code == SAMPLE_LEADS[0]
    assert magnesia.contact_emails == ["lianmeng@hengmei.example", "wang.li@hengmei.example"]
    assert (magnesia.workflow_id, magnesia.application_version) == (
        f"alliance-{SAMPLE_CODES[0]}",
        0,
    )
    assert len(members) == 4
    assert [(m.name, m.credit_code) for m in members if m.role == "lead"] == [
        ("鞍山恒镁耐火材料股份有限公司", SAMPLE_LEADS[0])
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
    assert (first.detail["valid_from"], first.detail["valid_until"]) == ("2024-03-01", "2029-02-28")
    assert first.detail["first_report_year"] == 2026
    steel = next(a for a in audit if a.alliance_code == SAMPLE_CODES[2])
    assert steel.detail["midterm_held_on"] == "2026-07-20"
    assert steel.detail["midterm_grade"] == "good"


def test_reimporting_the_sample_skips_every_alliance_and_changes_nothing(registry_url):
    import_provincial_csv(registry_url, SAMPLE, now=IMPORTED_AT)

    again = import_provincial_csv(registry_url, SAMPLE, now=IMPORTED_AT + timedelta(days=3))

    assert (again.imported, again.skipped, again.rejected, again.codes) == (0, 3, [], [])
    assert count(registry_url, Alliance.code) == 3
    assert count(registry_url, Member.id) == 12
    assert count(registry_url, AuditEntry.id) == 3
    # A term not started the first time (Temporal down) is tracked from the registration.
    assert [t.imported for t in again.terms] == [False] * 3
    assert {t.state.tracking_from for t in again.terms} == {IMPORTED_AT}


def test_bad_rows_are_refused_by_physical_line_and_good_rows_imported(registry_url, mixed_file):
    report = import_provincial_csv(registry_url, mixed_file)

    assert report.imported == 3
    assert [led_by(registry_url, c) for c in report.codes] == [
        lead_code(1),
        lead_code(12),
        lead_code(14),
    ]
    reasons = dict(report.rejected)
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10, 11]
    expected = {
        4: ["鞍山测试4学院", "GB 32100-2015"],
        5: ["2017-03-01", "第十三条", "article 13 only covers"],
        6: ["区县“东城区”不存在", "unknown district '东城区'"],
        7: ["未列入成员", "is not among the members"],
        8: ["证书编号", "与第 2 行重复", "repeats line 2"],
        9: ["发起单位统一社会信用代码及联盟名称", "与第 2 行重复", "repeats line 2"],
        10: ["lianmeng10-at-test10.example", "is not well-formed"],
    }
    for line, fragments in expected.items():
        for fragment in fragments:
            assert fragment in reasons[line], (line, reasons[line])
    assert "；" not in reasons[8], "the repeat is reported once, not again as a registry conflict"
    with session_scope(registry_url) as session:
        stored = set(session.exec(select(Alliance.lead_unit_code)).all())
        second = session.get(Alliance, code_of(registry_url, lead_code(12)))
    assert stored == {lead_code(1), lead_code(12), lead_code(14)}
    assert second is not None and second.contact_emails == ["a@test12.example", "b@test12.example"]


def test_a_unit_leading_two_provincial_alliances_gets_both_imported(registry_url, tmp_path):
    second = good_row(2, lead_unit=good_row(1)["lead_unit"], lead_credit_code=lead_code(1))
    second["members"] = good_row(1)["members"]
    path = write_csv(tmp_path / "two.csv", [good_row(1), second])

    report = import_provincial_csv(registry_url, path)

    assert (report.imported, report.rejected) == (2, [])
    assert len(set(report.codes)) == 2
    assert [a.name for a in alliances_led_by(registry_url, lead_code(1))] == [
        "鞍山测试1产业技术创新战略联盟",
        "鞍山测试2产业技术创新战略联盟",
    ]


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
    assert f"already belongs to alliance {code_of(registry_url, lead_code(1))}" in reason
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
    assert [led_by(registry_url, c) for c in report.codes] == [lead_code(2)]
    with session_scope(registry_url) as session:
        assert set(session.exec(select(Alliance.lead_unit_code)).all()) == {lead_code(2)}


def test_names_are_stored_in_their_composed_form(registry_url, tmp_path):
    name = "鞍山Cafe\u0301测试联盟"
    path = write_csv(tmp_path / "nfc.csv", [good_row(1, alliance_name=name)])

    import_provincial_csv(registry_url, path)

    with session_scope(registry_url) as session:
        stored = session.get(Alliance, code_of(registry_url, lead_code(1)))
    assert stored is not None and stored.name == "鞍山Caf\u00e9测试联盟"


# ---- article 13 terms: the provincial certificate's current validity is term 1


def import_one(url: str, tmp_path: Path, **changes: str) -> ImportReport:
    """Import alliance 1 on 30 November 2026; keyword arguments replace its columns."""
    path = write_csv(tmp_path / "one.csv", [good_row(1, **changes)])
    return import_provincial_csv(url, path, now=IMPORTED_AT)


def assert_nothing_stored(url: str) -> None:
    for column in (Alliance.code, Member.id, AuditEntry.id):
        assert count(url, column) == 0, column


def test_a_row_whose_provincial_validity_has_ended_is_refused_and_nothing_stored(
    registry_url, tmp_path
):
    report = import_one(registry_url, tmp_path, valid_from="2021-11-29", valid_until="2026-11-28")

    [(line, reason)] = report.rejected
    assert line == 2
    assert "省级证书有效期已于 2026-11-28 届满" in reason
    assert "validity ended on 2026-11-28" in reason
    assert (report.imported, report.alliances, report.terms) == (0, [], [])
    assert_nothing_stored(registry_url)


VALIDITY = {"valid_from": "2024-03-01", "valid_until": "2029-02-28"}


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        pytest.param(
            {"valid_from": "2026-03-01", "valid_until": "2025-03-01"},
            ["早于起始日 2026-03-01", "are the two columns swapped?"],
            id="inverted",
        ),
        pytest.param(
            {"valid_from": "2026-12-01", "valid_until": "2031-11-30"},
            ["有效期起始日 2026-12-01 晚于今天 2026-11-30", "in force today"],
            id="not-started",
        ),
        pytest.param(
            {"valid_from": "2024-03-01", "valid_until": "2029-03-01"},
            ["超过5年，最晚应至 2029-02-28", "longer than five years"],
            id="longer-than-five-years",
        ),
        pytest.param(
            {"valid_from": "", "valid_until": "2029-02-28"},
            ["有效期起始日为空", "valid_from is empty"],
            id="no-start",
        ),
        pytest.param(
            {"valid_from": "2024/03/01", "valid_until": "2029-02-28"},
            ["有效期起始日“2024/03/01”不是", "valid_from '2024/03/01' is not a YYYY-MM-DD"],
            id="not-a-date",
        ),
        pytest.param(
            VALIDITY | {"midterm_held_on": "2026-07-20"},
            ["同时填写或同时留空", "give midterm_held_on and midterm_grade together"],
            id="held-without-grade",
        ),
        pytest.param(
            VALIDITY | {"midterm_grade": "良好"},
            ["同时填写或同时留空", "together"],
            id="grade-without-day",
        ),
        pytest.param(
            VALIDITY | {"midterm_held_on": "2026-07-20", "midterm_grade": "一般"},
            ["期中评估等级“一般”不存在", "unknown midterm_grade '一般'"],
            id="unknown-grade",
        ),
        pytest.param(
            VALIDITY | {"midterm_held_on": "2026-12-01", "midterm_grade": "合格"},
            ["期中评估日期 2026-12-01 晚于今天", "is in the future"],
            id="held-in-the-future",
        ),
        pytest.param(
            VALIDITY | {"midterm_held_on": "2024-02-20", "midterm_grade": "合格"},
            ["不在证书有效期 2024-03-01 至 2029-02-28 内", "outside the validity"],
            id="held-before-the-validity",
        ),
        pytest.param(
            VALIDITY | {"midterm_held_on": "2026-07-20", "midterm_grade": "较差"},
            [
                "第十二条要求告诫并限期整改，导入不代为启动",
                "alliance-admin assessment record <联盟编号> midterm --grade poor",
                "which an import does not start",
            ],
            id="poor-in-chinese",
        ),
        pytest.param(
            VALIDITY | {"midterm_held_on": "2026-07-20", "midterm_grade": "Poor"},
            ["record the result"],
            id="poor-as-enum-value",
        ),
    ],
)
def test_a_row_whose_validity_or_held_mid_term_does_not_add_up_is_refused_whole(
    registry_url, tmp_path, changes, fragments
):
    report = import_one(registry_url, tmp_path, **changes)

    [(line, reason)] = report.rejected
    assert line == 2
    for fragment in fragments:
        assert fragment in reason, reason
    assert reason.endswith(")") and " (" in reason
    assert report.terms == []
    assert_nothing_stored(registry_url)


def test_import_on_30_november_2026_makes_the_validity_term_1_and_opens_the_passed_mid_term(
    registry_url, tmp_path
):
    report = import_one(registry_url, tmp_path, **VALIDITY)

    [term] = report.terms
    state = term.state
    assert (state.term_no, state.term_start) == (1, D("2024-03-01"))
    assert state.term_end == D("2029-02-28")
    assert (state.tracking_from, state.assessments) == (IMPORTED_AT, [])
    # Article 12's mid-term opens 30 months in, on 2026-09-01: behind, never held, so
    # it is still due and opens at import rather than being skipped.
    assert local_date(assessment_opens(state, MIDTERM)) == D("2026-09-01")
    assert opens_after_import(state, MIDTERM, IMPORTED_AT) == IMPORTED_AT
    skip_past(state, IMPORTED_AT)
    first = milestones(state)[0]
    assert (first.kind, first.assessment, first.at) == (
        MilestoneKind.ASSESSMENT_OPEN,
        MIDTERM,
        at_local(D("2026-09-01"), 9),
    )
    # Article 11: Decembers before the import are not owed; this December's is.
    assert report_years(state)[0] == 2026
    with session_scope(registry_url) as session:
        alliance = session.get(Alliance, code_of(registry_url, lead_code(1)))
    assert alliance is not None
    assert (alliance.origin, alliance.term_no, alliance.term_end) == (
        "provincial",
        1,
        D("2029-02-28"),
    )
    assert term.summary.endswith(
        "认定期 2024-03-01 至 2029-02-28；期中考核评估开启日已过，导入时开启，材料30日内报送；"
        "期末综合评估 2028-09-01 开启；首个应报年度报告：2026年度（2026-12-31前）"
        " (term 2024-03-01 to 2029-02-28; mid-term opens at import (its day is past), "
        "materials due in 30 days; final opens on 2028-09-01; "
        "first annual report owed: 2026 (by 2026-12-31))"
    )


def test_a_mid_term_still_ahead_at_import_opens_on_its_day(registry_url, tmp_path):
    report = import_one(registry_url, tmp_path, valid_from="2024-09-01", valid_until="2029-08-31")

    [term] = report.terms
    state = term.state
    opens = at_local(D("2027-03-01"), 9)
    assert opens_after_import(state, MIDTERM, IMPORTED_AT) == opens
    skip_past(state, IMPORTED_AT)
    assert [m.at for m in milestones(state) if m.assessment == MIDTERM] == [opens]
    assert "期中考核评估 2027-03-01 开启" in term.summary
    assert "mid-term opens on 2027-03-01" in term.summary


@pytest.mark.parametrize("grade", ["良好", "good", "GOOD"])
def test_a_mid_term_the_province_held_is_recorded_with_its_grade_and_not_reopened(
    registry_url, tmp_path, grade
):
    report = import_one(
        registry_url, tmp_path, **VALIDITY, midterm_held_on="2026-07-20", midterm_grade=grade
    )

    [term] = report.terms
    state = term.state
    [held] = state.assessments
    assert (held.kind, held.grade) == (MIDTERM, Grade.GOOD)
    assert local_date(held.materials_submitted_at) == D("2026-07-20")
    assert opens_after_import(state, MIDTERM, IMPORTED_AT) is None
    skip_past(state, IMPORTED_AT)
    assert [m for m in milestones(state) if m.assessment == MIDTERM] == []
    assert "期中考核评估已于 2026-07-20 进行，等级良好" in term.summary
    assert "mid-term held on 2026-07-20, graded good" in term.summary


def test_when_the_final_is_due_too_it_opens_at_import_in_place_of_the_mid_term(
    registry_url, tmp_path
):
    # 2022-01-10 .. 2027-01-09: the mid-term day (2024-07-10) and the final's
    # (2026-07-10) are both behind; the final judges the whole term.
    report = import_one(registry_url, tmp_path, valid_from="2022-01-10", valid_until="2027-01-09")

    [term] = report.terms
    state = term.state
    assert opens_after_import(state, FINAL, IMPORTED_AT) == IMPORTED_AT
    assert opens_after_import(state, MIDTERM, IMPORTED_AT) is None
    skip_past(state, IMPORTED_AT)
    behind = [m for m in milestones(state) if m.at < IMPORTED_AT]
    assert [(m.kind, m.assessment) for m in behind] == [(MilestoneKind.ASSESSMENT_OPEN, FINAL)]
    assert "不再单独进行" in term.summary and "final opens at import" in term.summary
