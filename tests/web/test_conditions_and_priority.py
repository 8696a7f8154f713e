"""Articles 5, 8.1, 8.2 and 8.6 on the staff console: the alliance page shows what the
application records of them, and staff can rank the inbox by 8.6 (优先认定): alliances whose
cooperation already has early results first."""

from __future__ import annotations

from datetime import timedelta

from domain.application import Application
from domain.credit_code import complete_code
from tests.support.temporal import sample_application


def another_alliance(serial: int, name: str, **changes) -> Application:
    """The sample under another lead-unit credit code (so another alliance), same district."""
    app = sample_application().model_copy(deep=True, update={"alliance_name": name, **changes})
    lead = app.lead_member()
    assert lead is not None
    old = lead.credit_code
    lead.credit_code = complete_code(old[:15] + f"{serial:02d}")
    for material in app.materials:
        if material.member_credit_code == old:
            material.member_credit_code = lead.credit_code
    return app


def _section(page: str, anchor: str) -> str:
    start = page.index(anchor)
    return page[start : page.index("</section>", start)]


def _inbox_codes(page: str, *codes: str) -> list[str]:
    """The given alliances in the order the inbox table lists them."""
    table = _section(page, 'id="inbox"') if 'id="inbox"' in page else ""
    return sorted((c for c in codes if f"/alliances/{c}" in table), key=lambda c: table.index(c))


async def test_alliance_page_shows_the_recorded_conditions_and_the_priority(bureau, as_user):
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.settled(code)
    staff = await as_user("staff")

    conditions = _section((await staff.get(f"/alliances/{code}")).text, 'id="conditions"')

    assert "所属本市重点产业（第五条）" in conditions and "战略性新兴产业" in conditions
    assert "联盟正式成立（第八条第1项）" in conditions
    assert "2023-06-18 · 联盟成立大会决议，全体成员单位签署联盟协议" in conditions
    assert "先进水平（第八条第2项）" in conditions
    assert app.institute_advanced_level in conditions
    assert "优先认定（第八条第6项）" in conditions
    assert "<strong>是</strong>：技术创新合作活动已取得初步成效" in conditions
    assert app.early_results in conditions


async def test_application_without_early_results_is_shown_as_not_prioritised(bureau, as_user):
    app = another_alliance(41, "鞍山市菱镁尾矿综合利用产业技术创新战略联盟", early_results="")
    code = await bureau.submit(app)
    await bureau.settled(code)
    staff = await as_user("staff")

    conditions = _section((await staff.get(f"/alliances/{code}")).text, 'id="conditions"')

    assert "否：申请未载明技术创新合作活动取得的初步成效" in conditions


async def test_application_stored_before_the_conditions_were_asked_shows_them_unrecorded(
    bureau, as_user
):
    """A procedure already running when articles 5, 8.1 and 8.2 began to be recorded."""
    old = sample_application().model_dump(
        exclude={"industry_sector", "established_on", "establishment_basis"}
        | {"institute_advanced_level"}
    )
    code = await bureau.submit(Application.model_validate(old))
    await bureau.settled(code)
    staff = await as_user("staff")

    conditions = _section((await staff.get(f"/alliances/{code}")).text, 'id="conditions"')

    assert conditions.count("未记录（申请提交时尚不要求此项）") == 3
    assert "<strong>是</strong>" in conditions


async def test_inbox_sorted_by_priority_puts_the_prioritised_application_first(bureau, as_user):
    plain = another_alliance(42, "鞍山市菱镁尾矿综合利用产业技术创新战略联盟", early_results="")
    plain_code = await bureau.submit(plain)
    await bureau.settled(plain_code)
    await bureau.sleep(timedelta(days=7))  # submitted a week later: its review is due later
    prioritised_code = await bureau.submit(sample_application())
    await bureau.settled(prioritised_code)
    for code in (plain_code, prioritised_code):
        await bureau.wait_for_state(code, lambda s: s.clock is not None)
    reviewer = await as_user("gaoxin")

    by_deadline = (await reviewer.get("/inbox")).text
    by_priority = (await reviewer.get("/inbox?sort=priority")).text

    assert _inbox_codes(by_deadline, plain_code, prioritised_code) == [
        plain_code,
        prioritised_code,
    ], "by default the inbox stays in deadline order"
    assert _inbox_codes(by_priority, plain_code, prioritised_code) == [
        prioritised_code,
        plain_code,
    ]
    assert 'href="/inbox?sort=priority"' in by_deadline
    assert "优先：已取得初步成效" in by_priority and 'aria-sort="descending"' in by_priority
