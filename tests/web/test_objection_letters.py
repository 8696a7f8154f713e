"""The formal public notice (公示) and written objections with their signed letters: the
contact lines come from the settings; an objection gets a tracking number whose public
page follows it without showing anyone's personal data; a letter that is too large or
not a PDF or image is refused and nothing is kept."""

from __future__ import annotations

import asyncio
import io
import re
import time
from datetime import timedelta

import httpx
import pytest
from reportlab.pdfgen.canvas import Canvas
from sqlmodel import func, select

from documents.pdf import cjk_font
from domain.certificate import chinese_date
from domain.procedure import ObjectionResolution
from domain.shanghai_time import local_date, start_of_day
from registry.database import session_scope
from registry.tables import PublicNoticeRow, UploadedFile
from tests.support.temporal import new_id
from tests.web.conftest import browser, csrf_of, sign_in
from tests.workflows.test_term import STAFF
from web.app import create_app

CONTACT = {
    "bureau_name": "鞍山市科学技术局",
    "notice_contact_phone": "0412-5551234",
    "notice_contact_address": "鞍山市铁东区胜利南路100号 市科技局成果转化科",
    "notice_contact_email": "yiyi@kjj.anshan.example",
}
OBJECTION = {
    "name": "孙实名",
    "organisation": "鞍山某科技有限公司",
    "contact": "sun@example.com",
    "text": "该联盟成员单位存在虚报情况",
}
TRACKING = re.compile(r"YY-[0-9A-Z]{4}-[0-9A-Z]{4}")
SIGNATURE = re.compile(r'id="notice-signature"><strong>([^<]+)</strong><br>([^<]+)</p>')


def signed_letter() -> bytes:
    """A one-page PDF letter, as a scanner or a word processor would write it."""
    out = io.BytesIO()
    pdf = Canvas(out)
    pdf.setFont(cjk_font(), 14)
    pdf.drawString(72, 760, "异议书：该联盟成员单位存在虚报情况。签名：孙实名")
    pdf.save()
    return out.getvalue()


@pytest.fixture
def app(bureau, web_app):
    """The console with the bureau's contact lines set, letters of at most 1 MB, and
    Temporal's simulated clock as its "today" (`web_app` has made the users)."""
    settings = bureau.settings.model_copy(update={**CONTACT, "objection_letter_max_mb": 1})
    app = create_app(settings, client=bureau.client)
    app.state.clock = bureau.now
    return app


async def on_notice(bureau, client: httpx.AsyncClient, open_now: bool = True):
    code = await bureau.at_director_meeting()
    await bureau.approve_at_meeting(code)
    state = await bureau.wait_for_state(code, lambda s: s.notice is not None)
    await poll(client, f"/notices/{code}", lambda r: r.status_code == 200)
    if open_now:
        await bureau.sleep_until(start_of_day(state.notice.start) + timedelta(hours=10))
    return code, state.notice


async def poll(client: httpx.AsyncClient, path: str, check, seconds: float = 15):
    """GET `path` until `check(response)` holds; the registry is written by activities."""
    deadline = time.monotonic() + seconds
    while True:
        response = await client.get(path)
        if check(response) or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.05)


async def post_objection(client: httpx.AsyncClient, code: str, letter=None, **changes):
    page = await client.get("/login")  # a form that is there whatever the notice's phase
    files = {"letter": letter} if letter else None
    data = {**OBJECTION, **changes, "csrf": csrf_of(page.text)}
    return await client.post(f"/notices/{code}/objections", data=data, files=files)


def stored_files(bureau) -> int:
    with session_scope(bureau.settings.registry_url()) as session:
        return session.exec(select(func.count()).select_from(UploadedFile)).one()


async def test_the_notice_page_is_a_formal_notice_with_the_contact_lines_from_settings(app, bureau):
    async with browser(app) as client:
        code, notice = await on_notice(bureau, client, open_now=False)
        page = (await client.get(f"/notices/{code}")).text
        for shown in (
            "关于拟认定鞍山市产业技术创新战略联盟的公示",
            "鞍科发〔2016〕21号",
            f"{chinese_date(notice.start)} 至 {chinese_date(notice.end)}",
            "（5个工作日）",
            "须加盖本单位公章",
            *CONTACT.values(),
        ):
            assert shown in page, shown
        with session_scope(bureau.settings.registry_url()) as session:
            row = session.exec(
                select(PublicNoticeRow).where(PublicNoticeRow.alliance_code == code)
            ).one()
        signature = re.search(
            r'id="notice-signature"><strong>([^<]+)</strong><br>([^<]+)</p>', page
        )
        assert signature, "the notice is signed by the bureau and dated"
        assert signature.groups() == (
            CONTACT["bureau_name"],
            chinese_date(local_date(row.published_at)),
        )

        client.cookies.set("lang", "en")
        english = (await client.get(f"/notices/{code}")).text
        assert "Public notice of an alliance to be recognised" in english
        assert CONTACT["notice_contact_phone"] in english and "five working days" in english


async def test_an_objection_with_its_letter_gets_a_tracking_number_whose_page_follows_it(
    app, bureau
):
    letter = signed_letter()
    async with browser(app) as client:
        code, _ = await on_notice(bureau, client)
        filed = await post_objection(client, code, ("异议书.pdf", letter, "application/pdf"))
        assert filed.status_code == 303, filed.text
        receipt = (await client.get(filed.headers["location"])).text
        assert "您的异议已受理，编号 1" in receipt
        number = TRACKING.search(receipt).group(0)
        assert f'href="/objections/{number}"' in receipt

        status = await poll(client, f"/objections/{number}", lambda r: r.status_code == 200)
        assert status.status_code == 200
        for shown in ("已受理，正在处理", "鞍山市菱镁新材料产业技术创新战略联盟", "已收到"):
            assert shown in status.text, shown
        # Whoever holds the number sees the state, not what anyone wrote or who they are.
        for hidden in OBJECTION.values():
            assert hidden not in status.text, hidden

        # Typed with spaces and in lower case, the number still finds it.
        typed = await client.get("/objections", params={"number": number.lower().replace("-", " ")})
        assert (typed.status_code, typed.headers["location"]) == (303, f"/objections/{number}")
        unknown = await client.get("/objections/YY-2222-2222")
        assert unknown.status_code == 404 and "查无此受理查询号" in unknown.text

        await bureau.act(
            code,
            "resolve_objection",
            ObjectionResolution(
                request_id=new_id(), actor=STAFF, objection_no=1, upheld=False, reason="不属实"
            ),
        )
        decided = await poll(client, f"/objections/{number}", lambda r: "异议不成立" in r.text)
        assert "异议不成立" in decided.text and "处理日期" in decided.text
        assert "不属实" not in decided.text

    async with browser(app) as staff:
        await sign_in(staff, "staff")
        page = await staff.get(f"/alliances/{code}")
        assert f"/alliances/{code}/objections/1/letter" in page.text
        download = await staff.get(f"/alliances/{code}/objections/1/letter")
        assert download.status_code == 200 and download.content == letter
        assert download.headers["content-type"] == "application/pdf"


@pytest.mark.parametrize(
    ("filename", "content", "refusal"),
    [
        ("异议书.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024), "超过1MB"),
        ("异议书.pdf", b"MZ\x90\x00 not a letter", "不是 PDF、JPG 或 PNG 文件"),
        ("异议书.exe", b"%PDF-1.4\n%%EOF\n", "不是 PDF、JPG 或 PNG 文件"),
    ],
    ids=["too-large", "not-a-pdf-inside", "wrong-name"],
)
async def test_a_letter_too_large_or_of_another_type_is_refused_and_nothing_is_stored(
    app, bureau, filename, content, refusal
):
    async with browser(app) as client:
        code, _ = await on_notice(bureau, client)
        refused = await post_objection(client, code, (filename, content, "application/pdf"))
        assert refused.status_code == 400
        assert refusal in refused.text
        assert OBJECTION["text"] in refused.text, "what the person wrote is kept"
    assert stored_files(bureau) == 0
    assert (await bureau.state(code)).objections == []


async def test_a_letter_with_an_objection_the_procedure_refuses_is_not_kept(app, bureau):
    async with browser(app) as client:
        code, _ = await on_notice(bureau, client, open_now=False)
        early = await post_objection(
            client, code, ("异议书.pdf", signed_letter(), "application/pdf")
        )
        assert early.status_code == 400 and "公示尚未开始" in early.text
    assert stored_files(bureau) == 0
