"""Recognition documents (article 9.5) and the five-year term (article 11): pure rules."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel

from domain.districts import DISTRICT_ZH
from domain.procedure import ProcedureState
from domain.term import TermState, term_end_for


class CertificateRequest(BaseModel):
    alliance_code: str
    alliance_name: str
    lead_unit: str
    members: list[str]
    district_name: str
    recognised_on: date
    term: int = 1
    approval_document_number: str | None = None  # staff recorded it; None: from the counter


def first_certificate(
    procedure: ProcedureState, recognised_on: date, approval_document_number: str | None = None
) -> CertificateRequest:
    """9.5: the certificate of a just-recognised alliance, dated by its approval document."""
    app = procedure.application
    return CertificateRequest(
        alliance_code=procedure.alliance_code,
        alliance_name=app.alliance_name,
        lead_unit=app.lead_unit,
        members=[m.name for m in app.members],
        district_name=DISTRICT_ZH[app.district],
        recognised_on=recognised_on,
        approval_document_number=approval_document_number,
    )


def renewed_certificate(term: TermState) -> CertificateRequest:
    """Article 12: a passed final assessment renews the certificate from the day after."""
    return CertificateRequest(
        alliance_code=term.alliance_code,
        alliance_name=term.alliance_name,
        lead_unit=term.lead_unit,
        members=[m.name for m in term.members],
        district_name=DISTRICT_ZH[term.district],
        recognised_on=term.term_end + timedelta(days=1),
        term=term.term_no + 1,
    )


def valid_until(recognised_on: date) -> date:
    """The last day of the term: the day before the fifth anniversary of recognition."""
    return term_end_for(recognised_on)


def format_number(fmt: str, year: int, seq: int) -> str:
    """A document number from a configured format such as `鞍科批〔{year}〕{seq}号`."""
    return fmt.format(year=year, seq=seq)


def chinese_date(d: date) -> str:
    """2026年10月12日, as printed on official documents."""
    return f"{d.year}年{d.month}月{d.day}日"
