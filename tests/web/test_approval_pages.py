"""Article 9.5 in the console: bureau staff record the approval document in its stage, and
later the plaque's handing-over on the recognised alliance's page."""

from __future__ import annotations

from datetime import timedelta

from admin.simulation import until_continued
from client.alliances import workflow_id_for
from domain.shanghai_time import at_local, end_of_day
from tests.web.conftest import csrf_of, post_action


async def _post(client, code: str, name: str, data: dict):
    return await post_action(client, code, name, data)


async def test_staff_record_the_approval_document_then_the_plaque_handover(bureau, as_user):
    code = await bureau.at_director_meeting()
    await bureau.approve_at_meeting(code)
    notice = (await bureau.wait_for_state(code, lambda s: s.notice is not None)).notice
    await bureau.sleep_until(end_of_day(notice.end) + timedelta(hours=1))
    state = await bureau.wait_for_state(code, lambda s: s.clock is not None)
    first_day = state.approval_plan.first_day
    await bureau.sleep_until(at_local(first_day, 10))
    await bureau.settled(code)

    staff = await as_user("staff")
    inbox = await staff.get("/inbox")
    assert code in inbox.text and "下达批复文件" in inbox.text
    page = await staff.get(f"/alliances/{code}")
    assert 'id="form-record_approval"' in page.text
    assert f"不早于公示结束后的第一个工作日（{first_day}）" in page.text
    clerk = await as_user("clerk")
    assert 'id="form-record_approval"' not in (await clerk.get(f"/alliances/{code}")).text

    number = "鞍科批〔2026〕7号"
    early = (first_day - timedelta(days=1)).isoformat()
    refused = await _post(
        staff, code, "record_approval", {"document_number": number, "document_date": early}
    )
    assert refused.status_code == 400
    assert "早于公示结束后的第一个工作日" in refused.text
    assert 'id="form-record_approval"' in refused.text
    done = await _post(
        staff,
        code,
        "record_approval",
        {"document_number": number, "document_date": first_day.isoformat()},
    )
    assert done.status_code == 303, done.text

    await until_continued(bureau.client, workflow_id_for(code), bureau.procedure_runs[code])
    await bureau.settled(code)
    page = await staff.get(f"/alliances/{code}")
    assert "尚未登记牌匾交付" in page.text and 'id="form-record_plaque_handover"' in page.text
    handed = {"handed_over_on": first_day.isoformat(), "received_by": "张秘书长"}
    done = await _post(staff, code, "record_plaque_handover", handed)
    assert done.status_code == 303, done.text
    page = await staff.get(f"/alliances/{code}")
    assert f"已于{first_day}交付张秘书长" in page.text
    assert 'id="form-record_plaque_handover"' not in page.text
    again = await staff.post(
        f"/alliances/{code}/actions/record_plaque_handover",
        data={"csrf": csrf_of(page.text), **handed, "confirmed": "1"},
    )
    assert again.status_code == 400 and "不能重复登记" in again.text
