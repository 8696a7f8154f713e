"""The director's clerk records one office meeting for several applications at once, each
with its own decision and reasons, after checking the summary."""

from __future__ import annotations

import html
import re

from domain.districts import District
from domain.procedure import Stage
from domain.shanghai_time import local_date
from tests.web.conftest import csrf_of
from tests.web.test_registry_pages import registered, variant


async def test_one_meeting_decides_two_applications_and_leaves_a_third(bureau, as_user):
    codes = []
    for n, name in enumerate(["甲联盟", "乙联盟", "丙联盟"], start=1):
        application = variant(f"0{n}", District.HIGH_TECH_ZONE, f"鞍山市{name}")
        code = await bureau.submit(application)
        await bureau.recommend(code, application.district)
        await bureau.pass_expert_review(code)
        await registered(bureau, code, "director_meeting")
        codes.append(code)
    first, second, third = codes
    clerk = await as_user("clerk")
    assert 'href="/meetings/new"' in (await clerk.get("/inbox")).text
    page = await clerk.get("/meetings/new")
    assert all(code in page.text for code in codes)
    today = local_date(await bureau.now()).isoformat()
    form = {
        "csrf": csrf_of(page.text),
        "meeting_number": "2026年第15次",
        "meeting_date": today,
        f"result_{first}": "approve",
        f"reasons_{first}": "同意认定",
        f"result_{second}": "reject",
        f"reasons_{second}": "产学研合作基础薄弱",
        f"result_{third}": "",
    }

    unexplained = await clerk.post("/meetings", data={**form, f"reasons_{first}": ""})
    assert unexplained.status_code == 400 and f"{first}：请填写审议意见" in unexplained.text

    check = await clerk.post("/meetings", data=form)
    assert check.status_code == 200 and 'id="confirm-action"' in check.text
    assert "通过，进入公示" in check.text and "产学研合作基础薄弱" in check.text
    assert third not in check.text.split('id="confirm"', 1)[1].split("<form", 1)[0]
    assert (await bureau.state(first)).stage == Stage.DIRECTOR_MEETING  # nothing sent yet

    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', check.text)
    done = await clerk.post("/meetings", data={k: html.unescape(v) for k, v in hidden})
    assert done.status_code == 200 and done.text.count("已受理（请求编号") == 2
    assert (await bureau.state(first)).stage == Stage.PUBLIC_NOTICE
    assert (await bureau.state(second)).stage == Stage.REJECTED
    assert (await bureau.state(third)).stage == Stage.DIRECTOR_MEETING
    decided = (await bureau.state(first)).decisions[-1]
    assert decided.detail["meeting_number"] == "2026年第15次" and decided.reasons == "同意认定"

    recorded = len((await bureau.state(first)).decisions)
    await clerk.post("/meetings", data={k: html.unescape(v) for k, v in hidden})
    assert len((await bureau.state(first)).decisions) == recorded  # sent twice, acted once


async def test_only_the_clerk_and_bureau_staff_record_a_meeting(as_user):
    reviewer = await as_user("gaoxin")
    assert (await reviewer.get("/meetings/new")).status_code == 403
