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
    TermStatus,
    milestones,
    next_term,
    report_years,
    skip_past,
    term_end_for,
)

SAMPLE = load_application_file(PROJECT_ROOT / "samples" / "application-sample.yaml")


def first_term(start: date) -> TermState:
    return TermState(
        alliance_code="2026-0001",
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
    assert state.term_end == date(2032, 1, 9)
    last_inside = 2031

    renewed = next_term(state)
    skip_past(renewed, start_of_day(renewed.term_start))
    chased = {m.kind for m in milestones(renewed) if m.year == last_inside}
    assert chased == {MilestoneKind.REPORT_ESCALATION, MilestoneKind.REPORT_FINAL_REMINDER}
    assert last_inside in report_years(renewed)


def test_the_december_of_the_year_a_term_ends_is_asked_for_on_the_usual_days():
    # Article 11: every December of the recognised life. Term 1 (2026-12-19 .. 2031-12-18)
    # asks for 2031 too; its reminders 30 and 14 days before fall inside term 1 ...
    state = first_term(date(2026, 12, 19))
    assert report_years(state) == [2027, 2028, 2029, 2030, 2031]
    state.reports = [accepted(y) for y in (2027, 2028, 2029, 2030)]
    in_term_one = [
        m for m in milestones(state) if m.year == 2031 and m.at < start_of_day(date(2031, 12, 19))
    ]
    assert [(m.kind, m.at.date()) for m in in_term_one] == [
        (MilestoneKind.REPORT_REMINDER, date(2031, 12, 1)),
        (MilestoneKind.REPORT_REMINDER, date(2031, 12, 17)),
    ]
    state.done = [m.key for m in in_term_one]

    # ... and after the renewal on 19 December the rest run on their days, once each.
    renewed = next_term(state)
    skip_past(renewed, start_of_day(renewed.term_start))
    rest = [(m.kind, m.at.date()) for m in milestones(renewed) if m.year == 2031]
    assert rest[:3] == [
        (MilestoneKind.REPORT_REMINDER, date(2031, 12, 24)),
        (MilestoneKind.REPORT_REMINDER, date(2031, 12, 30)),
        (MilestoneKind.REPORT_OVERDUE, date(2032, 1, 1)),
    ]
    assert renewed.carried_years == [2031]
    assert report_years(renewed) == [2031, 2032, 2033, 2034, 2035, 2036]


def test_a_term_that_ends_without_renewal_owes_no_report_after_its_end():
    state = first_term(date(2026, 12, 19))
    state.status = TermStatus.EXPIRED
    assert milestones(state) == []


def accepted(year: int) -> ReportRecord:
    submitted_at = datetime(year, 12, 1, tzinfo=SHANGHAI)
    return ReportRecord(year=year, status="accepted", submitted_at=submitted_at)


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
    assert report_years(renewed) == [2032, 2033, 2034, 2035, 2036]  # 2031 was term 1's


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
