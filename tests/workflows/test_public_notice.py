"""Article 9.4: five working days of public notice, objections, and a missing holiday year."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from client.alliances import ProcedureActionFailed
from domain.procedure import Actor, ObjectionFiling, ObjectionResolution, Role, Stage
from domain.shanghai_time import end_of_day, start_of_day
from registry.database import session_scope
from registry.tables import Alliance, ObjectionRow, PublicNoticeRow
from tests.support.calendars import load_plain_years, unload_years
from tests.support.temporal import body_of, new_id

STAFF = Actor(name="钱职员", role=Role.BUREAU_STAFF)


async def _on_notice(bureau):
    code = await bureau.at_director_meeting()
    await bureau.approve_at_meeting(code)
    state = await bureau.wait_for_state(code, lambda s: s.notice is not None)
    return code, state.notice


async def _sleep_until(bureau, instant):
    await bureau.sleep(instant - await bureau.now())


async def _resolve(bureau, code, upheld: bool, reason: str, number: int = 1):
    await bureau.act(
        code,
        "resolve_objection",
        ObjectionResolution(
            request_id=new_id(), actor=STAFF, objection_no=number, upheld=upheld, reason=reason
        ),
    )


def _objection(text="该联盟成员单位存在虚报情况") -> ObjectionFiling:
    return ObjectionFiling(
        request_id=new_id(),
        name="孙实名",
        organisation="鞍山某科技有限公司",
        contact="sun@example.com",
        text=text,
    )


async def test_objection_upheld_rejects_the_application(bureau):
    code, notice = await _on_notice(bureau)
    await _sleep_until(bureau, start_of_day(notice.start) + timedelta(hours=10))
    number = await bureau.act(code, "file_objection", _objection())
    assert number == 1
    received = await bureau.wait_for_mail("objection_received")
    assert received[0]["To"] == ", ".join(bureau.settings.staff_emails)
    assert "该联盟成员单位存在虚报情况" in body_of(received[0])

    await _resolve(bureau, code, upheld=True, reason="经核实情况属实")
    result = await bureau.result(code)
    assert result.stage == Stage.REJECTED and result.recognition is None
    assert len(await bureau.wait_for_mail("rejected")) == 1
    assert bureau.mails("recognised") == []
    with session_scope(bureau.settings.registry_url()) as session:
        row = session.exec(select(ObjectionRow).where(ObjectionRow.alliance_code == code)).one()
        notice_row = session.exec(
            select(PublicNoticeRow).where(PublicNoticeRow.alliance_code == code)
        ).one()
        assert session.get(Alliance, code).status == "rejected"
    assert (row.status, row.resolution) == ("upheld", "经核实情况属实")
    assert notice_row.status == "closed"
    await bureau.keep_history(code, "objection_upheld")


async def test_open_objection_holds_recognition_until_dismissed(bureau):
    code, notice = await _on_notice(bureau)
    await _sleep_until(bureau, start_of_day(notice.start) + timedelta(hours=10))
    await bureau.act(code, "file_objection", _objection())

    await _sleep_until(bureau, end_of_day(notice.end) + timedelta(days=3))
    held = await bureau.state(code)
    assert held.stage == Stage.PUBLIC_NOTICE
    assert bureau.mails("recognised") == []

    await _resolve(bureau, code, upheld=False, reason="经核实不属实")
    result = await bureau.result(code)
    assert result.stage == Stage.RECOGNISED
    resolved = await bureau.wait_for_mail("objection_resolved")
    assert "经核实不属实" in body_of(resolved[0])
    assert len(await bureau.wait_for_mail("recognised")) == 1
    await bureau.keep_history(code, "objection_dismissed_after_window")


async def test_objection_dismissed_during_the_window_still_waits_for_its_end(bureau):
    code, notice = await _on_notice(bureau)
    await _sleep_until(bureau, start_of_day(notice.start) + timedelta(hours=10))
    await bureau.act(code, "file_objection", _objection())
    await _resolve(bureau, code, upheld=False, reason="不属实")
    assert (await bureau.state(code)).stage == Stage.PUBLIC_NOTICE
    result = await bureau.result(code)
    assert result.stage == Stage.RECOGNISED
    assert result.recognition.recognised_on > notice.end


async def test_objection_before_or_after_the_window_is_refused(bureau):
    code, notice = await _on_notice(bureau)
    with pytest.raises(ProcedureActionFailed, match="公示尚未开始"):
        await bureau.act(code, "file_objection", _objection())
    await _sleep_until(bureau, end_of_day(notice.end) - timedelta(minutes=5))
    assert await bureau.act(code, "file_objection", _objection("最后时刻的异议")) == 1
    # The open objection keeps the procedure at the notice after the window has closed.
    await bureau.sleep(timedelta(minutes=10))
    with pytest.raises(ProcedureActionFailed, match="公示期已结束"):
        await bureau.act(code, "file_objection", _objection("太晚的异议"))
    state = await bureau.state(code)
    assert state.stage == Stage.PUBLIC_NOTICE
    assert [o.text for o in state.objections] == ["最后时刻的异议"]
    await _resolve(bureau, code, upheld=False, reason="不属实")
    result = await bureau.result(code)
    assert result.stage == Stage.RECOGNISED
    await bureau.keep_history(code, "objection_late_refused")


async def test_unresolved_objection_is_escalated_to_staff(bureau):
    code, notice = await _on_notice(bureau)
    await _sleep_until(bureau, start_of_day(notice.start) + timedelta(hours=10))
    await bureau.act(code, "file_objection", _objection())
    await _sleep_until(bureau, end_of_day(notice.end) + timedelta(days=12))
    escalations = await bureau.wait_for_mail("stage_escalation")
    assert escalations and escalations[0]["To"] == ", ".join(bureau.settings.staff_emails)
    assert (await bureau.state(code)).stage == Stage.PUBLIC_NOTICE


async def test_missing_holiday_year_stops_the_notice_and_alerts_until_loaded(bureau):
    url = bureau.settings.registry_url()
    code = await bureau.at_director_meeting()
    year = (await bureau.now()).year
    unload_years(url, range(year, year + 5))

    await bureau.approve_at_meeting(code)
    alerts = await bureau.wait_for_mail("calendar_missing")
    # One alert. Delivery is at least once: on a machine starved long enough for an
    # attempt to time out, its retry may bring the same alert (same key) again.
    keys = {m["X-Alliance-Notice-Key"] for m in alerts}
    assert len(keys) == 1, [(m["X-Alliance-Notice-Key"], m["Date"]) for m in alerts]
    assert alerts[0]["To"] == ", ".join(bureau.settings.staff_emails)
    assert f"{year}" in body_of(alerts[0])
    state = await bureau.state(code)
    assert state.missing_calendar_year == year and state.notice is None

    await bureau.sleep(timedelta(hours=bureau.settings.rules.calendar_recheck_hours, minutes=5))
    # A day later the step is still stopped and staff are alerted again.
    assert len(await bureau.wait_for_notices("calendar_missing", 2)) == 2
    assert bureau.mails("notice_published") == []

    load_plain_years(url, range(year, year + 5))
    await bureau.handle(code).signal("calendar_loaded")
    published = await bureau.wait_for_mail("notice_published")
    assert len(published) == 1
    state = await bureau.state(code)
    assert state.missing_calendar_year is None and state.notice is not None
    result = await bureau.result(code)
    assert result.stage == Stage.RECOGNISED
    await bureau.keep_history(code, "calendar_missing_then_loaded")
