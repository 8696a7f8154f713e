"""Recognition documents (article 9.5) and the five-year term (article 11): pure rules."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel

TERM_YEARS = 5  # 市级联盟认定有效期为5年 (article 11)


class CertificateRequest(BaseModel):
    alliance_code: str
    alliance_name: str
    lead_unit: str
    members: list[str]
    district_name: str
    recognised_on: date
    term: int = 1


def valid_until(recognised_on: date) -> date:
    """The last day of the term: the day before the fifth anniversary of recognition.

    A recognition on 29 February has its anniversary on 1 March in a common year, so the
    term never falls short of five full years and ends on 28 February.
    """
    try:
        anniversary = recognised_on.replace(year=recognised_on.year + TERM_YEARS)
    except ValueError:
        anniversary = date(recognised_on.year + TERM_YEARS, 3, 1)
    return anniversary - timedelta(days=1)


def format_number(fmt: str, year: int, seq: int) -> str:
    """A document number from a configured format such as `鞍科批〔{year}〕{seq}号`."""
    return fmt.format(year=year, seq=seq)


def chinese_date(d: date) -> str:
    """2026年10月12日, as printed on official documents."""
    return f"{d.year}年{d.month}月{d.day}日"
