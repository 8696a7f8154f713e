"""Incidents (故障) in the console: shown on the alliance page, re-queued by bureau staff."""

from __future__ import annotations

from client.alliances import outbox
from domain.effects import IncidentStatus
from tests.support.temporal import sample_application
from tests.web.conftest import browser, retry, sign_in, submit_with_refused_receipt
from web.app import create_app


async def test_the_alliance_page_shows_the_incident_and_the_refused_addresses(bureau, as_user):
    code, addresses = await submit_with_refused_receipt(bureau)
    staff = await as_user("staff")
    page = await staff.get(f"/alliances/{code}")
    assert page.status_code == 200
    incidents = page.text.split('id="incidents"')[1].split("</section>")[0]
    assert "发送邮件通知：受理回执" in incidents
    assert "待处理" in incidents and "重新处理" in incidents
    assert "有 1 项故障待处理" in page.text
    emails = page.text.split('id="emails"')[1]
    assert "发送失败" in emails
    for address in addresses:
        assert address in emails
    assert "550" in emails, "the relay's reply is shown beside the refused address"
    assert 'id="pending"' in page.text

    await staff.get(f"/lang/en?back=/alliances/{code}")
    english = (await staff.get(f"/alliances/{code}")).text
    assert "1 open incident(s)" in english and "email notice: application received" in english
    assert ">Retry<" in english and "not delivered" in english


async def test_staff_retry_re_queues_the_incident_and_the_receipt_goes_out(bureau, as_user):
    code, addresses = await submit_with_refused_receipt(bureau)
    bureau.smtp.refused.clear()  # the addresses are corrected
    staff = await as_user("staff")

    response = await retry(staff, code, 1)
    assert response.status_code == 303, response.text
    assert "request_id=retry-1" in response.headers["location"]
    accepted = await staff.get(response.headers["location"])
    assert "已受理（请求编号 retry-1）" in accepted.text
    assert "登记记录和邮件通知随后完成" in accepted.text

    incident = (await outbox(bureau.client, code)).incident(1)
    assert incident.status == IncidentStatus.RETRIED and incident.retried_by == "staff用户"
    receipts = await bureau.wait_for_mail("application_received")
    assert len(receipts) == 1 and set(receipts[0]["To"].split(", ")) >= set(addresses)
    await bureau.settled(code)
    page = await staff.get(f"/alliances/{code}")
    assert "已重新排队" in page.text and "有 1 项故障待处理" not in page.text
    assert "发送失败" not in page.text.split('id="emails"')[1]


async def test_a_district_reviewer_sees_the_incident_but_cannot_retry_it(bureau, as_user):
    code, _ = await submit_with_refused_receipt(bureau)
    reviewer = await as_user("gaoxin")
    page = await reviewer.get(f"/alliances/{code}")
    assert "待处理" in page.text and "actions/retry_incident" not in page.text

    refused = await retry(reviewer, code, 1)
    assert refused.status_code == 403
    assert (await reviewer.get("/incidents")).status_code == 403
    incident = (await outbox(bureau.client, code)).incident(1)
    assert incident.status == IncidentStatus.OPEN


async def test_a_second_retry_of_the_same_incident_is_refused_with_the_reason(bureau, as_user):
    code, _ = await submit_with_refused_receipt(bureau)
    staff = await as_user("staff")
    assert (await retry(staff, code, 1, "first")).status_code == 303
    again = await retry(staff, code, 1, "second")
    assert again.status_code == 400
    assert "已重新排队，不必再次重试" in again.text.split('id="incidents"')[1]


async def test_on_the_time_skipping_server_the_incidents_page_says_it_cannot_list(bureau, as_user):
    """That server has no visibility list; the page says so and still lists the emails."""
    code, addresses = await submit_with_refused_receipt(bureau)
    staff = await as_user("staff")
    page = await staff.get("/incidents")
    assert page.status_code == 200
    assert "暂时无法列出故障" in page.text
    undelivered = page.text.split('id="undelivered"')[1]
    assert f"/alliances/{code}" in undelivered and "发送失败" in undelivered
    for address in addresses:
        assert address in undelivered


async def test_without_temporal_the_alliance_page_shows_the_registry_and_says_why(bureau, web_app):
    code = await bureau.submit(sample_application())
    await bureau.settled(code)
    down = bureau.settings.model_copy(update={"temporal_address": "127.0.0.1:1"})
    async with browser(create_app(down, client=None)) as staff:
        await sign_in(staff, "staff")
        page = await staff.get(f"/alliances/{code}")
        assert page.status_code == 200
        assert "无法连接 Temporal 服务 127.0.0.1:1" in page.text
        assert "流程服务暂时无法查询，待办事项和故障暂不能显示" in page.text
        assert sample_application().alliance_name in page.text
        incidents = await staff.get("/incidents")
        assert incidents.status_code == 200 and "暂时无法列出故障" in incidents.text
