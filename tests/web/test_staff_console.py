"""Staff take an application through article 9 from the console; roles and districts hold."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.temporal import sample_application
from tests.web.conftest import csrf_of, post_action
from tests.web.test_registry_pages import registered


async def _listed(client, code: str, seconds: float = 10) -> bool:
    """Whether the user's inbox lists the alliance within `seconds`."""
    for _ in range(int(seconds / 0.2)):
        if code in (await client.get("/inbox")).text:
            return True
        await asyncio.sleep(0.2)
    return False


async def _post_action(client, code: str, name: str, data: dict):
    return await post_action(client, code, name, data)


async def test_reviewer_expert_and_clerk_take_the_application_to_the_notice(bureau, as_user):
    code = await bureau.submit(sample_application())
    await bureau.wait_for_state(code, lambda s: s.clock is not None)
    reviewer = await as_user("gaoxin")
    inbox = await reviewer.get("/inbox")
    assert code in inbox.text and "审查推荐" in inbox.text
    assert "剩余工作日" in inbox.text

    done = await _post_action(
        reviewer, code, "district_review", {"outcome": "recommend", "reasons": "符合认定条件"}
    )
    assert done.status_code == 303
    expert = await as_user("expert")
    await bureau.wait_for_state(code, lambda s: s.clock is not None and s.stage == "expert_review")
    assert await _listed(expert, code)  # the registry follows the workflow within moments
    panel = "张教授:辽宁科技大学:88\n刘研究员:鞍钢集团研究院:85\n陈高工:鞍山市质检院:90"
    done = await _post_action(
        expert,
        code,
        "expert_review",
        {
            "organisation": "辽宁省科技咨询评估中心",
            "panel": panel,
            "necessity_opinion": "必要",
            "feasibility_opinion": "可行",
            "result": "pass",
        },
    )
    assert done.status_code == 303, done.text

    clerk = await as_user("clerk")
    future = await _post_action(
        clerk,
        code,
        "meeting_decision",
        {
            "meeting_number": "2026年第12次",
            "meeting_date": "2099-01-01",
            "result": "approve",
            "reasons": "同意",
        },
    )
    assert future.status_code == 400 and "晚于今天" in future.text
    from domain.shanghai_time import local_date

    today = local_date(await bureau.now()).isoformat()
    done = await _post_action(
        clerk,
        code,
        "meeting_decision",
        {
            "meeting_number": "2026年第12次",
            "meeting_date": today,
            "result": "approve",
            "reasons": "同意",
        },
    )
    assert done.status_code == 303
    state = await bureau.wait_for_state(code, lambda s: s.notice is not None)
    page = await clerk.get(f"/alliances/{code}")
    assert f"{state.notice.start} — {state.notice.end}" in page.text
    timeline = page.text.split('id="timeline"', 1)[1]
    assert "县区审查推荐：推荐" in timeline and "专家评审：通过" in timeline
    app = sample_application()
    assert app.bodies.executive.responsible_person in page.text and "专职" in page.text


async def test_another_district_cannot_see_or_act_and_roles_stay_in_their_steps(bureau, as_user):
    code = await bureau.submit(sample_application())
    await bureau.wait_for_state(code, lambda s: s.clock is not None)
    other = await as_user("tiexi")
    assert code not in (await other.get("/inbox")).text
    assert (await other.get(f"/alliances/{code}")).status_code == 403
    own = await as_user("gaoxin")
    csrf = csrf_of((await own.get(f"/alliances/{code}")).text)
    sneaky = await other.post(
        f"/alliances/{code}/actions/district_review",
        data={"csrf": csrf_of((await other.get("/inbox")).text), "outcome": "recommend"},
    )
    assert sneaky.status_code == 403
    staff = await as_user("staff")
    staff_try = await staff.post(
        f"/alliances/{code}/actions/district_review",
        data={
            "csrf": csrf_of((await staff.get(f"/alliances/{code}")).text),
            "outcome": "recommend",
        },
    )
    assert staff_try.status_code == 403
    no_token = await own.post(
        f"/alliances/{code}/actions/district_review", data={"outcome": "recommend"}
    )
    assert no_token.status_code == 403
    assert csrf
    assert (await bureau.state(code)).stage == "district_review"


async def test_a_refused_action_shows_the_workflow_reason_next_to_the_form(bureau, as_user):
    code = await bureau.submit(sample_application())
    await bureau.wait_for_state(code, lambda s: s.clock is not None)
    reviewer = await as_user("gaoxin")
    refused = await _post_action(
        reviewer, code, "district_review", {"outcome": "return", "reasons": ""}
    )
    assert refused.status_code == 400
    assert "请填写审查意见的理由" in refused.text
    assert 'id="form-district_review"' in refused.text


STEP_FORMS = {
    "district_review": {"outcome": "recommend"},
    "expert_review": {
        "organisation": "x",
        "panel": "a:1\nb:2\nc:3",
        "necessity_opinion": "x",
        "feasibility_opinion": "x",
        "result": "pass",
    },
    "meeting_decision": {"meeting_number": "1", "meeting_date": "2026-01-01", "result": "approve"},
    "revoke": {"ground": "dissolved", "reason": "x"},
}


@pytest.mark.parametrize(
    ("username", "form"),
    [
        ("expert", "district_review"),
        ("clerk", "district_review"),
        ("admin", "district_review"),
        ("gaoxin", "expert_review"),
        ("staff", "expert_review"),
        ("gaoxin", "meeting_decision"),
        ("expert", "meeting_decision"),
        ("gaoxin", "revoke"),
    ],
)
async def test_no_role_acts_outside_its_steps(bureau, as_user, username, form):
    code = await bureau.submit(sample_application())
    await bureau.wait_for_state(code, lambda s: s.clock is not None)
    client = await as_user(username)
    page = await client.get(f"/alliances/{code}")
    assert page.status_code == 200
    assert f'id="form-{form}"' not in page.text
    response = await client.post(
        f"/alliances/{code}/actions/{form}", data={"csrf": csrf_of(page.text), **STEP_FORMS[form]}
    )
    assert response.status_code == 403
    state = await bureau.state(code)
    assert state.stage == "district_review" and state.decisions == []


async def test_a_decision_is_chosen_explained_and_checked_before_it_is_recorded(bureau, as_user):
    code = await bureau.submit(sample_application())
    await bureau.wait_for_state(code, lambda s: s.clock is not None)
    reviewer = await as_user("gaoxin")
    page = await reviewer.get(f"/alliances/{code}")
    form = page.text.split('id="form-district_review"', 1)[1].split("</form>", 1)[0]
    assert 'type="radio"' in form and "checked" not in form  # no outcome pre-selected

    unchosen = await reviewer.post(
        f"/alliances/{code}/actions/district_review",
        data={"csrf": csrf_of(page.text), "reasons": "材料齐全"},
    )
    assert unchosen.status_code == 400 and "请选择审查意见" in unchosen.text
    unexplained = await reviewer.post(
        f"/alliances/{code}/actions/district_review",
        data={"csrf": csrf_of(page.text), "outcome": "recommend", "reasons": " "},
    )
    assert unexplained.status_code == 400 and "请填写审查意见的理由" in unexplained.text

    check = await reviewer.post(
        f"/alliances/{code}/actions/district_review",
        data={"csrf": csrf_of(page.text), "outcome": "recommend", "reasons": "材料齐全，符合条件"},
    )
    assert check.status_code == 200 and 'id="confirm-action"' in check.text
    will_record = check.text.split('id="will-record"', 1)[1].split("</table>", 1)[0]
    assert "审查意见" in will_record and "推荐" in will_record and "recommend" not in will_record
    assert "材料齐全，符合条件" in will_record
    assert (await bureau.state(code)).decisions == []  # nothing recorded before confirming

    done = await post_action(
        reviewer, code, "district_review", {"outcome": "recommend", "reasons": "材料齐全，符合条件"}
    )
    assert done.status_code == 303
    state = await bureau.wait_for_state(code, lambda s: s.decisions)
    assert state.decisions[0].reasons == "材料齐全，符合条件"


async def test_a_refusal_is_shown_in_the_page_s_language_only(bureau, as_user):
    code = await bureau.at_director_meeting()
    await registered(bureau, code, "director_meeting")
    clerk = await as_user("clerk")
    future = {
        "meeting_number": "2026年第12次",
        "meeting_date": "2099-01-01",
        "result": "approve",
        "reasons": "同意",
        "confirmed": "1",
    }
    chinese = await _post_action(clerk, code, "meeting_decision", future)
    assert chinese.status_code == 400
    assert "晚于今天" in chinese.text and "is after today" not in chinese.text

    clerk.cookies.set("lang", "en")
    english = await _post_action(clerk, code, "meeting_decision", {**future, "request_id": "r2"})
    assert english.status_code == 400
    assert "meeting date 2099-01-01 is after today" in english.text
    assert "晚于今天" not in english.text

    unchosen = await _post_action(
        clerk, code, "meeting_decision", {**future, "result": "", "request_id": "r3"}
    )
    assert "choose the outcome" in unchosen.text and "请选择办理结果" not in unchosen.text
