"""Article 9.5: which days an approval document may bear, on the State Council calendar."""

from __future__ import annotations

from datetime import date

import pytest

from domain.actions import check_approval
from domain.procedure import (
    ActionRefused,
    Actor,
    ApprovalDocument,
    ProcedureState,
    Role,
    Stage,
)
from domain.rules import ProcedureRules
from domain.shanghai_time import at_local
from domain.working_days import approval_plan
from tests.domain.test_working_days import package_calendar
from tests.support.temporal import sample_application

CAL = package_calendar(2025, 2026)
D = date.fromisoformat
STAFF = Actor(name="钱职员", role=Role.BUREAU_STAFF)


@pytest.mark.parametrize(
    ("notice_end", "entered_on", "first_day", "numbering_day"),
    [
        ("2026-09-29", "2026-09-30", "2026-09-30", "2026-09-30"),  # an ordinary Wednesday
        ("2026-09-30", "2026-10-01", "2026-10-08", "2026-10-08"),  # National Day Oct 1–7
        ("2026-10-09", "2026-10-10", "2026-10-10", "2026-10-10"),  # make-up Saturday (调休)
        ("2026-12-25", "2026-12-26", "2026-12-28", "2026-12-28"),  # a weekend
        ("2025-12-31", "2026-01-01", "2026-01-04", "2026-01-04"),  # New Year, make-up Sunday
        # Objections resolved later: the system numbers on the next working day from then.
        ("2026-09-29", "2026-10-03", "2026-09-30", "2026-10-08"),
        ("2026-09-29", "2026-10-09", "2026-09-30", "2026-10-09"),
    ],
)
def test_the_document_bears_a_working_day_after_the_notice(
    notice_end, entered_on, first_day, numbering_day
):
    plan = approval_plan(CAL, D(notice_end), D(entered_on))
    assert (plan.first_day, plan.numbering_day) == (D(first_day), D(numbering_day))


def _waiting(notice_end: str, entered_on: str, rules=ProcedureRules()) -> ProcedureState:
    entered = at_local(D(entered_on), 0)
    return ProcedureState(
        alliance_code="2026-0007",
        application=sample_application(),
        submitted_at=entered,
        stage=Stage.APPROVAL,
        stage_entered_at=entered,
        rules=rules,
        approval_plan=approval_plan(CAL, D(notice_end), D(entered_on)),
    )


def _document(day: str, actor: Actor = STAFF) -> ApprovalDocument:
    return ApprovalDocument(
        request_id="r1", actor=actor, document_number="鞍科批〔2026〕7号", document_date=D(day)
    )


@pytest.mark.parametrize(
    ("day", "refusal"),
    [
        ("2026-10-01", "休息日或法定节假日"),  # National Day (a Thursday)
        ("2026-10-04", "休息日或法定节假日"),  # a Sunday in the holiday
        ("2026-10-11", "休息日或法定节假日"),  # an ordinary Sunday
        ("2026-09-29", "早于公示结束后的第一个工作日（2026-09-30）"),  # the notice's last day
        ("2026-10-13", "晚于今天"),
        ("2027-01-04", "晚于今天"),
    ],
)
def test_a_date_off_work_before_the_first_working_day_or_ahead_is_refused(day, refusal):
    state = _waiting("2026-09-29", "2026-09-30")
    with pytest.raises(ActionRefused, match=refusal):
        check_approval(state, _document(day), at_local(D("2026-10-12"), 10))


@pytest.mark.parametrize("day", ["2026-09-30", "2026-10-09", "2026-10-10", "2026-10-12"])
def test_a_working_day_from_the_first_after_the_notice_to_today_is_accepted(day):
    state = _waiting("2026-09-29", "2026-09-30")
    check_approval(state, _document(day), at_local(D("2026-10-12"), 10))


def test_a_year_not_in_the_plan_is_refused_until_it_is_loaded():
    state = _waiting("2026-12-29", "2026-12-30")
    state.approval_plan = approval_plan(package_calendar(2026), D("2026-12-29"), D("2026-12-30"))
    with pytest.raises(ActionRefused, match="2027年节假日安排尚未载入"):
        check_approval(state, _document("2027-01-05"), at_local(D("2027-01-06"), 10))


@pytest.mark.parametrize(
    ("state", "document", "refusal"),
    [
        (
            _waiting("2026-09-29", "2026-09-30"),
            _document("2026-09-30", Actor(name="李记录", role=Role.DIRECTOR_CLERK)),
            "应由市科技局工作人员办理",
        ),
        (
            _waiting("2026-09-29", "2026-09-30", ProcedureRules(approval_numbered_by_system=True)),
            _document("2026-09-30"),
            "由系统在公示结束后的第一个工作日编号",
        ),
    ],
)
def test_only_staff_record_it_and_not_when_the_system_numbers_it(state, document, refusal):
    with pytest.raises(ActionRefused, match=refusal):
        check_approval(state, document, at_local(D("2026-10-12"), 10))
