"""Recognition documents (article 9.5) and the five-year term (article 11): pure rules."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from domain.term import term_end_for


class CertificateRequest(BaseModel):
    alliance_code: str
    alliance_name: str
    lead_unit: str
    members: list[str]
    district_name: str
    recognised_on: date
    term: int = 1


def valid_until(recognised_on: date) -> date:
    """The last day of the term: the day before the fifth anniversary of recognition."""
    return term_end_for(recognised_on)


def format_number(fmt: str, year: int, seq: int) -> str:
    """A document number from a configured format such as `鞍科批〔{year}〕{seq}号`."""
    return fmt.format(year=year, seq=seq)


def chinese_date(d: date) -> str:
    """2026年10月12日, as printed on official documents."""
    return f"{d.year}年{d.month}月{d.day}日"
