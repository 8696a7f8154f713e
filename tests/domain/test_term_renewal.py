"""A renewed term picks up where the last one stopped (article 12: 继续保持其市级联盟资格)."""

from __future__ import annotations

from datetime import date, datetime

from domain.application_file import load_application_file
from domain.settings import PROJECT_ROOT
from domain.shanghai_time import SHANGHAI, start_of_day
from domain.term import (
    MilestoneKind,
    ReportRecord,
    TermState,
    milestones,
    next_term,
    report_years,
    skip_past,
    term_end_for,
)

SAMPLE = load_application_file(PROJECT_ROOT / "samples" / "application-sample.yaml")


def first_term(start: date) -> TermState:
    return TermState(
        alliance_code=SAMPLE.alliance_code(),
        alliance_name=SAMPLE.alliance_name,
        district=SAMPLE.district,
        lead_unit=SAMPLE.lead_unit,
        members=SAMPLE.members,
        contacts=SAMPLE.contacts,
        term_start=start,
        term_end=term_end_for(start),
        tracking_from=start_of_day(start),
    )


def test_a_report_still_missing_when_the_term_renews_keeps_being_chased():
    # A term ending on 9 January: its last December's escalation falls in the next term.
    state = first_term(date(2027, 1, 10))
    last_year = report_years(state)[-1]
    assert last_year == 2031 and state.term_end == date(2032, 1, 9)

    renewed = next_term(state)
    skip_past(renewed, start_of_day(renewed.term_start))
    chased = {m.kind for m in milestones(renewed) if m.year == last_year}
    assert chased == {MilestoneKind.REPORT_ESCALATION, MilestoneKind.REPORT_FINAL_REMINDER}
    assert last_year in report_years(renewed)


def test_a_renewed_term_starts_the_day_after_and_forgets_finished_business():
    state = first_term(date(2026, 12, 19))
    state.reports = [
        ReportRecord(year=y, status="accepted", submitted_at=datetime(y, 12, 1, tzinfo=SHANGHAI))
        for y in report_years(state)
    ]
    renewed = next_term(state)
    assert (renewed.term_no, renewed.term_start) == (2, date(2031, 12, 19))
    assert renewed.term_end == date(2036, 12, 18)
    assert renewed.reports == [] and renewed.carried_years == []
    assert report_years(renewed) == [2031, 2032, 2033, 2034, 2035]


def test_a_report_waiting_for_review_at_renewal_can_still_be_reviewed():
    state = first_term(date(2026, 12, 19))
    waiting = ReportRecord(
        year=2030, status="submitted", submitted_at=datetime(2030, 12, 20, tzinfo=SHANGHAI)
    )
    state.reports = [waiting]
    renewed = next_term(state)
    assert renewed.report(2030) == waiting
    assert 2030 in report_years(renewed)
    assert all(m.year != 2030 for m in milestones(renewed))  # nothing to chase, only review
