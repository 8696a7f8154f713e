"""Each workflow writes the time limit on staff to the registry as it sets it (since
1.2), with the step's other effects: the inbox reads it there, not from Temporal."""

from __future__ import annotations

from domain.procedure import Stage
from domain.shanghai_time import end_of_day


async def test_the_registry_holds_each_steps_limit_and_none_while_the_notice_runs(bureau):
    code = await bureau.submit()
    district = await bureau.wait_for_state(code, lambda s: s.clock is not None)
    await bureau.settled(code)
    deadline, as_of = bureau.limit_in_registry(code)
    assert deadline == district.clock.deadline and as_of is not None

    await bureau.recommend(code, district.application.district)
    await bureau.pass_expert_review(code)
    meeting = await bureau.wait_for_state(
        code, lambda s: s.stage == Stage.DIRECTOR_MEETING and s.clock is not None
    )
    await bureau.settled(code)
    assert bureau.limit_in_registry(code)[0] == meeting.clock.deadline

    await bureau.approve_at_meeting(code)
    on_notice = await bureau.wait_for_state(code, lambda s: s.notice is not None)
    await bureau.settled(code)
    # The notice's last day binds no one on the staff: the inbox shows no limit.
    assert on_notice.next_deadline == end_of_day(on_notice.notice.end)
    deadline, during_notice = bureau.limit_in_registry(code)
    assert deadline is None and during_notice > as_of

    await bureau.result(code)  # the approval document recorded; the term begins
    term = await bureau.wait_for_term(code, lambda s: s.next_deadline is not None)
    await bureau.settled(code)
    assert bureau.limit_in_registry(code)[0] == term.next_deadline
