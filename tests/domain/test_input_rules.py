"""Bad input stops at the door: one set of rules, each refusal naming its field in zh and en."""

from __future__ import annotations

import copy
import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from domain.application import Application
from domain.application_file import load_application_file
from domain.eligibility import ApplicationInvalid, Problem, parse_application
from domain.input_rules import (
    APPLICATION_FILE_MAX,
    EXPERTS_MAX,
    FREE_TEXT,
    FREE_TEXT_MAX,
    MEMBERS_MAX,
    NAME,
    NAME_MAX,
    PERSON_NAME,
    InputRefused,
    clean_text,
    payload_size,
    refusals,
)
from domain.procedure import (
    Actor,
    ExpertReview,
    MeetingDecision,
    ObjectionFiling,
    PanelMember,
    Role,
)
from domain.term import AnnualReportSubmission, ResourceStatistics, TermExtension

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "application-sample.yaml"
STAFF = Actor(name="钱职员", role=Role.BUREAU_STAFF)
INVISIBLE = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
]


def sample_data() -> dict[str, Any]:
    return yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))


def problems_of(data: Any) -> list[Problem]:
    with pytest.raises(ApplicationInvalid) as raised:
        parse_application(data)
    return raised.value.problems


def with_field(path: list[str | int], value: Any) -> dict[str, Any]:
    data = sample_data()
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


# ---- the text cleaner


@pytest.mark.parametrize(
    ("value", "kind", "zh", "en"),
    [
        pytest.param("鞍山\x00联盟", NAME, "第3个字符是空字符（U+0000）", "NUL", id="nul-in-name"),
        pytest.param(
            "x" * 101, NAME, "不能超过100个字符（现有101个）", "at most 100", id="101-chars"
        ),
        pytest.param(
            "名" * 300_000, NAME, "现有300000个", "(it has 300000)", id="300000-char-name"
        ),
        pytest.param(
            "长" * (5 * 1024 * 1024),
            FREE_TEXT,
            f"不能超过{FREE_TEXT_MAX}个字符",
            f"at most {FREE_TEXT_MAX} characters",
            id="5-mb-field",
        ),
        pytest.param("王\t芳", PERSON_NAME, "制表符", "one line of text", id="tab-in-person-name"),
        pytest.param("联盟\n秘书处", NAME, "只能填一行", "one line of text", id="newline-in-name"),
        pytest.param("联盟\r秘书处", NAME, "回车符", "carriage return", id="cr-in-name"),
        pytest.param("说明\x07", FREE_TEXT, "控制字符（U+0007）", "control character", id="bell"),
        pytest.param("说明\x7f", FREE_TEXT, "U+007F", "control character", id="del"),
        pytest.param("说明\x85", FREE_TEXT, "U+0085", "control character", id="c1-next-line"),
        pytest.param("说明\ud800", FREE_TEXT, "代理码位", "unpaired surrogate", id="surrogate"),
        pytest.param("说明\u2028", FREE_TEXT, "U+2028", "line separator", id="line-separator"),
        *(
            pytest.param(
                f"鞍山{char}联盟", NAME, f"U+{ord(char):04X}", "invisible", id=f"U+{ord(char):04X}"
            )
            for char in INVISIBLE
        ),
    ],
)
def test_refused_text_says_what_and_where_in_both_languages(value, kind, zh, en):
    with pytest.raises(InputRefused) as refused:
        clean_text(value, kind)

    assert zh in refused.value.zh
    assert en in refused.value.en
    assert len(refused.value.zh) < 200  # a huge input is never echoed back


@pytest.mark.parametrize(
    ("value", "kind", "stored"),
    [
        pytest.param("Cafe\u0301", NAME, "Caf\u00e9", id="nfc-composes"),
        pytest.param("\u212b", NAME, "\u00c5", id="nfc-angstrom-sign"),
        pytest.param("第一行\n\t第二行", FREE_TEXT, "第一行\n\t第二行", id="tab-newline-in-text"),
        pytest.param(
            "第一行\r\n第二行\r第三行", FREE_TEXT, "第一行\n第二行\n第三行", id="crlf-as-lf"
        ),
        pytest.param("x" * NAME_MAX, NAME, "x" * NAME_MAX, id="exactly-the-limit"),
        pytest.param("e\u0301" * NAME_MAX, NAME, "\u00e9" * NAME_MAX, id="limit-counts-composed"),
    ],
)
def test_accepted_text_is_stored_in_its_composed_form(value, kind, stored):
    assert clean_text(value, kind) == stored
    assert clean_text(stored, kind) == stored


# ---- the models: a refusal names its field and the limit


def refusal_of(build) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as raised:
        build()
    return [tuple(r) for r in refusals(raised.value)]


def report(**statistics: Any) -> AnnualReportSubmission:
    figures = dict.fromkeys(ResourceStatistics.model_fields, 1) | statistics
    return AnnualReportSubmission.model_validate(
        {
            "request_id": "r1",
            "actor": STAFF,
            "year": 2027,
            "summary": "总结",
            "next_year_plan": "计划",
            "statistics": figures,
        }
    )


@pytest.mark.parametrize(
    ("build", "field", "zh", "en"),
    [
        pytest.param(
            lambda: PanelMember(name="周专家", score=120),
            "score",
            "评分应在0至100之间（现为120）",
            "score must be between 0 and 100 (it is 120)",
            id="score-above-100",
        ),
        pytest.param(
            lambda: PanelMember(name="周专家", score=-1),
            "score",
            "应在0至100之间",
            "between 0 and 100",
            id="score-below-0",
        ),
        pytest.param(
            lambda: PanelMember(name="周专家", score=float("nan")),
            "score",
            "现为nan",
            "between 0 and 100",
            id="score-nan",
        ),
        pytest.param(
            lambda: ExpertReview(
                request_id="r1",
                actor=STAFF,
                organisation="评审中心",
                panel=[PanelMember(name=f"专家{i}", score=80) for i in range(EXPERTS_MAX + 1)],
                necessity_opinion="必要",
                feasibility_opinion="可行",
                passed=True,
            ),
            "panel",
            f"专家组最多{EXPERTS_MAX}项（现有{EXPERTS_MAX + 1}项）",
            f"panel may have at most {EXPERTS_MAX} entries",
            id="too-many-experts",
        ),
        pytest.param(
            lambda: report(patents_granted=-1),
            "statistics.patents_granted",
            "创新资源统计的授权专利（件）应在0至1000000之间",
            "statistics.patents_granted must be between 0 and 1000000",
            id="negative-statistic",
        ),
        pytest.param(
            lambda: report(rd_spending_wan=float("inf")),
            "statistics.rd_spending_wan",
            "研发投入（万元）应在0至10000000之间",
            "(it is inf)",
            id="infinite-spending",
        ),
        pytest.param(
            lambda: TermExtension(
                request_id="r1", actor=STAFF, until=date(9999, 12, 31), reason="延期"
            ),
            "until",
            "延期至应在2000-01-01至2100-12-31之间",
            "until must be between 2000-01-01 and 2100-12-31",
            id="term-extended-to-year-9999",
        ),
        pytest.param(
            lambda: MeetingDecision(
                request_id="r1",
                actor=STAFF,
                meeting_number="2026年第12次\x00",
                meeting_date=date(2026, 9, 1),
                approved=True,
            ),
            "meeting_number",
            "会议编号第10个字符是空字符",
            "meeting_number has a NUL character (U+0000) at character 10",
            id="nul-in-meeting-number",
        ),
        pytest.param(
            lambda: ObjectionFiling(request_id="r1", name="孙" * 51, contact="电话", text="异议"),
            "name",
            "姓名不能超过50个字符（现有51个）",
            "name must have at most 50 characters (it has 51)",
            id="objector-name-too-long",
        ),
        pytest.param(
            lambda: Actor(name="钱\u202e职员", role=Role.BUREAU_STAFF),
            "name",
            "双向文本控制符（U+202E）",
            "bidirectional text control (U+202E)",
            id="bidi-override-in-actor",
        ),
    ],
)
def test_action_refusal_names_the_field_and_the_limit(build, field, zh, en):
    found = refusal_of(build)

    assert [f for f, _, _ in found] == [field]
    assert zh in found[0][1]
    assert en in found[0][2]


# ---- the whole application (parse_application)


@pytest.mark.parametrize(
    ("path", "value", "field", "zh"),
    [
        pytest.param(
            ["alliance_name"], "鞍山\x00联盟", "alliance_name", "联盟名称第3个字符是空字符"
        ),
        pytest.param(
            ["members", 2, "name"], "辽宁\u200b科技大学", "members[2].name", "零宽字符（U+200B）"
        ),
        pytest.param(
            ["members", 1, "task"],
            "任" * (FREE_TEXT_MAX + 1),
            "members[1].task",
            "不能超过5000个字符",
        ),
        pytest.param(
            ["bodies", "executive", "responsible_person"],
            "李" * 51,
            "bodies.executive.responsible_person",
            "执行机构的责任人不能超过50个字符",
        ),
        pytest.param(
            ["funding", "project_funds_wan"],
            1e12,
            "funding.project_funds_wan",
            "合作创新项目经费（万元）应在0至10000000之间",
        ),
        pytest.param(
            ["contacts", 0, "email"], "a" * 250 + "@x.cn", "contacts[0].email", "不能超过254个字符"
        ),
        pytest.param(["district"], "区" * 10_000, "district", "不是可选的取值"),
    ],
)
def test_application_refusal_names_the_field_in_both_languages(path, value, field, zh):
    problems = problems_of(with_field(path, value))

    assert [p.field for p in problems] == [field]
    assert zh in problems[0].zh
    assert field in problems[0].en or problems[0].en.startswith("'")
    assert len(problems[0].zh) < 500  # the input is not echoed back whole


def test_more_members_than_the_limit_is_one_problem_on_the_list():
    data = sample_data()
    data["members"] = [copy.deepcopy(data["members"][0]) for _ in range(MEMBERS_MAX + 1)]

    problems = problems_of(data)

    assert "members" in [p.field for p in problems]
    refusal = next(p for p in problems if p.field == "members")
    assert refusal.zh == f"联盟成员最多{MEMBERS_MAX}项（现有{MEMBERS_MAX + 1}项）"
    assert refusal.en == f"members may have at most {MEMBERS_MAX} entries (it has 51)"


def test_an_application_over_256_kib_is_refused_naming_its_largest_part():
    # every field within its own limit, the whole too large
    data = sample_data()
    data["members"] = [dict(member, task="任" * FREE_TEXT_MAX) for member in data["members"] * 4]
    assert payload_size(data, APPLICATION_FILE_MAX) > 256 * 1024

    problems = problems_of(data)

    assert problems[0].field == "application"
    assert "超过256 KiB上限" in problems[0].zh
    assert re.search(r"“members\[\d\]\.task”", problems[0].zh)
    assert "256 KiB limit" in problems[0].en


def test_a_5_mb_field_is_refused_by_size_alone_naming_the_field():
    problems = problems_of(with_field(["innovation_goals"], "目标" * (2_500_000)))

    assert [p.field for p in problems] == ["application"]
    assert "“innovation_goals”" in problems[0].zh


def test_a_structure_that_refers_to_itself_is_refused():
    data = sample_data()
    data["members"].append(data["members"])

    problems = problems_of(data)

    assert [p.field for p in problems] == ["application"]


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path):
    bomb = ["a: &a ['鞍山联盟鞍山联盟鞍山联盟']"]
    bomb += [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(9)
    ]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join([*bomb, "alliance_name: *j"]), encoding="utf-8")
    started = time.monotonic()

    with pytest.raises(ApplicationInvalid) as refused:
        load_application_file(path)

    assert time.monotonic() - started < 5
    assert refused.value.problems[0].field == "application"


def test_a_file_over_1_mib_is_not_read(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("alliance_name: " + "x" * APPLICATION_FILE_MAX, encoding="utf-8")

    with pytest.raises(ApplicationInvalid) as refused:
        load_application_file(path)

    assert [p.field for p in refused.value.problems] == ["file"]
    assert "1024 KiB" in refused.value.problems[0].zh


def test_names_are_stored_composed_so_the_lead_unit_matches_its_member():
    data = sample_data()
    lead = data["lead_unit"]
    data["lead_unit"] = lead + "e\u0301"
    data["members"][0]["name"] = lead + "\u00e9"

    app = parse_application(data)

    assert app.lead_unit == app.members[0].name == lead + "\u00e9"
    assert Application.model_validate_json(app.model_dump_json()) == app
