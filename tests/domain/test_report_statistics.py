"""Article 11's 联盟年度创新资源统计: every figure labelled, in range, complete in a new report.

Reports stored before the bureau asked for platforms, funds, commercialisation, new
products, licences and talents keep their eight figures and read as 未填报 for the rest.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from domain.input_rules import COUNT_MAX, MONEY_MAX_WAN, refusals
from domain.procedure import ActionRefused
from domain.report_statistics import FIGURES, add_up, figures_shown, missing_figures
from domain.term import AnnualReportSubmission, ReportRecord, ResourceStatistics, TermState
from domain.term_actions import check_report_submission
from tests.domain.test_term_schedule import ALLIANCE, fresh_term

SAMPLE_REPORT = Path(__file__).resolve().parents[2] / "samples" / "annual-report-sample.yaml"

# The figures a report carried before issue 8: a stored report has these and no others.
FIRST_EIGHT = {
    "rd_spending_wan": 1250.5,
    "researchers": 86,
    "joint_projects": 7,
    "patents_applied": 15,
    "patents_granted": 9,
    "standards_drafted": 2,
    "technology_transfers": 4,
    "people_trained": 120,
}

ASKED_LATER = [
    ("platforms", "技术创新平台建设或共享", "个"),
    ("member_funds_invested_wan", "成员单位实际投入经费", "万元"),
    ("government_funding_wan", "获得政府资金支持", "万元"),
    ("achievements_commercialised", "科技成果转化", "项"),
    ("commercialisation_income_wan", "成果转化收入", "万元"),
    ("new_products", "新产品", "项"),
    ("ip_licensed", "知识产权许可", "项"),
    ("talents_introduced", "引进人才", "人"),
]


def sample_report() -> dict[str, Any]:
    return yaml.safe_load(SAMPLE_REPORT.read_text(encoding="utf-8"))


def submission(statistics: dict[str, Any], year: int = 2027) -> AnnualReportSubmission:
    return AnnualReportSubmission.model_validate(
        {
            "request_id": f"report-{year}",
            "actor": ALLIANCE,
            "year": year,
            "summary": "完成镁碳砖长寿命化中试，联合申请发明专利6项。",
            "next_year_plan": "推进低品位菱镁矿浮选提纯产业化示范。",
            "statistics": statistics,
        }
    )


def complete(**changes: Any) -> dict[str, Any]:
    return sample_report()["statistics"] | changes


def refusal(state: TermState, action: AnnualReportSubmission) -> ActionRefused:
    with pytest.raises(ActionRefused) as refused:
        check_report_submission(state, action)
    return refused.value


# ---- the table: one label and unit per figure, in both languages


def test_every_figure_has_a_label_and_a_unit_in_chinese_and_english():
    assert list(FIGURES) == list(ResourceStatistics.model_fields)
    for figure in FIGURES.values():
        assert figure.label_zh and figure.unit_zh and figure.label_en and figure.unit_en
        assert figure.title_zh == f"{figure.label_zh}（{figure.unit_zh}）"
    assert len({f.label_zh for f in FIGURES.values()}) == len(FIGURES)


@pytest.mark.parametrize(
    ("name", "label_zh", "unit_zh"), ASKED_LATER, ids=[n for n, *_ in ASKED_LATER]
)
def test_what_the_bureau_reports_upward_is_asked_for(name, label_zh, unit_zh):
    figure = FIGURES[name]
    assert (figure.label_zh, figure.unit_zh) == (label_zh, unit_zh)
    assert figure.money == (unit_zh == "万元")


def test_the_sample_report_gives_every_figure_labelled_as_the_table_names_it():
    lines = SAMPLE_REPORT.read_text(encoding="utf-8").split("statistics:", 1)[1].splitlines()
    labelled = dict(re.findall(r"^  (\w+): \S+  # (\S+)$", "\n".join(lines), re.M))
    assert labelled == {name: figure.title_zh for name, figure in FIGURES.items()}
    check_report_submission(fresh_term(), submission(complete()))


# ---- ranges: a wrong figure is refused before it is sent, naming it


def out_of_range(name: str) -> list[Any]:
    high = MONEY_MAX_WAN if FIGURES[name].money else COUNT_MAX
    return [-1, high + 1] + ([float("inf"), float("nan")] if FIGURES[name].money else [])


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, value) for name in FIGURES for value in out_of_range(name)],
    ids=lambda v: str(v),
)
def test_a_figure_out_of_range_is_refused_naming_it(name, value):
    with pytest.raises(ValidationError) as raised:
        submission(complete(**{name: value}))
    [(field, zh, en)] = [tuple(r) for r in refusals(raised.value)]
    assert field == f"statistics.{name}"
    assert zh.startswith(f"创新资源统计的{FIGURES[name].title_zh}应在0至")
    assert en.startswith(f"statistics.{name} must be between 0 and")


def test_a_count_with_a_fraction_is_refused():
    with pytest.raises(ValidationError) as raised:
        submission(complete(new_products=2.5))
    assert [r.field for r in refusals(raised.value)] == ["statistics.new_products"]


# ---- old reports keep their fields


def test_a_report_stored_with_eight_figures_still_loads_and_the_rest_are_not_reported():
    stored = ResourceStatistics.model_validate(FIRST_EIGHT)
    assert stored.model_dump(include=set(FIRST_EIGHT)) == FIRST_EIGHT
    assert missing_figures(stored) == [name for name, *_ in ASKED_LATER]
    assert all(getattr(stored, name) is None for name, *_ in ASKED_LATER)
    record = ReportRecord.model_validate(
        {"year": 2027, "status": "accepted", "statistics": FIRST_EIGHT}
    )
    assert record.statistics == stored


@pytest.mark.parametrize(
    "stored",
    [FIRST_EIGHT, ResourceStatistics.model_validate(FIRST_EIGHT)],
    ids=["registry-row", "workflow-state"],
)
def test_an_older_report_shows_its_figures_and_not_reported_for_the_others(stored):
    shown = {figure.label_zh: value for figure, value in figures_shown(stored)}
    assert shown["研发投入"] == "1250.5" and shown["研发人员"] == "86"
    assert [shown[label] for _, label, _ in ASKED_LATER] == [None] * len(ASKED_LATER)


def test_a_figure_reported_as_zero_shows_zero_not_as_missing():
    shown = dict(figures_shown(ResourceStatistics.model_validate(complete(ip_licensed=0))))
    assert shown[FIGURES["ip_licensed"]] == "0"
    assert shown[FIGURES["member_funds_invested_wan"]] == "860"  # 860.0 万元 reads as 860


def test_a_report_with_no_statistics_shows_every_figure_as_not_reported():
    assert [value for _, value in figures_shown(None)] == [None] * len(FIGURES)


# ---- the bureau's yearly totals


def test_totals_add_every_figure_and_count_the_reports_that_do_not_give_it():
    sample = complete()
    totals = {t.name: t for t in add_up([sample, FIRST_EIGHT | {"rd_spending_wan": 980.3}, None])}
    assert list(totals) == list(FIGURES)
    assert totals["rd_spending_wan"].shown == "2230.8"  # 1250.5 + 980.3
    assert totals["researchers"].total == sample["researchers"] + FIRST_EIGHT["researchers"]
    assert totals["researchers"].not_reported == 1, "a report without statistics gives none"
    later = totals["talents_introduced"]
    assert (later.total, later.not_reported) == (sample["talents_introduced"], 2)
    assert isinstance(totals["new_products"].total, int)
    whole = add_up([{"member_funds_invested_wan": 860.0}, {"member_funds_invested_wan": 40}])
    assert [t.shown for t in whole if t.name == "member_funds_invested_wan"] == ["900"]
    tenths = add_up([{"government_funding_wan": 0.1}, {"government_funding_wan": 0.2}])
    assert 0.1 + 0.2 != 0.3
    assert [t.total for t in tenths if t.name == "government_funding_wan"] == [0.3], (
        "amounts add as decimals"
    )


def test_no_reports_add_up_to_zero_with_nothing_missing():
    assert {(t.total, t.not_reported) for t in add_up([])} == {(0, 0)}


# ---- a new submission gives every figure, and they agree with each other


def test_a_new_report_missing_the_later_figures_is_refused_naming_them():
    refused = refusal(fresh_term(), submission(FIRST_EIGHT))
    assert refused.zh == (
        "创新资源统计缺少技术创新平台建设或共享（个）、成员单位实际投入经费（万元）、"
        "获得政府资金支持（万元）、科技成果转化（项）、成果转化收入（万元）、新产品（项）、"
        "知识产权许可（项）、引进人才（人），请补填"
    )
    assert refused.en.startswith("the statistics lack Technology platforms built or shared")
    assert "Talents introduced (people)" in refused.en


def test_one_missing_figure_is_named_alone():
    figures = complete()
    del figures["government_funding_wan"]
    refused = refusal(fresh_term(), submission(figures))
    assert refused.zh == "创新资源统计缺少获得政府资金支持（万元），请补填"
    assert refused.en == "the statistics lack Government funding received (10k yuan)"


@pytest.mark.parametrize(
    ("changes", "zh", "en"),
    [
        pytest.param(
            {"researchers": 0},
            "填报了研发投入1250.5万元，但研发人员（人）为0，请核对创新资源统计",
            "R&D spending of 1250.5 (10k yuan) is reported with researchers at 0",
            id="rd_spending_without_researchers",
        ),
        pytest.param(
            {"achievements_commercialised": 0},
            "填报了成果转化收入415.8万元，但科技成果转化（项）为0，请核对创新资源统计",
            "Commercialisation income of 415.8 (10k yuan) is reported with"
            " achievements commercialised at 0",
            id="commercialisation_income_without_achievements",
        ),
    ],
)
def test_an_amount_without_what_it_comes_from_is_refused(changes, zh, en):
    refused = refusal(fresh_term(), submission(complete(**changes)))
    assert refused.zh == zh and refused.en.startswith(en)


def test_nothing_commercialised_and_no_income_is_accepted():
    figures = complete(achievements_commercialised=0, commercialisation_income_wan=0)
    check_report_submission(fresh_term(), submission(figures))
