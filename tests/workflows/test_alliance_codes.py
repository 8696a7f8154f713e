"""联盟编号: a unit may lead several alliances (9.1 联盟发起单位); each alliance has its own
code from the registry and its own workflow for life."""

from __future__ import annotations

import re

import pytest

from client.alliances import ProcedureActionFailed, workflow_id_for
from registry.alliance_codes import alliances_led_by, codes_assigned_to
from tests.support.temporal import sample_application


def second_alliance_of_the_same_unit():
    application = sample_application()
    application.alliance_name = "鞍山市菱镁耐火材料回收利用产业技术创新战略联盟"
    return application


async def test_one_lead_unit_leads_two_alliances_each_with_its_own_code(bureau):
    first = await bureau.submit()
    second = await bureau.submit(second_alliance_of_the_same_unit())
    assert first != second
    assert all(re.fullmatch(r"\d{4}-\d{4}", code) for code in (first, second))
    assert {first, second} == {(await bureau.state(c)).alliance_code for c in (first, second)}

    # Each goes through article 9 on its own: recommending one leaves the other waiting.
    await bureau.recommend(second, second_alliance_of_the_same_unit().district)
    assert (await bureau.state(first)).stage == "district_review"
    assert (await bureau.state(second)).stage == "expert_review"

    await bureau.settled(first)
    await bureau.settled(second)
    lead = sample_application().lead_unit_code()
    assert [a.code for a in alliances_led_by(bureau.settings.registry_url(), lead)] == sorted(
        [first, second]
    )


async def test_applying_again_for_the_same_alliance_is_refused_under_the_same_code(bureau):
    code = await bureau.submit()
    with pytest.raises(ProcedureActionFailed, match="已有正在办理的申请") as refused:
        await bureau.submit()
    assert code in str(refused.value) and workflow_id_for(code) in str(refused.value)
    lead = sample_application().lead_unit_code()
    assert codes_assigned_to(bureau.settings.registry_url(), lead) == [code]
