"""What the alliance or the public hand in on paper, entered by staff in the console: an
objection, a withdrawal, a change of members and contacts, giving up the status."""

from __future__ import annotations

from datetime import timedelta

from domain.credit_code import complete_code
from domain.procedure import ObjectionStatus, Stage
from domain.shanghai_time import start_of_day
from domain.term import TermStatus
from tests.support.temporal import sample_application
from tests.web.conftest import post_action
from tests.web.test_registry_pages import registered


async def test_an_objection_received_on_paper_is_entered_and_resolved(bureau, as_user):
    code = await bureau.at_director_meeting()
    await bureau.approve_at_meeting(code)
    notice = (await bureau.wait_for_state(code, lambda s: s.notice is not None)).notice
    await bureau.sleep_until(start_of_day(notice.start) + timedelta(hours=10))
    staff = await as_user("staff")

    filed = await post_action(
        staff,
        code,
        "file_objection",
        {"name": "王来信", "contact": "鞍山市铁东区来信路1号", "text": "成员单位名单有误"},
    )
    assert filed.status_code == 303, filed.text
    state = await bureau.state(code)
    assert state.objections[0].name == "王来信"
    assert "书面异议" in state.objections[0].text

    resolved = await post_action(
        staff,
        code,
        "resolve_objection",
        {"objection_no": "1", "result": "dismiss", "reason": "经核实名单无误"},
    )
    assert resolved.status_code == 303, resolved.text
    state = await bureau.state(code)
    assert state.objections[0].status == ObjectionStatus.DISMISSED


async def test_an_application_withdrawn_in_writing_is_entered_by_staff(bureau, as_user):
    code = await bureau.submit(sample_application())
    await bureau.wait_for_state(code, lambda s: s.clock is not None)
    staff = await as_user("staff")
    page = await staff.get(f"/alliances/{code}")
    assert 'id="form-withdraw"' in page.text

    done = await post_action(staff, code, "withdraw", {"reason": "联盟书面申请撤回"})
    assert done.status_code == 303, done.text
    assert (await bureau.result(code)).stage == Stage.WITHDRAWN


async def test_members_change_then_the_alliance_gives_up_its_status(bureau, as_user):
    code = await bureau.recognise()
    await registered(bureau, code, "active")
    term = await bureau.term_state(code)
    staff = await as_user("staff")
    page = await staff.get(f"/alliances/{code}")
    form = page.text.split('id="form-change_membership"', 1)[1].split("</form>", 1)[0]
    assert all(m.name in form for m in term.members)  # the current list, to edit

    rows: dict[str, str] = {}
    for i, member in enumerate(term.members):
        rows |= {
            f"member_{i}_name": member.name,
            f"member_{i}_kind": member.kind.value,
            f"member_{i}_code": member.credit_code,
            f"member_{i}_role": member.role.value,
            f"member_{i}_task": member.task,
        }
    new = len(term.members)
    rows |= {
        f"member_{new}_name": "鞍山新材料检测有限公司",
        f"member_{new}_kind": "testing_body",
        f"member_{new}_code": complete_code("91210300MA0NEW800"),
        f"member_{new}_role": "member",
        f"member_{new}_task": "新材料性能检测",
        f"member_{new + 1}_name": "",  # a blank row, its dropdowns as the browser sends them
        f"member_{new + 1}_kind": "",
        f"member_{new + 1}_role": "member",
    }
    for i, contact in enumerate(term.contacts):
        rows |= {f"contact_{i}_name": contact.name, f"contact_{i}_email": contact.email}
    changed = await post_action(
        staff, code, "change_membership", {**rows, "note": "新增检测机构一家"}
    )
    assert changed.status_code == 303, changed.text
    term = await bureau.term_state(code)  # the update has answered: the state holds it
    assert [m.name for m in term.members][-1] == "鞍山新材料检测有限公司"
    assert len(term.members) == new + 1  # the blank row was ignored

    renounced = await post_action(staff, code, "renounce", {"reason": "联盟解散"})
    assert renounced.status_code == 303, renounced.text
    assert (await bureau.term_handle(code).result()).status == TermStatus.WITHDRAWN
