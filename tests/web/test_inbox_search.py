"""The inbox finds an alliance by name or code, and says first how many items are overdue."""

from __future__ import annotations

from datetime import timedelta

from domain.districts import District
from tests.web.test_registry_pages import registered, variant


async def test_the_inbox_finds_by_name_or_code_and_counts_what_is_overdue(bureau, web_app, as_user):
    web_app.state.clock = bureau.now  # the pages read the simulated date
    first = await bureau.submit(variant("01", District.HIGH_TECH_ZONE, "鞍山市菱镁新材料联盟"))
    second = await bureau.submit(variant("02", District.HIGH_TECH_ZONE, "鞍山市智能装备联盟"))
    for code in (first, second):
        await bureau.wait_for_state(code, lambda s: s.clock is not None)
        await registered(bureau, code, "district_review")
    reviewer = await as_user("gaoxin")

    everything = (await reviewer.get("/inbox")).text
    assert first in everything and second in everything
    assert 'id="overdue-count"' not in everything

    by_name = (await reviewer.get("/inbox?q=智能装备")).text
    assert second in by_name.split('id="done"')[0] and first not in by_name.split('id="done"')[0]
    by_code = (await reviewer.get(f"/inbox?q={first}")).text
    assert first in by_code.split('id="done"')[0] and second not in by_code.split('id="done"')[0]
    nothing = (await reviewer.get("/inbox?q=不存在的联盟")).text
    assert "没有符合“不存在的联盟”的待办事项" in nothing

    state = await bureau.state(first)
    await bureau.sleep_until(state.clock.deadline + timedelta(days=3))
    await bureau.settled(first)
    late = (await reviewer.get("/inbox")).text
    assert "2 项已逾期，请优先办理" in late
    assert late.count('<tr class="overdue">') == 2
