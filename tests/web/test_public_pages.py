"""Public pages (articles 9.4, 9.5, 13): notices with written objections, certificate checks."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
from sqlmodel import select

from admin.provincial_import import import_provincial_csv
from domain.certificate import chinese_date
from domain.procedure import Actor, ObjectionFiling, Role, Stage
from domain.shanghai_time import end_of_day, start_of_day
from domain.term import Revocation
from registry.database import session_scope
from registry.tables import Certificate
from tests.support.temporal import body_of, new_id, sample_application
from tests.test_provincial_import import SAMPLE as PROVINCIAL_SAMPLE
from tests.web.conftest import browser, csrf_of

STAFF = Actor(name="钱职员", role=Role.BUREAU_STAFF)
FORM_FIELD = 'name="text"'
OBJECTION = {
    "name": "孙实名",
    "organisation": "鞍山某科技有限公司",
    "contact": "sun@example.com",
    "text": "该联盟成员单位存在虚报情况",
}


@pytest.fixture
def app(web_app, bureau):
    """The console whose "today" is Temporal's simulated clock (the `app.state.clock` hook)."""
    web_app.state.clock = bureau.now
    return web_app


async def _on_notice(bureau, client: httpx.AsyncClient):
    """An application approved at the meeting, once its notice is in the registry."""
    code = await bureau.at_director_meeting()
    await bureau.approve_at_meeting(code)
    state = await bureau.wait_for_state(code, lambda s: s.notice is not None)
    await _poll(client, f"/notices/{code}", lambda r: r.status_code == 200)
    return code, state.notice


async def _poll(client: httpx.AsyncClient, path: str, check, seconds: float = 15):
    """GET `path` until `check(response)` holds; the registry is written by activities."""
    deadline = time.monotonic() + seconds
    while True:
        response = await client.get(path)
        if check(response) or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.05)


def _period(start, end) -> str:
    return f"{chinese_date(start)} 至 {chinese_date(end)}"


async def _csrf(client: httpx.AsyncClient) -> str:
    return csrf_of((await client.get("/login")).text)


async def test_published_notice_is_listed_with_both_dates_and_takes_objections_only_inside_it(
    app, bureau
):
    application = sample_application()
    async with browser(app) as client:
        code, notice = await _on_notice(bureau, client)
        listing = await client.get("/notices")
        assert listing.status_code == 200
        for shown in (
            application.alliance_name,
            application.lead_unit,
            "鞍山高新技术产业开发区",
            "辽宁科技大学（大学）",
            "鞍山市耐火材料产品质量检验中心（检测机构）",
            _period(notice.start, notice.end),
            "公示尚未开始",
        ):
            assert shown in listing.text, shown

        before = await client.get(f"/notices/{code}")
        assert "公示尚未开始" in before.text and FORM_FIELD not in before.text

        await bureau.sleep_until(start_of_day(notice.start) + timedelta(hours=10))
        inside = await client.get(f"/notices/{code}")
        assert FORM_FIELD in inside.text and "公示尚未开始" not in inside.text
        assert "单位（以单位名义提出的须加盖公章）" in inside.text
        assert _period(notice.start, notice.end) in (await client.get("/notices")).text


async def test_objection_filed_through_the_form_holds_recognition(app, bureau):
    async with browser(app) as client:
        code, notice = await _on_notice(bureau, client)
        await bureau.sleep_until(start_of_day(notice.start) + timedelta(hours=10))
        page = await client.get(f"/notices/{code}")
        filed = await client.post(
            f"/notices/{code}/objections", data={**OBJECTION, "csrf": csrf_of(page.text)}
        )
        assert filed.status_code == 303
        receipt = await client.get(filed.headers["location"])
        assert "您的异议已受理，编号 1" in receipt.text
        # Shown once: reloading the page neither repeats the receipt nor files again.
        assert "您的异议已受理" not in (await client.get(f"/notices/{code}")).text

    received = await bureau.wait_for_mail("objection_received")
    assert len(received) == 1
    assert received[0]["To"] == ", ".join(bureau.settings.staff_emails)
    assert OBJECTION["text"] in body_of(received[0])
    state = await bureau.state(code)
    assert [(o.number, o.name, o.organisation, o.text) for o in state.objections] == [
        (1, OBJECTION["name"], OBJECTION["organisation"], OBJECTION["text"])
    ]

    await bureau.sleep_until(end_of_day(notice.end) + timedelta(days=2))
    assert (await bureau.state(code)).stage == Stage.PUBLIC_NOTICE
    assert bureau.mails("recognised") == []


async def test_objection_after_the_window_is_refused_with_the_workflows_message(app, bureau):
    async with browser(app) as client:
        code, notice = await _on_notice(bureau, client)
        await bureau.sleep_until(start_of_day(notice.start) + timedelta(hours=10))
        # An open objection keeps the procedure at the notice after its end.
        await bureau.act(code, "file_objection", ObjectionFiling(request_id=new_id(), **OBJECTION))
        await bureau.sleep_until(end_of_day(notice.end) + timedelta(hours=1))

        page = await client.get(f"/notices/{code}")
        assert "公示期已结束，不再受理异议" in page.text and FORM_FIELD not in page.text
        assert code not in (await client.get("/notices")).text

        late = await client.post(
            f"/notices/{code}/objections",
            data={**OBJECTION, "text": "太晚的异议", "csrf": await _csrf(client)},
        )
        assert late.status_code == 400
        assert "异议须在公示期内" in late.text and "公示期已结束" in late.text
        assert "太晚的异议" in late.text, "what the person wrote is kept"
    assert [o.text for o in (await bureau.state(code)).objections] == [OBJECTION["text"]]


async def test_objection_without_a_csrf_token_is_refused(app, bureau):
    async with browser(app) as client:
        code, notice = await _on_notice(bureau, client)
        await bureau.sleep_until(start_of_day(notice.start) + timedelta(hours=10))
        await client.get(f"/notices/{code}")
        missing = await client.post(f"/notices/{code}/objections", data=OBJECTION)
        forged = await client.post(
            f"/notices/{code}/objections", data={**OBJECTION, "csrf": "forged"}
        )
        assert (missing.status_code, forged.status_code) == (403, 403)
    assert (await bureau.state(code)).objections == []


async def test_objections_are_rate_limited_per_address(app, bureau):
    limit = app.state.settings.objections_per_hour
    async with browser(app) as client:
        code, _ = await _on_notice(bureau, client)
        csrf = await _csrf(client)
        codes = []
        for _ in range(limit + 1):
            response = await client.post(
                f"/notices/{code}/objections", data={**OBJECTION, "csrf": csrf}
            )
            codes.append(response.status_code)
        # Before the notice starts the workflow refuses each one; the last never reaches it.
        assert codes == [400] * limit + [429]
        assert "过于频繁" in response.text and OBJECTION["text"] in response.text

    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("10.0.0.2", 40000)),
        base_url="http://console.test",
    )
    async with other:
        response = await other.post(
            f"/notices/{code}/objections", data={**OBJECTION, "csrf": await _csrf(other)}
        )
        assert response.status_code == 400 and "公示尚未开始" in response.text


async def test_certificate_check_shows_valid_then_revoked_and_unknown_numbers(app, bureau):
    code = await bureau.recognise()
    application = sample_application()
    with session_scope(bureau.settings.registry_url()) as session:
        certificate = session.exec(
            select(Certificate).where(Certificate.alliance_code == code)
        ).one()
    page = f"/certificates/{quote(certificate.serial, safe='')}"
    async with browser(app) as client:
        search = await client.get("/certificates", params={"serial": f" {certificate.serial} "})
        assert (search.status_code, search.headers["location"]) == (303, page)
        valid = await client.get(page)
        assert valid.status_code == 200
        for shown in (
            "有效",
            application.alliance_name,
            application.lead_unit,
            _period(certificate.issued_on, certificate.valid_until),
        ):
            assert shown in valid.text, shown

        unknown = await client.get("/certificates/ASLM-1999-999")
        assert unknown.status_code == 404 and "查无此证书" in unknown.text

        await bureau.act(
            code,
            "revoke",
            Revocation(request_id=new_id(), actor=STAFF, ground="falsified", reason="材料不实"),
        )
        revoked = await _poll(client, page, lambda r: "已撤销" in r.text)
        assert "已撤销" in revoked.text and "有效期" in revoked.text


async def test_provincial_certificate_is_valid_under_article_13(app, bureau):
    import_provincial_csv(bureau.settings.registry_url(), PROVINCIAL_SAMPLE)
    page = f"/certificates/{quote('辽科联认字〔2012〕第09号', safe='')}"
    async with browser(app) as client:
        response = await client.get(page)
        assert response.status_code == 200
        for shown in (
            "有效",
            "鞍山市菱镁新材料产业技术创新战略联盟",
            "鞍山恒镁耐火材料股份有限公司",
            "省级认定，自动具备市级联盟资格",
            "2012年9月26日",
        ):
            assert shown in response.text, shown
        client.cookies.set("lang", "en")
        english = await client.get(page)
        assert "Valid" in english.text and "article 13" in english.text
        assert "2012-09-26" in english.text
