"""Each stage's working-day limit: a reminder to whoever must act, then escalation to staff."""

from __future__ import annotations

from datetime import timedelta

from domain.procedure import Stage
from domain.working_days import stage_clock
from registry.calendar_store import load_calendar
from tests.support.temporal import body_of, sample_application


async def test_overrunning_district_review_reminds_the_reviewer_then_escalates(bureau):
    app = sample_application()
    code = await bureau.submit(app)
    state = await bureau.wait_for_state(code, lambda s: s.clock is not None)
    rules = bureau.settings.rules
    year = state.stage_entered_at.year
    expected = stage_clock(
        load_calendar(bureau.settings.registry_url(), [year, year + 1]),
        Stage.DISTRICT_REVIEW,
        state.stage_entered_at,
        rules.district_review_days,
        rules.reminder_working_days_before,
    )
    assert state.clock.deadline == expected.deadline
    assert state.clock.reminder_at == expected.reminder_at
    reviewers = ", ".join(bureau.settings.district_reviewer_emails[app.district])

    await bureau.sleep(expected.reminder_at - await bureau.now() - timedelta(minutes=1))
    assert bureau.mails("stage_reminder") == []
    await bureau.sleep(timedelta(minutes=2))
    reminders = await bureau.wait_for_mail("stage_reminder")
    assert len(reminders) == 1 and reminders[0]["To"] == reviewers
    deadline = expected.deadline
    assert f"{deadline.month}月{deadline.day}日" in body_of(reminders[0])
    assert bureau.mails("stage_escalation") == []

    await bureau.sleep(expected.deadline - await bureau.now() + timedelta(minutes=1))
    escalations = await bureau.wait_for_mail("stage_escalation")
    assert len(escalations) == 1
    assert escalations[0]["To"] == ", ".join(bureau.settings.staff_emails)

    await bureau.sleep(timedelta(days=rules.escalation_repeat_days))
    assert len(await bureau.wait_for_mail("stage_escalation", 2)) == 2
    assert len(bureau.mails("stage_reminder")) == 1

    await bureau.recommend(code, app.district)
    await bureau.sleep(timedelta(days=rules.escalation_repeat_days * 2))
    assert len(bureau.mails("stage_escalation")) == 2
    assert (await bureau.state(code)).stage == Stage.EXPERT_REVIEW
    await bureau.keep_history(code, "district_review_overrun")
