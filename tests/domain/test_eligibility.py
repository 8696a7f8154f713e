"""Eligibility at submission (articles 2, 5, 8 and 10): every problem, at once, in plain words."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.application import ARTICLE_5_SECTORS, Application, MaterialKind
from domain.application_file import load_application_file, material_from_file
from domain.eligibility import (
    ApplicationInvalid,
    Problem,
    check_application,
    check_new_application,
    early_results_priority,
    parse_application,
)
from domain.procedure import Actor, Role
from domain.settings import Settings
from domain.shanghai_time import start_of_day
from domain.term import MembershipChange, TermState, term_end_for
from domain.term_actions import check_membership_change

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SAMPLE = SAMPLES / "application-sample.yaml"
LEAD = "鞍山菱镁新材料科技有限公司"
UNIVERSITY_CODE = "12210000FXF3944A6B"

Mutation = Callable[[dict[str, Any]], None]


def sample_data() -> dict[str, Any]:
    return yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))


def problems_of(data: dict[str, Any]) -> list[Problem]:
    with pytest.raises(ApplicationInvalid) as raised:
        parse_application(data)
    return raised.value.problems


def _steps(path: str) -> list[str | int]:
    return [int(s[1:-1]) if s.startswith("[") else s for s in re.findall(r"\w+|\[\d+\]", path)]


def put(path: str, value: Any) -> Mutation:
    *parents, last = _steps(path)

    def mutate(data: dict[str, Any]) -> None:
        for step in parents:
            data = data[step]
        data[last] = value

    return mutate


def member_code(index: int, code: str) -> Mutation:
    """Change a member's credit code and, like a careful clerk, its licence copy's too."""

    def mutate(data: dict[str, Any]) -> None:
        old = data["members"][index]["credit_code"]
        data["members"][index]["credit_code"] = code
        for material in data["materials"]:
            if material.get("member_credit_code") == old:
                material["member_credit_code"] = code

    return mutate


def drop(*fields: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        for name in fields:
            del data[name]

    return mutate


def drop_material(kind: str, member_credit_code: str = "") -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["materials"] = [
            m
            for m in data["materials"]
            if not (m["kind"] == kind and m.get("member_credit_code", "") == member_credit_code)
        ]

    return mutate


def all_of(*mutations: Mutation) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(data)

    return mutate


def mutated(*mutations: Mutation) -> dict[str, Any]:
    data = copy.deepcopy(sample_data())
    all_of(*mutations)(data)
    return data


def test_sample_application_has_no_problems():
    app = load_application_file(SAMPLE)

    assert check_application(app) == []
    assert check_new_application(app, ARTICLE_5_SECTORS, date.today()) == []
    assert app.alliance_name == "鞍山市菱镁新材料产业技术创新战略联盟"
    assert app.lead_member() is not None


@pytest.mark.parametrize(
    ("sample", "fields"),
    [
        pytest.param(
            "application-broken-composition.yaml",
            [
                "members",
                "members[3].task",
                "institute_advanced_level",
                "bodies.executive.full_time",
                "materials",
            ],
            id="composition",
        ),
        pytest.param(
            "application-broken-codes.yaml",
            [
                "members[1].credit_code",
                "members[3].credit_code",
                "bodies.advisory.responsible_person",
                "contacts[1].email",
                "materials",
            ],
            id="codes",
        ),
    ],
)
def test_broken_sample_reports_every_problem_at_once(sample, fields):
    with pytest.raises(ApplicationInvalid) as raised:
        load_application_file(SAMPLES / sample)

    assert [p.field for p in raised.value.problems] == fields


@pytest.mark.parametrize(
    ("mutation", "field", "term"),
    [
        pytest.param(put("alliance_name", "  "), "alliance_name", "联盟名称", id="blank-name"),
        pytest.param(put("industry_field", ""), "industry_field", "产业领域", id="no-industry"),
        pytest.param(
            put("industry_sector", ""), "industry_sector", "重点产业（第五条）", id="no-sector"
        ),
        pytest.param(
            put("lead_unit", "鞍山市某某有限公司"),
            "lead_unit",
            "不在联盟成员名单中",
            id="lead-unit-not-a-member",
        ),
        pytest.param(
            member_code(0, "91210300PUEWHWT8W2"),
            "members[0].credit_code",
            "校验码",
            id="wrong-check-character",
        ),
        pytest.param(
            member_code(1, "91210381MYXN2T942"),
            "members[1].credit_code",
            "应为18位",
            id="code-too-short",
        ),
        pytest.param(
            member_code(3, "12210300B675FEXOAY"),
            "members[3].credit_code",
            "不允许的字符“O”",
            id="forbidden-letter",
        ),
        pytest.param(
            member_code(2, "12210000fxf3944a6b"),
            "members[2].credit_code",
            "大写",
            id="lowercase-code",
        ),
        pytest.param(
            member_code(1, "91210300PUEWHWT8W1"),
            "members[1].credit_code",
            "重复",
            id="duplicate-code",
        ),
        pytest.param(
            put("members[4].name", LEAD), "members[4].name", "重复", id="duplicate-member-name"
        ),
        pytest.param(put("members[4].name", ""), "members[4].name", "名称", id="unnamed-member"),
        pytest.param(
            all_of(put("members[0].role", "member"), put("members[1].role", "member")),
            "members",
            "骨干",
            id="no-backbone-enterprise",
        ),
        pytest.param(
            all_of(put("members[0].kind", "key_user"), put("members[1].kind", "key_user")),
            "members",
            "没有企业",
            id="no-enterprise",
        ),
        pytest.param(
            all_of(put("members[2].kind", "testing_body"), put("members[3].kind", "key_user")),
            "members",
            "大学或科研机构",
            id="no-university-or-institute",
        ),
        pytest.param(put("members[2].task", ""), "members[2].task", "任务分工", id="no-task"),
        pytest.param(
            put("bodies.decision.responsible_person", ""),
            "bodies.decision.responsible_person",
            "决策机构未明确责任人",
            id="decision-body-without-responsible-person",
        ),
        pytest.param(
            put("bodies.advisory.name", ""),
            "bodies.advisory.name",
            "咨询机构",
            id="unnamed-advisory-body",
        ),
        pytest.param(
            put("bodies.executive.full_time", False),
            "bodies.executive.full_time",
            "专职化",
            id="executive-not-full-time",
        ),
        pytest.param(
            put("institute_advanced_level", " "),
            "institute_advanced_level",
            "先进水平（第八条第2项）",
            id="no-statement-of-the-institutes-advanced-level",
        ),
        pytest.param(
            put("establishment_basis", ""),
            "establishment_basis",
            "成立的依据",
            id="no-basis-of-the-founding",
        ),
        pytest.param(
            put("established_on", "2024-02-30"),
            "established_on",
            "应为日期",
            id="founding-date-that-is-no-date",
        ),
        pytest.param(
            put("agreement_complies", False),
            "agreement_complies",
            "联盟协议",
            id="agreement-compliance-not-declared",
        ),
        pytest.param(
            put("innovation_goals", ""), "innovation_goals", "技术创新目标", id="no-goals"
        ),
        pytest.param(
            put("funding.operating_funds_wan", 0),
            "funding.operating_funds_wan",
            "日常运行经费",
            id="no-operating-funds",
        ),
        pytest.param(
            put("funding.project_funds_wan", -5),
            "funding.project_funds_wan",
            "项目经费",
            id="negative-project-funds",
        ),
        pytest.param(
            put("funding.management_rule", " "),
            "funding.management_rule",
            "经费管理制度",
            id="no-funds-management-rule",
        ),
        pytest.param(put("contacts", []), "contacts", "联系人", id="no-contacts"),
        pytest.param(
            put("contacts[1].email", "wang.jianguo@@example.com"),
            "contacts[1].email",
            "电子邮箱",
            id="double-at-email",
        ),
        pytest.param(
            put("contacts[0].email", "secretariat"),
            "contacts[0].email",
            "电子邮箱",
            id="email-without-domain",
        ),
        pytest.param(put("contacts[0].name", ""), "contacts[0].name", "姓名", id="unnamed-contact"),
        pytest.param(drop_material("agreement"), "materials", "联盟协议文本", id="no-agreement"),
        pytest.param(
            drop_material("application_form"),
            "materials",
            "缺少材料：联盟申请表",
            id="no-application-form",
        ),
        pytest.param(
            drop_material("necessity_statement"),
            "materials",
            "必要性",
            id="no-necessity-statement",
        ),
        pytest.param(
            drop_material("licence_copy", UNIVERSITY_CODE),
            "materials",
            "辽宁科技大学",
            id="no-licence-copy-for-a-member",
        ),
        pytest.param(
            put("materials[0].sha256", "b0b6"),
            "materials[0].sha256",
            "联盟协议（全体成员签章）.pdf",
            id="short-sha256",
        ),
        pytest.param(
            put("materials[1].sha256", "g" * 64),
            "materials[1].sha256",
            "SHA-256",
            id="non-hex-sha256",
        ),
    ],
)
def test_single_fault_is_reported_on_its_field_in_chinese(mutation, field, term):
    problems = problems_of(mutated(mutation))

    assert [p.field for p in problems] == [field]
    assert term in problems[0].zh
    assert problems[0].en


def test_credit_code_message_names_the_member():
    problems = problems_of(mutated(member_code(2, "12210000FXF3944A6C")))

    assert "辽宁科技大学" in problems[0].zh
    assert "辽宁科技大学" in problems[0].en


def test_broken_samples_name_the_member_at_fault():
    with pytest.raises(ApplicationInvalid) as codes:
        load_application_file(SAMPLES / "application-broken-codes.yaml")
    with pytest.raises(ApplicationInvalid) as composition:
        load_application_file(SAMPLES / "application-broken-composition.yaml")
    by_field = {p.field: p.zh for p in [*codes.value.problems, *composition.value.problems]}

    assert "鞍山精工激光科技有限公司" in by_field["members[1].credit_code"]
    assert "鞍山市智能制造研究院" in by_field["members[3].credit_code"]
    assert "刘振华" in by_field["contacts[1].email"]
    assert "鞍山市汇智知识产权代理有限公司" in by_field["members[3].task"]


def test_licence_copy_of_a_stranger_is_reported_and_the_member_still_lacks_one():
    problems = problems_of(mutated(put("materials[3].member_credit_code", "91210300QWDKE1YAHD")))

    assert [p.field for p in problems] == ["materials", "materials[3].member_credit_code"]
    assert LEAD in problems[0].zh
    assert "营业执照-鞍山菱镁新材料科技有限公司.pdf" in problems[1].zh


def test_several_faults_are_all_reported_in_document_order():
    problems = problems_of(
        mutated(
            put("contacts[0].email", "nobody"),
            member_code(0, "91210300PUEWHWT8W2"),
            put("bodies.executive.full_time", False),
            drop_material("necessity_statement"),
        )
    )

    assert [p.field for p in problems] == [
        "members[0].credit_code",
        "bodies.executive.full_time",
        "contacts[0].email",
        "materials",
    ]


def test_type_errors_are_reported_as_problems_beside_rule_problems():
    data = mutated(
        put("members[2].kind", "college"),
        put("district", "anshan"),
        put("contacts[0].email", "secretariat@"),
    )
    del data["alliance_name"]

    problems = problems_of(data)
    by_field = {p.field: p for p in problems}

    # The member of unknown kind is the university; "no university" would be a false alarm.
    assert [p.field for p in problems] == [
        "alliance_name",
        "district",
        "members[2].kind",
        "contacts[0].email",
    ]
    assert "缺少必填项" in by_field["alliance_name"].zh
    assert "high_tech_zone（鞍山高新技术产业开发区）" in by_field["district"].zh
    assert "“college”" in by_field["members[2].kind"].zh
    assert "university（大学）" in by_field["members[2].kind"].zh


def test_code_written_as_a_number_asks_for_quotes():
    problems = problems_of(mutated(put("members[1].credit_code", 912103001234567890)))

    assert [p.field for p in problems] == ["members[1].credit_code"]
    assert "引号" in problems[0].zh


def test_application_that_is_not_a_mapping_is_one_problem():
    problems = problems_of(["alliance_name", "members"])

    assert [p.field for p in problems] == ["application"]


def test_blank_bodies_section_is_named_in_chinese():
    problems = problems_of(mutated(put("bodies", None)))

    assert [p.field for p in problems] == ["bodies"]
    assert problems[0].zh.startswith("决策、执行、咨询机构")


def test_problems_print_one_per_line_as_field_chinese_english():
    error = ApplicationInvalid(
        [
            Problem(field="materials", zh="缺少材料：联盟申请表", en="missing application form"),
            Problem(field="contacts", zh="至少需要一名联系人", en="a contact is needed"),
        ]
    )

    assert str(error).splitlines() == [
        "materials: 缺少材料：联盟申请表 (missing application form)",
        "contacts: 至少需要一名联系人 (a contact is needed)",
    ]


def test_early_results_rank_the_queue_but_are_not_required():
    app = parse_application(sample_data())
    without = parse_application(mutated(put("early_results", "")))

    assert early_results_priority(app) == 1
    assert early_results_priority(without) == 0
    assert check_application(without) == []


# ---- articles 5 and 8.1, 8.2: what a new application records since they were asked


def test_application_not_yet_founded_is_refused_naming_the_date_and_basis():
    """8.1: 联盟已正式成立 - a new application says when and on what basis."""
    problems = problems_of(mutated(drop("established_on", "establishment_basis")))

    assert [p.field for p in problems] == ["established_on", "establishment_basis"]
    assert "联盟正式成立的日期" in problems[0].zh and "第八条第1项" in problems[0].zh
    assert "formally founded" in problems[0].en
    assert "成立大会决议" in problems[1].zh and "article 8.1" in problems[1].en


def test_founding_date_after_today_is_refused():
    today = date(2026, 5, 20)
    data = mutated(put("established_on", "2026-05-21"))

    with pytest.raises(ApplicationInvalid) as raised:
        parse_application(data, today=today)

    [problem] = raised.value.problems
    assert problem.field == "established_on"
    assert "2026-05-21晚于今天（2026-05-20）" in problem.zh
    assert parse_application(mutated(put("established_on", "2026-05-20")), today=today)


def test_sector_outside_the_citys_priority_sectors_is_refused_with_the_choices():
    """Article 5: the alliance serves one of the city's priority sectors."""
    problems = problems_of(mutated(put("industry_sector", "房地产业")))

    assert [p.field for p in problems] == ["industry_sector"]
    assert "“房地产业”不是本市确定的重点产业（第五条）" in problems[0].zh
    assert "、".join(ARTICLE_5_SECTORS) in problems[0].zh
    assert "not one of the city's priority sectors" in problems[0].en


def test_configured_list_of_priority_sectors_is_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLIANCE_PRIORITY_SECTORS", '["菱镁新材料", "钢铁精深加工"]')
    sectors = Settings().priority_sectors
    ours = mutated(put("industry_sector", "菱镁新材料"))
    path = tmp_path / "application.json"
    path.write_text(json.dumps(ours, ensure_ascii=False), encoding="utf-8")

    assert sectors == ["菱镁新材料", "钢铁精深加工"]
    assert parse_application(ours, sectors).industry_sector == "菱镁新材料"
    assert load_application_file(path, sectors).industry_sector == "菱镁新材料"
    with pytest.raises(ApplicationInvalid) as raised:
        parse_application(sample_data(), sectors)
    [problem] = raised.value.problems
    assert problem.field == "industry_sector"
    assert "“战略性新兴产业”不是本市确定的重点产业" in problem.zh
    assert "可选：菱镁新材料、钢铁精深加工" in problem.zh


def test_default_priority_sectors_are_those_of_article_5():
    assert Settings().priority_sectors == [
        "战略性新兴产业",
        "传统产业改造提升",
        "现代服务业",
        "现代农业",
        "民生科技产业",
        "区域支柱产业",
    ]


def old_stored_application() -> dict[str, Any]:
    """An application as workflows and saved histories hold it from before articles 5,
    8.1 and 8.2 were recorded."""
    return mutated(
        drop("industry_sector", "established_on", "establishment_basis", "institute_advanced_level")
    )


def test_application_stored_before_the_new_records_still_reads():
    app = Application.model_validate(old_stored_application())
    converter = pydantic_data_converter.payload_converter
    [payload] = converter.to_payloads([old_stored_application()])

    assert converter.from_payloads([payload], [Application]) == [app]
    assert (app.industry_sector, app.established_on, app.establishment_basis) == ("", None, "")
    assert app.institute_advanced_level == ""
    assert early_results_priority(app) == 1


def test_workflow_recheck_passes_an_old_application_that_a_new_submission_must_complete():
    """A workflow re-checks the application it holds (a resubmission's handler, replayed from
    saved histories too): one stored before articles 5, 8.1 and 8.2 were recorded still
    passes there, while submitted anew it must record them."""
    old = Application.model_validate(old_stored_application())

    assert check_application(old) == []
    problems = check_new_application(old, ARTICLE_5_SECTORS, date(2026, 5, 20))
    assert [p.field for p in problems] == [
        "industry_sector",
        "institute_advanced_level",
        "established_on",
        "establishment_basis",
    ]


def test_membership_change_is_not_refused_for_what_only_an_application_records():
    """The term's re-check of article 8 probes an application without the 8.1, 8.2 and
    article-5 records: only member, contact and lead-unit problems may count there."""
    app = load_application_file(SAMPLE)
    recognised = date(2026, 12, 19)
    term = TermState(
        alliance_code="2026-0001",
        alliance_name=app.alliance_name,
        district=app.district,
        lead_unit=app.lead_unit,
        members=app.members,
        contacts=app.contacts,
        term_start=recognised,
        term_end=term_end_for(recognised),
        tracking_from=start_of_day(recognised),
    )
    change = MembershipChange(
        request_id="membership-change",
        actor=Actor(name="联盟秘书处 李晓梅", role=Role.APPLICANT),
        members=app.members[:-1],  # the testing body leaves
        contacts=app.contacts,
    )

    check_membership_change(term, change)


def test_json_file_reads_like_the_yaml_file(tmp_path):
    as_json = tmp_path / "application.json"
    as_json.write_text(json.dumps(sample_data(), ensure_ascii=False), encoding="utf-8")

    assert load_application_file(as_json) == load_application_file(SAMPLE)


def test_json_file_reports_the_same_problems_as_yaml(tmp_path):
    broken = SAMPLES / "application-broken-codes.yaml"
    as_json = tmp_path / "broken.json"
    as_json.write_text(json.dumps(yaml.safe_load(broken.read_text(encoding="utf-8"))))

    with pytest.raises(ApplicationInvalid) as from_yaml:
        load_application_file(broken)
    with pytest.raises(ApplicationInvalid) as from_json:
        load_application_file(as_json)

    assert from_json.value.problems == from_yaml.value.problems


@pytest.mark.parametrize(
    ("name", "content", "term"),
    [
        pytest.param(
            "bad.yaml",
            "alliance_name: 联盟\nmembers:\n  - name: [未闭合\n    kind: enterprise\n",
            "第4行",
            id="unparseable-yaml",
        ),
        pytest.param("bad.json", '{\n  "alliance_name": "联盟",\n}\n', "第3行", id="bad-json"),
        pytest.param("list.yml", "- 联盟\n- 成员\n", "顶层", id="top-level-list"),
        pytest.param("empty.yaml", "", "顶层", id="empty-file"),
        pytest.param("application.txt", "alliance_name: 联盟\n", ".yaml", id="wrong-suffix"),
    ],
)
def test_unreadable_file_is_one_file_problem(tmp_path, name, content, term):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ApplicationInvalid) as raised:
        load_application_file(path)

    assert [p.field for p in raised.value.problems] == ["file"]
    assert term in raised.value.problems[0].zh


def test_missing_file_is_a_file_problem(tmp_path):
    with pytest.raises(ApplicationInvalid) as raised:
        load_application_file(tmp_path / "absent.yaml")

    assert [p.field for p in raised.value.problems] == ["file"]


def test_material_from_file_records_name_and_sha256(tmp_path):
    path = tmp_path / "营业执照-鞍山菱镁新材料科技有限公司.pdf"
    path.write_bytes(b"%PDF-1.7 licence copy")

    material = material_from_file(MaterialKind.LICENCE_COPY, path, "91210300PUEWHWT8W1")

    assert material.name == path.name
    assert material.sha256 == hashlib.sha256(b"%PDF-1.7 licence copy").hexdigest()
    assert material.member_credit_code == "91210300PUEWHWT8W1"
