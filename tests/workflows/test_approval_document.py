"""Article 9.5: after the notice the bureau issues its approval document (批复文件) on a
working day; the certificate and plaque follow with its number, and the plaque's
handing-over is recorded.

The dates around National Day 2027 come from the example 2027 schedule in `samples/`
(10-01..07 off, Sunday 09-26 and Saturday 10-09 make-up working days).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from admin.simulation import meeting_decision, until_continued
from client.alliances import ProcedureActionFailed, workflow_id_for
from domain.procedure import Actor, ApprovalDocument, Role, Stage
from domain.rules import ProcedureRules
from domain.settings import PROJECT_ROOT
from domain.shanghai_time import at_local, end_of_day, local_date
from domain.term import PlaqueHandover
from registry.calendar_store import load_year_file
from registry.database import session_scope
from registry.tables import Alliance, AuditEntry, Certificate, PublicNoticeRow
from tests.support.temporal import body_of, new_id, subject_of
from tests.workflows.test_operator_cli import run

HOLIDAYS_2027 = PROJECT_ROOT / "samples" / "holidays-2027-example.yaml"
STAFF = Actor(name="钱职员", role=Role.BUREAU_STAFF)


async def _on_notice_from(bureau, start: date):
    """The sample approved at the meeting, its notice asked to start on `start` (2027)."""
    load_year_file(bureau.settings.registry_url(), HOLIDAYS_2027)
    code = await bureau.at_director_meeting()
    decision = meeting_decision(await bureau.now())
    decision.notice_start = start
    await bureau.act(code, "meeting_decision", decision)
    notice = (await bureau.wait_for_state(code, lambda s: s.notice is not None)).notice
    return code, notice


def _document(day: date, number: str = "鞍科批〔2027〕15号", actor: Actor = STAFF):
    return ApprovalDocument(
        request_id=new_id(), actor=actor, document_number=number, document_date=day
    )


async def _in_term(bureau, code: str) -> None:
    """Wait until the certificate is back and the id has continued into the term."""
    await until_continued(bureau.client, workflow_id_for(code), bureau.procedure_runs[code])


def _certificates(bureau, code: str) -> list[Certificate]:
    with session_scope(bureau.settings.registry_url()) as session:
        return list(session.exec(select(Certificate).where(Certificate.alliance_code == code)))


async def test_after_the_notice_the_procedure_waits_for_the_approval_document(bureau):
    code = await bureau.at_director_meeting()
    await bureau.approve_at_meeting(code)
    notice = (await bureau.wait_for_state(code, lambda s: s.notice is not None)).notice
    await bureau.sleep_until(end_of_day(notice.end) + timedelta(hours=1))
    state = await bureau.wait_for_state(code, lambda s: s.clock is not None)

    assert state.stage == Stage.APPROVAL and state.recognition is None
    assert state.approval_plan.first_day > notice.end
    asked = await bureau.wait_for_mail("action_requested", 4)
    assert asked[-1]["To"] == ", ".join(bureau.settings.staff_emails)
    assert "下达批复文件" in subject_of(asked[-1])
    await bureau.settled(code)
    assert _certificates(bureau, code) == [] and bureau.mails("recognised") == []
    with session_scope(bureau.settings.registry_url()) as session:
        assert session.get(Alliance, code).status == "approval"
        notice_row = session.exec(
            select(PublicNoticeRow).where(PublicNoticeRow.alliance_code == code)
        ).one()
    assert notice_row.status == "closed"

    # Staff are reminded before the limit and escalated after it, like any stage.
    await bureau.sleep_until(state.clock.reminder_at + timedelta(minutes=1))
    reminded = await bureau.wait_for_mail("stage_reminder")
    assert "下达批复文件" in subject_of(reminded[0])
    await bureau.sleep_until(state.clock.deadline + timedelta(minutes=1))
    escalated = await bureau.wait_for_mail("stage_escalation")
    assert "下达批复文件" in body_of(escalated[0])
    assert (await bureau.state(code)).stage == Stage.APPROVAL
    assert _certificates(bureau, code) == []

    clerk = Actor(name="李记录", role=Role.DIRECTOR_CLERK)
    today = local_date(await bureau.now())
    with pytest.raises(ProcedureActionFailed, match="应由市科技局工作人员办理"):
        await bureau.act(code, "record_approval", _document(today, actor=clerk))


async def test_a_holiday_or_weekend_date_is_refused_and_the_recorded_one_dates_the_certificate(
    bureau,
):
    code, notice = await _on_notice_from(bureau, date(2027, 9, 24))
    assert notice.end == date(2027, 9, 29)
    await bureau.sleep_until(at_local(date(2027, 10, 8), 10))
    state = await bureau.state(code)
    assert state.stage == Stage.APPROVAL
    assert state.approval_plan.first_day == date(2027, 9, 30)

    refusals = [
        (date(2027, 10, 1), "休息日或法定节假日"),  # National Day, a Friday
        (date(2027, 10, 3), "休息日或法定节假日"),  # a Sunday in the holiday
        (date(2027, 9, 29), "早于公示结束后的第一个工作日（2027-09-30）"),
        (date(2027, 10, 9), "晚于今天"),
    ]
    for day, reason in refusals:
        with pytest.raises(ProcedureActionFailed, match=reason):
            await bureau.act(code, "record_approval", _document(day))
    refused = await bureau.state(code)
    assert refused.stage == Stage.APPROVAL and refused.decisions == state.decisions

    # Saturday 10-09 is a make-up working day (调休): the document may bear it.
    await bureau.sleep_until(at_local(date(2027, 10, 9), 10))
    await bureau.act(code, "record_approval", _document(date(2027, 10, 9)))
    await _in_term(bureau, code)
    recognised = await bureau.wait_for_mail("recognised")
    assert "批复文件：鞍科批〔2027〕15号（2027年10月9日）" in body_of(recognised[0])
    assert "认定日期：2027年10月9日" in body_of(recognised[0])
    await bureau.settled(code)
    [certificate] = _certificates(bureau, code)
    assert certificate.approval_document_number == "鞍科批〔2027〕15号"
    assert (certificate.issued_on, certificate.valid_until) == (
        date(2027, 10, 9),
        date(2032, 10, 8),
    )
    term = await bureau.wait_for_term(code, lambda s: True)
    assert (term.term_start, term.term_end) == (date(2027, 10, 9), date(2032, 10, 8))
    procedure = await bureau.state(code)
    assert procedure.decisions[-1].action == "approval.recorded"
    assert procedure.decisions[-1].actor == STAFF
    await bureau.keep_history(code, "approval_recorded_after_holiday")


async def test_with_the_setting_on_the_system_numbers_it_at_nine_after_the_holiday(bureau):
    bureau.settings = bureau.settings.model_copy(
        update={"rules": ProcedureRules(approval_numbered_by_system=True)}
    )
    code, notice = await _on_notice_from(bureau, date(2027, 9, 25))
    assert notice.end == date(2027, 9, 30)  # the day before National Day

    await bureau.sleep_until(at_local(date(2027, 10, 8), 8, 59))
    waiting = await bureau.state(code)
    assert waiting.stage == Stage.APPROVAL and waiting.clock is None
    assert waiting.approval_plan.numbering_day == date(2027, 10, 8)
    # Nobody on the staff has a limit: the inbox shows none (the registry's, since 1.2).
    await bureau.settled(code)
    assert bureau.limit_in_registry(code)[0] is None and waiting.next_deadline is not None
    with pytest.raises(ProcedureActionFailed, match="由系统.*编号"):
        await bureau.act(code, "record_approval", _document(date(2027, 10, 8)))
    assert _certificates(bureau, code) == []

    await bureau.sleep_until(at_local(date(2027, 10, 8), 9, 1))
    await _in_term(bureau, code)
    final = await bureau.state(code)
    assert final.recognition.recognised_on == date(2027, 10, 8)
    assert final.recognition.approval_document_number == "鞍科批〔2027〕1号"
    # Nobody was asked for it and nobody decided it.
    assert not [m for m in bureau.mails() if "下达批复文件" in subject_of(m)]
    assert final.decisions[-1].action == "director_meeting.approve"
    recognised = await bureau.wait_for_mail("recognised")
    assert "鞍科批〔2027〕1号（2027年10月8日）" in body_of(recognised[0])
    await bureau.keep_history(code, "approval_numbered_by_system")


async def test_the_plaque_handover_is_recorded_once(bureau):
    code = await bureau.recognise()
    term = await bureau.term_state(code)
    today = local_date(await bureau.now())

    def handover(day: date) -> PlaqueHandover:
        return PlaqueHandover(
            request_id=new_id(), actor=STAFF, handed_over_on=day, received_by="张秘书长"
        )

    with pytest.raises(ProcedureActionFailed, match="早于认定日期"):
        await bureau.act(code, "record_plaque_handover", handover(term.term_start - timedelta(1)))
    with pytest.raises(ProcedureActionFailed, match="晚于今天"):
        await bureau.act(code, "record_plaque_handover", handover(today + timedelta(days=1)))
    recorded = await bureau.act(code, "record_plaque_handover", handover(today))
    assert (recorded.handed_over_on, recorded.received_by) == (today, "张秘书长")
    assert (await bureau.term_state(code)).plaque_handed_over == recorded
    with pytest.raises(ProcedureActionFailed, match="牌匾已于.*交付张秘书长，不能重复登记"):
        await bureau.act(code, "record_plaque_handover", handover(today))

    await bureau.settled(code)
    with session_scope(bureau.settings.registry_url()) as session:
        entries = session.exec(
            select(AuditEntry).where(
                AuditEntry.alliance_code == code, AuditEntry.action == "plaque.handed_over"
            )
        ).all()
    assert [(e.actor, e.detail) for e in entries] == [
        ("钱职员", {"handed_over_on": today.isoformat(), "received_by": "张秘书长"})
    ]


async def test_staff_record_the_approval_and_the_plaque_from_the_command_line(operator_env):
    from admin import cli

    bureau = operator_env
    code = await bureau.at_director_meeting()
    await bureau.approve_at_meeting(code)
    notice = (await bureau.wait_for_state(code, lambda s: s.notice is not None)).notice
    await bureau.sleep_until(end_of_day(notice.end) + timedelta(hours=1))
    state = await bureau.wait_for_state(code, lambda s: s.approval_plan is not None)
    first_day = state.approval_plan.first_day
    await bureau.sleep_until(at_local(first_day, 10))

    shown = await run(cli.app, "show", code)
    assert f"不早于 (not before) {first_day}" in shown.output
    args = ("approval", "record", code, "--as", "钱职员", "--number", "鞍科批〔2026〕9号")
    refused = await run(cli.app, *args, "--date", first_day - timedelta(days=1))
    assert refused.exit_code == 1 and "早于公示结束后的第一个工作日" in refused.output
    recorded = await run(cli.app, *args, "--date", first_day)
    assert recorded.exit_code == 0, recorded.output
    assert "已认定" in recorded.output
    await _in_term(bureau, code)
    term = await bureau.term_state(code)
    assert term.term_start == first_day

    handed = ("plaque", "handed-over", code, "--as", "钱职员", "--received-by", "张秘书长")
    done = await run(cli.app, *handed, "--date", first_day)
    assert done.exit_code == 0, done.output
    assert f"牌匾交付 (plaque handed over) {first_day}" in done.output
    again = await run(cli.app, *handed, "--date", first_day)
    assert again.exit_code == 1 and "不能重复登记" in again.output
    shown = await run(cli.app, "show", code)
    assert f"牌匾交付 plaque handed over: {first_day}，接收人 张秘书长" in shown.output
