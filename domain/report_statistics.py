"""联盟年度创新资源统计 (article 11): the figures an alliance reports each year.

Each figure is declared once, in `ResourceStatistics`, with its range (`domain.input_rules`)
and its label and unit in Chinese and English; the report form, the alliance page, the
operator commands, the sample report file and every refusal take them from `FIGURES`.

The bureau asks for more figures than the first reports gave (platforms, members' funds,
government funding, commercialisation, new products, licences, talents). Reports already
stored, in running workflows, saved histories and the registry, lack these: they load with
None, shown as 未填报 rather than as 0. A new submission must give every figure
(`domain.term_actions.check_report_submission`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel

from domain.input_rules import ACTION_FIELD_ZH, Count, MoneyWan


@dataclass(frozen=True)
class Figure:
    label_zh: str
    unit_zh: str
    label_en: str
    unit_en: str

    @property
    def title_zh(self) -> str:
        """研发投入（万元）: how forms and refusals name the figure."""
        return f"{self.label_zh}（{self.unit_zh}）"

    @property
    def title_en(self) -> str:
        return f"{self.label_en} ({self.unit_en})"

    @property
    def money(self) -> bool:
        """An amount in 万元, which may have decimals; every other figure is a whole count."""
        return self.unit_zh == "万元"


class ResourceStatistics(BaseModel):
    """联盟年度创新资源统计 (article 11). Each figure must be a plausible count or amount
    (`domain.input_rules`), so a wrong one is refused, naming it, before it is sent."""

    rd_spending_wan: Annotated[MoneyWan, Figure("研发投入", "万元", "R&D spending", "10k yuan")]
    researchers: Annotated[Count, Figure("研发人员", "人", "Researchers", "people")]
    joint_projects: Annotated[Count, Figure("联合攻关项目", "项", "Joint projects", "projects")]
    patents_applied: Annotated[Count, Figure("申请专利", "件", "Patents applied", "patents")]
    patents_granted: Annotated[Count, Figure("授权专利", "件", "Patents granted", "patents")]
    standards_drafted: Annotated[Count, Figure("制定标准", "项", "Standards drafted", "standards")]
    technology_transfers: Annotated[
        Count, Figure("技术转移", "项", "Technology transfers", "transfers")
    ]
    people_trained: Annotated[Count, Figure("培养人才", "人", "People trained", "people")]
    # Asked for after the first reports were stored: None in those, required of new ones.
    platforms: Annotated[
        Count | None,
        Figure("技术创新平台建设或共享", "个", "Technology platforms built or shared", "platforms"),
    ] = None
    member_funds_invested_wan: Annotated[
        MoneyWan | None,
        Figure("成员单位实际投入经费", "万元", "Funds invested by members", "10k yuan"),
    ] = None
    government_funding_wan: Annotated[
        MoneyWan | None,
        Figure("获得政府资金支持", "万元", "Government funding received", "10k yuan"),
    ] = None
    achievements_commercialised: Annotated[
        Count | None,
        Figure("科技成果转化", "项", "Achievements commercialised", "achievements"),
    ] = None
    commercialisation_income_wan: Annotated[
        MoneyWan | None,
        Figure("成果转化收入", "万元", "Commercialisation income", "10k yuan"),
    ] = None
    new_products: Annotated[Count | None, Figure("新产品", "项", "New products", "products")] = None
    ip_licensed: Annotated[
        Count | None, Figure("知识产权许可", "项", "IP licensed", "licences")
    ] = None
    talents_introduced: Annotated[
        Count | None, Figure("引进人才", "人", "Talents introduced", "people")
    ] = None


FIGURES: dict[str, Figure] = {
    name: next(m for m in info.metadata if isinstance(m, Figure))
    for name, info in ResourceStatistics.model_fields.items()
}

# An amount reported while the count it comes from is 0 is a slip: (amount, count).
AMOUNT_NEEDS_COUNT = (
    ("rd_spending_wan", "researchers"),
    ("commercialisation_income_wan", "achievements_commercialised"),
)

# A refusal names a figure as the form does: 研发投入（万元）应在0至10000000之间.
ACTION_FIELD_ZH.update({name: figure.title_zh for name, figure in FIGURES.items()})


def missing_figures(statistics: ResourceStatistics) -> list[str]:
    """The figures not given, in the table's order."""
    return [name for name in FIGURES if getattr(statistics, name) is None]


def unsupported_amounts(statistics: ResourceStatistics) -> list[tuple[str, str]]:
    """(amount, count) pairs where an amount above 0 is reported with the count at 0."""
    return [
        (amount, count)
        for amount, count in AMOUNT_NEEDS_COUNT
        if (getattr(statistics, amount) or 0) > 0 and getattr(statistics, count) == 0
    ]


def shown(value: Any) -> str | None:
    """A figure as people read it (980.0 as 980, 1250.5 as is), or None when not reported."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def figures_shown(
    statistics: ResourceStatistics | Mapping[str, Any] | None,
) -> list[tuple[Figure, str | None]]:
    """Every figure with its value as shown, None for one the report does not give.

    Takes a registry row's stored dict as well as the model: a report stored before a
    figure was asked for has no key for it, which reads as not reported, never as 0.
    """
    if statistics is None:
        stored: Mapping[str, Any] = {}
    elif isinstance(statistics, ResourceStatistics):
        stored = statistics.model_dump()
    else:
        stored = statistics
    return [(figure, shown(stored.get(name))) for name, figure in FIGURES.items()]


@dataclass(frozen=True)
class FigureTotal:
    """One figure added up over several reports (the bureau's yearly total)."""

    name: str
    figure: Figure
    total: int | float
    not_reported: int  # reports among those added up that do not give this figure

    @property
    def shown(self) -> str:
        return shown(self.total) or "0"


def add_up(reports: Iterable[Mapping[str, Any] | None]) -> list[FigureTotal]:
    """Every figure summed over the reports' stored statistics, in the table's order.

    A figure a report does not give (stored before it was asked for) adds nothing and is
    counted in `not_reported`, so a total is never mistaken for a complete one. Amounts
    are added as decimals: 1250.5 + 980.3 is 2230.8, not 2230.8000000000002.
    """
    stored = [report or {} for report in reports]
    totals = []
    for name, figure in FIGURES.items():
        given = [report[name] for report in stored if report.get(name) is not None]
        total = sum((Decimal(str(value)) for value in given), Decimal(0))
        totals.append(
            FigureTotal(
                name=name,
                figure=figure,
                total=float(total) if figure.money and total != total.to_integral() else int(total),
                not_reported=len(stored) - len(given),
            )
        )
    return totals
