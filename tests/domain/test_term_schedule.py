"""The five-year term as pure data (articles 11–13): dates, owed reports, milestones, refusals."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.application import MemberKind
from domain.application_file import load_application_file
from domain.procedure import ActionRefused, Actor, Recognition, Role
from domain.shanghai_time import SHANGHAI, at_local, end_of_day, local_date, start_of_day
from domain.term import (
    AnnualReportReview,
    AnnualReportSubmission,
    AssessmentKind,
    AssessmentRecord,
    AssessmentResult,
    Grade,
    MembershipChange,
    MilestoneKind,
    Rectification,
    RectificationExtension,
    ReportRecord,
    ReportStatus,
    ResourceStatistics,
    TermExtension,
    TermState,
    TermStatus,
    add_months,
    add_years,
    assessment_opens,
    milestones,
    report_due,
    report_years,
    skip_past,
    term_end_for,
)
from domain.term_actions import (
    check_assessment_result,
    check_membership_change,
    check_rectification_extension,
    check_report_review,
    check_report_submission,
    check_term_extension,
)
from domain.term_rules import TermRules

SAMPLE = load_application_file(
    Path(__file__).resolve().parents[2] / "samples" / "application-sample.yaml"
)
D = date.fromisoformat
RECOGNISED = D("2026-12-19")
STAFF = Actor(name="市科技局 刘敏", role=Role.BUREAU_STAFF)
ALLIANCE = Actor(name="联盟秘书处 李晓梅", role=Role.APPLICANT)

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


def term_state(
    start: date = RECOGNISED,
    *,
    term_no: int = 1,
    tracking_from: datetime | None = None,
    **changes,
) -> TermState:
    """A term of the sample alliance; tracked from the first instant of its first day."""
    return TermState(
        alliance_code="AS-LM-2026-001",
        alliance_name=SAMPLE.alliance_name,
        district=SAMPLE.district,
        lead_unit=SAMPLE.lead_unit,
        members=SAMPLE.members,
        contacts=SAMPLE.contacts,
        term_no=term_no,
        term_start=start,
        term_end=term_end_for(start),
        tracking_from=tracking_from or start_of_day(start),
        **changes,
    )


def fresh_term(**changes) -> TermState:
    """Recognised 2026-12-19; the term workflow starts tracking that morning."""
    return term_state(RECOGNISED, tracking_from=at_local(RECOGNISED, 10), **changes)


def renewal_of(state: TermState) -> Recognition:
    return Recognition(
        approval_document_number="鞍科发〔2031〕7号",
        certificate_serial="AS-LM-2031-001",
        plaque_number="AS-LM-2031-001",
        recognised_on=state.term_end,
        valid_until=term_end_for(state.term_end + timedelta(days=1)),
        certificate_document_id=1,
    )


# ---- term_end_for, add_years, add_months


@pytest.mark.parametrize(
    ("start", "last_day"),
    [
        ("2026-12-19", "2031-12-18"),
        ("2027-01-01", "2031-12-31"),
        ("2026-03-01", "2031-02-28"),
        ("2027-03-01", "2032-02-29"),  # the day before 1 March in a leap year
        ("2012-09-26", "2017-09-25"),
    ],
)
def test_term_runs_to_the_day_before_the_fifth_anniversary(start, last_day):
    assert term_end_for(D(start)) == D(last_day)


def test_term_recognised_on_29_february_runs_to_28_february():
    assert term_end_for(D("2028-02-29")) == D("2033-02-28")


@given(days.filter(lambda d: (d.month, d.day) != (2, 29)))
def test_term_always_spans_five_anniversaries(start):
    end = term_end_for(start)
    assert end + timedelta(days=1) == add_years(start, 5)
    assert (end - start).days + 1 in (365 * 5, 365 * 5 + 1, 365 * 5 + 2)


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        ("2026-12-19", 5, "2031-12-19"),
        ("2028-02-29", 5, "2033-03-01"),
        ("2028-02-29", 4, "2032-02-29"),
        ("2028-02-29", 20, "2048-02-29"),
    ],
)
def test_anniversary_of_29_february_falls_on_1_march_in_common_years(day, years, expected):
    assert add_years(D(day), years) == D(expected)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2026-01-31", 1, "2026-02-28"),
        ("2028-01-31", 1, "2028-02-29"),
        ("2026-05-31", 1, "2026-06-30"),
        ("2026-01-31", 30, "2028-07-31"),
        ("2025-08-31", 30, "2028-02-29"),
        ("2026-08-31", 30, "2029-02-28"),
        ("2026-12-19", 30, "2029-06-19"),
        ("2026-12-19", 54, "2031-06-19"),
        ("2026-11-30", 3, "2027-02-28"),
        ("2026-03-31", -1, "2026-02-28"),
        ("2026-01-15", -1, "2025-12-15"),
        ("2026-07-15", 0, "2026-07-15"),
    ],
)
def test_adding_months_lands_on_the_month_end_when_the_day_is_missing(day, months, expected):
    assert add_months(D(day), months) == D(expected)


@given(days, st.integers(min_value=-120, max_value=120))
def test_adding_months_moves_exactly_that_many_calendar_months(day, months):
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or (moved.day < day.day and (moved + timedelta(days=1)).day == 1)


# ---- report_years
#
# Article 11's Decembers follow the recognised life. Year Y is owed by a term exactly
# when all three hold:
#   * Y >= the start year, and Y > the start year for a first term (term_no 1) that
#     starts on or after the late-recognition cut-off MM-DD of its start year, and for a
#     renewed term that does not start on 1 January (its predecessor asked for that year);
#   * Y <= the year of the term's last day (the December of the year a term ends is asked
#     for by that term, so its reminders run on their usual days across a renewal);
#   * 31 December Y 23:59:59 Beijing >= tracking_from.


def owed_by_the_rule(state: TermState) -> list[int]:
    month, day = (int(x) for x in state.rules.late_recognition_month_day.split("-"))
    start = state.term_start
    late = state.term_no == 1 and start >= date(start.year, month, day)
    continued = state.term_no > 1 and start != date(start.year, 1, 1)
    return [
        year
        for year in range(start.year - 1, state.term_end.year + 2)
        if (year > start.year if late or continued else year >= start.year)
        and year <= state.term_end.year
        and end_of_day(date(year, 12, 31)) >= state.tracking_from
    ]


@pytest.mark.parametrize(
    ("start", "term_no", "tracking_from", "owed"),
    [
        # Recognised after 1 October: the first December is too close to report on.
        # The term ends 2031-12-18 and asks for the December of 2031 too.
        ("2026-12-19", 1, None, [2027, 2028, 2029, 2030, 2031]),
        ("2026-10-01", 1, None, [2027, 2028, 2029, 2030, 2031]),
        ("2026-09-30", 1, None, [2026, 2027, 2028, 2029, 2030, 2031]),
        # Term ends 2032-03-14: 2032-12-31 is after it, still this term's to ask for.
        ("2027-03-15", 1, None, [2027, 2028, 2029, 2030, 2031, 2032]),
        ("2027-01-01", 1, None, [2027, 2028, 2029, 2030, 2031]),
        # A renewed term goes on from the year after: the first term asked for 2031.
        ("2031-12-19", 2, None, [2032, 2033, 2034, 2035, 2036]),
        ("2031-12-31", 2, None, [2032, 2033, 2034, 2035, 2036]),
        ("2032-01-01", 2, None, [2032, 2033, 2034, 2035, 2036]),
        # A term 2022-09-26 to 2027-09-25 taken over on 2026-11-26 (article 13).
        ("2022-09-26", 3, "2026-11-26T10:00", [2026, 2027]),
        # Taken over on 1 January: the December just gone is not chased.
        ("2022-09-26", 3, "2027-01-01T00:00", [2027]),
        # The deadline instant itself is still tracked.
        ("2022-09-26", 3, "2026-12-31T23:59:59", [2026, 2027]),
    ],
)
def test_reports_owed_by_a_term(start, term_no, tracking_from, owed):
    since = (
        datetime.fromisoformat(tracking_from).replace(tzinfo=SHANGHAI) if tracking_from else None
    )
    state = term_state(D(start), term_no=term_no, tracking_from=since)
    assert report_years(state) == owed


@pytest.mark.parametrize(
    ("cut_off", "start", "first_owed"),
    [
        ("12-01", "2026-11-30", 2026),
        ("12-01", "2026-12-01", 2027),
        ("01-01", "2026-01-01", 2027),
    ],
)
def test_late_recognition_cut_off_is_a_rule_staff_can_set(cut_off, start, first_owed):
    rules = TermRules(late_recognition_month_day=cut_off)
    assert report_years(term_state(D(start), rules=rules))[0] == first_owed


@given(
    days,
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=-400, max_value=6 * 366),
)
def test_owed_years_follow_the_stated_rule(start, term_no, tracking_offset):
    tracking_from = start_of_day(start) + timedelta(days=tracking_offset, hours=9)
    state = term_state(start, term_no=term_no, tracking_from=tracking_from)
    assert report_years(state) == owed_by_the_rule(state)


@given(days)
def test_renewed_term_picks_up_every_year_the_first_term_leaves_once(start):
    first = term_state(start, term_no=1)
    second_start = first.term_end + timedelta(days=1)
    second = term_state(second_start, term_no=2)
    together = report_years(first) + report_years(second)
    late = start >= date(start.year, 10, 1)
    expected_first = start.year + 1 if late else start.year
    assert together == list(range(expected_first, expected_first + len(together)))
    assert max(Counter(together).values()) == 1


@given(days)
def test_a_first_term_owes_five_or_six_reports(start):
    state = term_state(start)
    assert len(report_years(state)) in (5, 6)


# ---- milestones

REPORT_2027 = [
    ("report:2027:reminder:30", MilestoneKind.REPORT_REMINDER, "2027-12-01"),
    ("report:2027:reminder:14", MilestoneKind.REPORT_REMINDER, "2027-12-17"),
    ("report:2027:reminder:7", MilestoneKind.REPORT_REMINDER, "2027-12-24"),
    ("report:2027:reminder:1", MilestoneKind.REPORT_REMINDER, "2027-12-30"),
    ("report:2027:overdue", MilestoneKind.REPORT_OVERDUE, "2028-01-01"),
    # Escalation is 09:00 on 31 December + report_grace_days (30), i.e. 30 January.
    ("report:2027:escalation", MilestoneKind.REPORT_ESCALATION, "2028-01-30"),
    # One more reminder to the alliance report_final_reminder_days (7) after escalation.
    ("report:2027:final_reminder", MilestoneKind.REPORT_FINAL_REMINDER, "2028-02-06"),
]


@pytest.mark.parametrize(("key", "kind", "day"), REPORT_2027, ids=[k for k, _, _ in REPORT_2027])
def test_unsent_report_is_chased_at_0900_beijing_on_days_counted_from_31_december(key, kind, day):
    by_key = {m.key: m for m in milestones(fresh_term())}
    step = by_key[key]
    assert step.kind == kind
    assert step.at == at_local(D(day), 9)
    assert step.at.utcoffset() == timedelta(hours=8)
    assert step.year == 2027
    assert step.due == end_of_day(D("2027-12-31"))


def test_unsent_report_is_escalated_to_staff_thirty_days_after_31_december_not_after_1_january():
    by_key = {m.key: m for m in milestones(fresh_term())}
    overdue, escalation = by_key["report:2027:overdue"], by_key["report:2027:escalation"]
    assert local_date(escalation.at) - local_date(report_due(2027)) == timedelta(days=30)
    assert local_date(escalation.at) - local_date(overdue.at) == timedelta(days=29)


def test_every_owed_year_and_only_those_gets_report_reminders():
    reminded = {m.year for m in milestones(fresh_term()) if m.kind == MilestoneKind.REPORT_REMINDER}
    assert reminded == {2027, 2028, 2029, 2030, 2031}


@pytest.mark.parametrize("status", ["submitted", "accepted"])
def test_report_handed_in_is_no_longer_chased(status):
    record = ReportRecord(year=2027, status=status, submitted_at=at_local(D("2027-11-20"), 15))
    steps = milestones(fresh_term(reports=[record]))
    assert not [m for m in steps if m.year == 2027]
    assert [m for m in steps if m.year == 2028]


def test_returned_report_is_overdue_one_second_after_its_resubmission_deadline():
    resubmit_by = end_of_day(D("2028-01-15"))
    record = ReportRecord(year=2027, status="returned", versions=2, resubmit_by=resubmit_by)
    steps = [m for m in milestones(fresh_term(reports=[record])) if m.year == 2027]
    assert len(steps) == 1
    (step,) = steps
    assert step.kind == MilestoneKind.REPORT_RESUBMISSION_OVERDUE
    assert step.key == "report:2027:resubmission_overdue:2"
    assert step.at == at_local(D("2028-01-16"), 0)
    assert step.due == resubmit_by


@pytest.mark.parametrize(
    ("recognised_on", "kind", "opens"),
    [
        ("2026-12-19", AssessmentKind.MIDTERM, "2029-06-19"),
        ("2026-12-19", AssessmentKind.FINAL, "2031-06-19"),
        ("2026-08-31", AssessmentKind.MIDTERM, "2029-02-28"),
        ("2025-08-31", AssessmentKind.MIDTERM, "2028-02-29"),
        ("2026-08-31", AssessmentKind.FINAL, "2031-02-28"),
    ],
)
def test_assessment_opens_at_0900_beijing_30_and_54_months_after_recognition(
    recognised_on, kind, opens
):
    state = term_state(D(recognised_on))
    (step,) = [
        m
        for m in milestones(state)
        if m.kind == MilestoneKind.ASSESSMENT_OPEN and m.assessment == kind
    ]
    assert step.at == at_local(D(opens), 9) == assessment_opens(state, kind)


def test_opened_assessment_reminds_before_materials_are_due_and_flags_a_missing_result():
    due = end_of_day(D("2029-07-19"))
    record = AssessmentRecord(kind=AssessmentKind.MIDTERM, materials_due=due)
    steps = {m.key: m.at for m in milestones(fresh_term(assessments=[record]))}
    assert "term1:midterm:open" not in steps
    assert steps["term1:midterm:reminder:7"] == at_local(D("2029-07-12"), 9)
    assert steps["term1:midterm:reminder:1"] == at_local(D("2029-07-18"), 9)
    assert steps["term1:midterm:overdue"] == at_local(D("2029-07-20"), 9)
    assert steps["term1:midterm:result_overdue"] == at_local(D("2029-08-18"), 9)


def test_term_end_and_the_staff_alert_thirty_days_before():
    steps = {m.kind: m for m in milestones(fresh_term())}
    assert steps[MilestoneKind.TERM_END].at == at_local(D("2031-12-19"), 0)
    assert steps[MilestoneKind.TERM_END].due == end_of_day(D("2031-12-18"))
    assert steps[MilestoneKind.TERM_ENDING].at == at_local(D("2031-11-18"), 9)


def test_term_end_moves_with_a_staff_extension():
    steps = {m.kind: m for m in milestones(fresh_term(extended_until=D("2032-06-30")))}
    assert steps[MilestoneKind.TERM_END].at == at_local(D("2032-07-01"), 0)
    assert steps[MilestoneKind.TERM_END].key == "term1:end:2032-06-30"
    assert steps[MilestoneKind.TERM_ENDING].at == at_local(D("2032-05-31"), 9)
    assert steps[MilestoneKind.TERM_ENDING].key == "term1:ending:2032-06-30"


def test_extension_brings_back_term_end_steps_already_handled_for_the_old_end():
    state = fresh_term(done=["term1:ending:", "term1:end:"])
    assert not {MilestoneKind.TERM_ENDING, MilestoneKind.TERM_END} & {
        m.kind for m in milestones(state)
    }
    state.extended_until = D("2032-06-30")
    assert {MilestoneKind.TERM_ENDING, MilestoneKind.TERM_END} <= {
        m.kind for m in milestones(state)
    }


def graded_final() -> AssessmentRecord:
    return AssessmentRecord(
        kind=AssessmentKind.FINAL,
        materials_due=end_of_day(D("2031-07-19")),
        materials_submitted_at=at_local(D("2031-07-10"), 10),
        grade=Grade.GOOD,
        recorded_at=at_local(D("2031-08-01"), 10),
    )


def ungraded_final() -> AssessmentRecord:
    return graded_final().model_copy(update={"grade": None, "recorded_at": None})


@pytest.mark.parametrize(
    ("changes", "alerted"),
    [
        pytest.param({}, True, id="no_final_assessment_yet"),
        pytest.param({"assessments": [ungraded_final()]}, True, id="final_without_result"),
        pytest.param({"assessments": [graded_final()]}, False, id="final_result_recorded"),
        pytest.param({"renewal": renewal_of(fresh_term())}, False, id="renewal_granted"),
    ],
)
def test_staff_are_alerted_of_a_term_ending_only_without_a_final_result(changes, alerted):
    kinds = {m.kind for m in milestones(fresh_term(**changes))}
    assert (MilestoneKind.TERM_ENDING in kinds) is alerted
    assert MilestoneKind.TERM_END in kinds


@pytest.mark.parametrize("status", [TermStatus.REVOKED, TermStatus.EXPIRED, TermStatus.WITHDRAWN])
def test_ended_alliance_gets_no_more_reminders(status):
    assert milestones(fresh_term(status=status)) == []


def test_rectification_reminds_before_its_deadline_and_is_overdue_just_after_it():
    rectification = Rectification(due=end_of_day(D("2029-12-31")))
    state = fresh_term(status=TermStatus.RECTIFICATION, rectification=rectification)
    steps = {m.key: m.at for m in milestones(state)}
    assert steps["rectification:first:reminder:14"] == at_local(D("2029-12-17"), 9)
    assert steps["rectification:first:reminder:3"] == at_local(D("2029-12-28"), 9)
    assert steps["rectification:first:overdue"] == at_local(D("2030-01-01"), 0)


def test_handled_milestone_is_not_scheduled_again():
    state = fresh_term(done=["report:2027:reminder:30"])
    assert "report:2027:reminder:30" not in {m.key for m in milestones(state)}
    assert "report:2027:reminder:14" in {m.key for m in milestones(state)}


@st.composite
def term_states(draw) -> TermState:
    """A term somewhere in its life: reports in every status, assessments in every phase."""
    start = draw(days)
    state = term_state(start, term_no=draw(st.integers(min_value=1, max_value=4)))
    for year in report_years(state):
        status = draw(st.sampled_from(["missing", "due", "submitted", "returned", "accepted"]))
        if status == "missing":
            continue
        resubmit_by = None
        if status == "returned":
            resubmit_by = end_of_day(
                D(f"{year + 1}-01-01") + timedelta(days=draw(st.integers(0, 60)))
            )
        versions = 0 if status == "due" else draw(st.integers(min_value=1, max_value=3))
        state.reports.append(
            ReportRecord(year=year, status=status, versions=versions, resubmit_by=resubmit_by)
        )
    for kind in AssessmentKind:
        phase = draw(st.sampled_from(["closed", "open", "handed_in", "graded"]))
        if phase == "closed":
            continue
        opened = local_date(assessment_opens(state, kind))
        state.assessments.append(
            AssessmentRecord(
                kind=kind,
                materials_due=end_of_day(opened + timedelta(days=30)),
                materials_submitted_at=None if phase == "open" else at_local(opened, 15),
                grade=Grade.PASS if phase == "graded" else None,
            )
        )
    if draw(st.booleans()):
        state.status = TermStatus.RECTIFICATION
        midterm = local_date(assessment_opens(state, AssessmentKind.MIDTERM))
        state.rectification = Rectification(
            due=end_of_day(midterm + timedelta(days=draw(st.integers(60, 400)))),
            extended=draw(st.booleans()),
        )
    if draw(st.booleans()):
        state.extended_until = state.term_end + timedelta(days=draw(st.integers(1, 365)))
    if draw(st.booleans()):
        state.renewal = renewal_of(state)
    return state


def instants_around(state: TermState):
    first = start_of_day(state.term_start) - timedelta(days=30)
    return st.integers(min_value=0, max_value=7 * 366 * 24 * 3600).map(
        lambda seconds: first + timedelta(seconds=seconds)
    )


@given(term_states())
def test_milestones_come_earliest_first_and_each_once(state):
    steps = milestones(state)
    assert [m.at for m in steps] == sorted(m.at for m in steps)
    assert len({m.key for m in steps}) == len(steps)


@given(st.data())
def test_skipping_the_past_drops_only_reminders_and_deadlines_behind(data):
    state = data.draw(term_states())
    now = data.draw(instants_around(state))
    ahead = [m for m in milestones(state) if m.at >= now]
    owed = {MilestoneKind.ASSESSMENT_OPEN, MilestoneKind.TERM_ENDING, MilestoneKind.TERM_END}
    skip_past(state, now)
    assert [m for m in milestones(state) if m.at >= now] == ahead
    assert {m.kind for m in milestones(state) if m.at < now} <= owed


# ---- term_actions: refusals a clerk sees


def statistics(**changes) -> ResourceStatistics:
    return ResourceStatistics(
        rd_spending_wan=320.5,
        researchers=46,
        joint_projects=3,
        patents_applied=6,
        patents_granted=2,
        standards_drafted=1,
        technology_transfers=2,
        people_trained=12,
        platforms=1,
        member_funds_invested_wan=210.0,
        government_funding_wan=80.0,
        achievements_commercialised=1,
        commercialisation_income_wan=56.0,
        new_products=2,
        ip_licensed=1,
        talents_introduced=4,
    ).model_copy(update=changes)


def report(year: int = 2027, actor: Actor = ALLIANCE, **changes) -> AnnualReportSubmission:
    return AnnualReportSubmission(
        request_id=f"report-{year}-{actor.role.value}",
        actor=actor,
        year=year,
        summary="完成镁碳砖长寿命化中试，联合申请发明专利6项。",
        next_year_plan="推进低品位菱镁矿浮选提纯产业化示范。",
        statistics=statistics(),
    ).model_copy(update=changes)


def review(year: int = 2027, actor: Actor = STAFF) -> AnnualReportReview:
    return AnnualReportReview(request_id=f"review-{year}", actor=actor, year=year, accepted=True)


def midterm_result(actor: Actor = STAFF) -> AssessmentResult:
    return AssessmentResult(
        request_id="midterm-result",
        actor=actor,
        kind=AssessmentKind.MIDTERM,
        grade=Grade.GOOD,
        opinion="联盟运行规范，攻关任务按计划推进。",
    )


def rectification_extension(days: int = 30) -> RectificationExtension:
    return RectificationExtension(
        request_id="rectification-extension", actor=STAFF, days=days, reason="整改项目待验收"
    )


def term_extension(until: str, actor: Actor = STAFF) -> TermExtension:
    return TermExtension(
        request_id="term-extension", actor=actor, until=D(until), reason="期末评估延期组织"
    )


def membership_change(members=None, contacts=None, actor: Actor = ALLIANCE) -> MembershipChange:
    return MembershipChange(
        request_id="membership-change",
        actor=actor,
        members=SAMPLE.members if members is None else members,
        contacts=SAMPLE.contacts if contacts is None else contacts,
    )


def rectifying(extended: bool) -> TermState:
    return fresh_term(
        status=TermStatus.RECTIFICATION,
        rectification=Rectification(
            due=end_of_day(D("2029-12-31")), extended=extended, extensions=int(extended)
        ),
    )


def submitted(year: int = 2027) -> ReportRecord:
    return ReportRecord(year=year, status="submitted", submitted_at=at_local(D("2027-12-10"), 9))


WITHOUT_RESEARCH = [
    m
    for m in SAMPLE.members
    if m.kind not in (MemberKind.UNIVERSITY, MemberKind.RESEARCH_INSTITUTE)
]
NOW = at_local(D("2028-03-01"), 10)

REFUSALS = [
    pytest.param(
        fresh_term,
        lambda s: check_report_submission(s, report(year=2026)),
        "本认定期内不需要提交2026年度报告（需提交的年度：2027、2028、2029、2030、2031）",
        id="report_for_the_recognition_year_after_the_cut_off",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_report_submission(s, report(year=2032)),
        "不需要提交2032年度报告",
        id="report_for_a_december_after_the_term_ends",
    ),
    pytest.param(
        lambda: fresh_term(reports=[submitted()]),
        lambda s: check_report_submission(s, report()),
        "2027年度报告已提交",
        id="report_sent_twice",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_report_submission(s, report(statistics=statistics(researchers=0))),
        "填报了研发投入320.5万元，但研发人员（人）为0",
        id="rd_spending_without_researchers",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_report_submission(s, report(summary="  ")),
        "请填写当年度技术创新活动总结",
        id="report_without_summary",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_report_review(s, review()),
        "2027年度报告尚未提交或已审核，不能审核",
        id="review_of_a_report_never_sent",
    ),
    pytest.param(
        lambda: fresh_term(
            reports=[submitted().model_copy(update={"status": ReportStatus.ACCEPTED})]
        ),
        lambda s: check_report_review(s, review()),
        "2027年度报告尚未提交或已审核",
        id="review_of_a_report_already_accepted",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_assessment_result(s, midterm_result(), at_local(D("2029-06-19"), 8, 59)),
        "期中考核评估于2029-06-19开始，现在不能记录结果",
        id="assessment_result_before_it_opens",
    ),
    pytest.param(
        lambda: rectifying(extended=True),
        lambda s: check_rectification_extension(s, rectification_extension()),
        "整改期限最多可延长1次，已延长1次",
        id="second_rectification_extension",
    ),
    pytest.param(
        lambda: rectifying(extended=False),
        lambda s: check_rectification_extension(s, rectification_extension(days=91)),
        "延长天数应在1至90天之间",
        id="rectification_extended_by_more_than_a_year",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_rectification_extension(s, rectification_extension()),
        "该联盟不在整改期",
        id="rectification_extension_while_not_rectifying",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_term_extension(s, term_extension("2031-12-18"), NOW),
        "延期日期须晚于当前有效期截止日（2031-12-18）",
        id="term_extension_to_the_current_end",
    ),
    pytest.param(
        lambda: fresh_term(extended_until=D("2032-03-31")),
        lambda s: check_term_extension(s, term_extension("2032-03-01"), NOW),
        "延期日期须晚于当前有效期截止日（2032-03-31）",
        id="term_extension_shorter_than_the_previous_one",
    ),
    pytest.param(
        lambda: fresh_term(extended_until=D("2032-03-31"), term_extensions=1),
        lambda s: check_term_extension(s, term_extension("2032-05-01"), NOW),
        "有效期最多可延长1次，已延长1次",
        id="second_term_extension",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_term_extension(s, term_extension("2032-06-19"), NOW),
        "有效期最多延长6个月，至2032-06-18",
        id="term_extension_beyond_six_months",
    ),
    pytest.param(
        lambda: fresh_term(renewal=renewal_of(fresh_term())),
        lambda s: check_term_extension(s, term_extension("2032-06-30"), NOW),
        "期末评估已通过，无需延期",
        id="term_extension_after_renewal",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_membership_change(s, membership_change(members=WITHOUT_RESEARCH)),
        "成员变更后不符合第八条：联盟成员中没有大学或科研机构",
        id="membership_change_without_university_or_research_institute",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_membership_change(s, membership_change(contacts=[])),
        "成员变更后不符合第八条：至少需要一名联系人",
        id="membership_change_without_contacts",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_report_review(s, review(actor=ALLIANCE)),
        "联盟发起单位无权进行此操作，应由市科技局工作人员办理",
        id="alliance_reviewing_its_own_report",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_report_submission(s, report(actor=STAFF)),
        "市科技局工作人员无权进行此操作，应由联盟发起单位办理",
        id="staff_submitting_the_alliance_report",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_membership_change(
            s, membership_change(actor=Actor(name="高新区科技局", role=Role.DISTRICT_REVIEWER))
        ),
        "无权",
        id="district_reviewer_changing_members",
    ),
    pytest.param(
        lambda: fresh_term(handled_requests=["report-2027-applicant"]),
        lambda s: check_report_submission(s, report()),
        "该请求（report-2027-applicant）已处理",
        id="same_request_sent_again",
    ),
    pytest.param(
        lambda: fresh_term(status=TermStatus.REVOKED),
        lambda s: check_report_submission(s, report()),
        "该联盟已取消资格，不能再办理",
        id="revoked_alliance_sending_a_report",
    ),
]


@pytest.mark.parametrize(("make_state", "check", "message"), REFUSALS)
def test_refused_term_action_tells_the_clerk_why_and_changes_nothing(make_state, check, message):
    state = make_state()
    before = state.model_dump()
    with pytest.raises(ActionRefused) as refused:
        check(state)
    assert message in refused.value.zh
    assert refused.value.en
    assert state.model_dump() == before


ALLOWED = [
    pytest.param(
        fresh_term, lambda s: check_report_submission(s, report()), id="report_for_an_owed_year"
    ),
    pytest.param(
        lambda: fresh_term(
            reports=[ReportRecord(year=2027, status="returned", versions=1, resubmit_by=NOW)]
        ),
        lambda s: check_report_submission(s, report()),
        id="returned_report_sent_again",
    ),
    pytest.param(
        lambda: fresh_term(reports=[submitted()]),
        lambda s: check_report_review(s, review()),
        id="review_of_a_sent_report",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_assessment_result(s, midterm_result(), at_local(D("2029-06-19"), 9)),
        id="assessment_result_once_it_opens",
    ),
    pytest.param(
        lambda: rectifying(extended=False),
        lambda s: check_rectification_extension(s, rectification_extension()),
        id="first_rectification_extension",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_term_extension(s, term_extension("2031-12-19"), NOW),
        id="term_extension_by_one_day",
    ),
    pytest.param(
        fresh_term,
        lambda s: check_membership_change(s, membership_change(actor=STAFF)),
        id="membership_change_keeping_article_8",
    ),
]


@pytest.mark.parametrize(("make_state", "check"), ALLOWED)
def test_allowed_term_action_passes_its_checks(make_state, check):
    check(make_state())


@given(st.sampled_from(report_years(fresh_term())))
def test_alliance_may_report_any_year_its_term_owes(year):
    check_report_submission(fresh_term(), report(year=year))
