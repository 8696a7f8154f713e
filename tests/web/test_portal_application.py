"""Apply online in the alliance portal: a person registers an address, activates the
account from the emailed link, saves a draft with files and finds it again, sees every
problem at once, submits (the procedure starts and they become the alliance's
administrator); returned by the district, the alliance corrects and resubmits, and both
versions are listed. Nobody else sees or sends any of it."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
from sqlmodel import func, select

from domain.procedure import Stage
from registry.database import session_scope
from registry.portal_accounts import PortalRole
from registry.tables import (
    Alliance,
    DraftUpload,
    PortalAudit,
    PortalDraft,
    PortalMembership,
    UploadedFile,
)
from tests.support.temporal import body_of, sample_application
from tests.web.conftest import browser, csrf_of, post_action
from tests.web.test_new_application import _alliance_page_after, _form
from tests.web.test_registry_pages import registered
from tests.web.test_resubmission_page import _form_fields

ACTIVATION = re.compile(r"https?://\S+?(/portal/activate\?token=[\w-]+)")
SECRET = "shenqing-password-2026"
APPLICANT = "shenqing@lead-unit.cn"


def _count(url: str, table, *where) -> int:
    with session_scope(url) as db:
        return db.exec(select(func.count()).select_from(table).where(*where)).one()


def _audit(url: str, action: str) -> list[PortalAudit]:
    with session_scope(url) as db:
        return list(db.exec(select(PortalAudit).where(PortalAudit.action == action)).all())


async def _applicant(
    bureau, app, email: str = APPLICANT, name: str = "李申报"
) -> httpx.AsyncClient:
    """A person registers `email` on the apply page and activates the account from the
    emailed link; returns their signed-in client, on the application form."""
    client = browser(app)
    page = await client.get("/portal/apply")
    assert page.status_code == 200 and 'id="register-form"' in page.text
    sent = await client.post(
        "/portal/apply/register", data={"csrf": csrf_of(page.text), "email": email}
    )
    assert sent.status_code == 200 and 'id="link-sent"' in sent.text
    [mail] = bureau.smtp.to(email)
    found = ACTIVATION.search(body_of(mail))
    assert found, "the email carries no activation link"
    form = await client.get(found.group(1))
    assert form.status_code == 200 and 'id="to-apply"' in form.text
    activated = await client.post(
        "/portal/activate",
        data={
            "csrf": csrf_of(form.text),
            "token": found.group(1).split("token=")[1],
            "name": name,
            "password": SECRET,
            "password_again": SECRET,
        },
    )
    assert activated.status_code == 303 and activated.headers["location"] == "/portal/apply"
    return client


async def _submit_page(client: httpx.AsyncClient, path: str, data: dict, files=None, act="submit"):
    page = await client.get(path)
    assert page.status_code == 200, page.text
    fields = _form_fields(page.text)
    sent = {**fields, **data, "csrf": csrf_of(page.text), "act": act}
    return await client.post(path, data=sent, files=files or {})


async def _apply(bureau, client: httpx.AsyncClient) -> tuple[str, httpx.Response]:
    app = sample_application()
    data, files = _form(app, "")
    submitted = await _submit_page(client, "/portal/apply", data, files)
    return bureau.code_of(app), submitted


async def test_a_draft_is_kept_with_its_files_for_the_person_alone(bureau, web_app):
    url = bureau.settings.registry_url()
    client = await _applicant(bureau, web_app)
    data = {"alliance_name": "鞍山市菱镁新材料产业技术创新战略联盟", "lead_unit": "鞍钢集团"}
    agreement = ("agreement.pdf", b"%PDF-1.4 agreement", "application/pdf")
    saved = await _submit_page(client, "/portal/apply", data, {"agreement": agreement}, act="save")
    assert saved.status_code == 303 and "saved=1" in saved.headers["location"]

    again = browser(web_app)  # another day, another browser: signed in with the password
    page = await again.get("/portal/sign-in")
    await again.post(
        "/portal/sign-in",
        data={"csrf": csrf_of(page.text), "email": APPLICANT, "password": SECRET},
    )
    form = await again.get("/portal/apply")
    assert form.status_code == 200
    assert _form_fields(form.text)["alliance_name"] == data["alliance_name"]
    assert "已上传：agreement.pdf" in form.text
    assert _count(url, Alliance) == 0 and _count(url, UploadedFile) == 0
    assert [a.user_name for a in _audit(url, "application.draft_saved")] == ["李申报"]

    other = await _applicant(bureau, web_app, "other@elsewhere.cn", "赵他人")
    theirs = await other.get("/portal/apply")
    assert data["alliance_name"] not in theirs.text and "agreement.pdf" not in theirs.text
    for c in (client, again, other):
        await c.aclose()


async def test_every_problem_is_shown_at_once_and_nothing_is_registered(bureau, web_app):
    url = bureau.settings.registry_url()
    client = await _applicant(bureau, web_app)
    data, files = _form(sample_application(), "")
    data["member_0_code"] = data["member_0_code"][:-1] + "0"
    data.pop("executive_full_time")
    files.pop("application_form")
    files["agreement"] = ("agreement.exe", b"MZ", "application/octet-stream")
    refused = await _submit_page(client, "/portal/apply", data, files)
    assert refused.status_code == 400
    for expected in ("members[0].credit_code", "bodies.executive.full_time", "联盟申请表"):
        assert expected in refused.text, expected
    assert "agreement.exe" in refused.text and "已上传：agreement.exe" not in refused.text
    assert "已上传：licence-0.pdf" in refused.text, "an accepted file is kept"
    assert data["alliance_name"] in refused.text, "what was typed is kept"
    assert _count(url, Alliance) == 0 and _count(url, UploadedFile) == 0
    assert bureau.smtp.to(sample_application().contacts[0].email) == []
    await client.aclose()


async def test_submitting_starts_the_procedure_and_the_person_administers_the_alliance(
    bureau, web_app
):
    url = bureau.settings.registry_url()
    client = await _applicant(bureau, web_app)
    code, submitted = await _apply(bureau, client)
    assert submitted.headers["location"] == f"/portal/apply/{code}/registering"
    assert await _alliance_page_after(client, submitted) == f"/portal/a/{code}"
    home = await client.get(f"/portal/a/{code}")
    assert home.status_code == 200 and "联盟管理员" in home.text and "李申报" in home.text
    status = await client.get(f"/portal/a/{code}/application")
    assert status.status_code == 200 and 'data-version="1"' in status.text
    assert 'id="application"' not in status.text, "no form while it is not returned"

    state = await bureau.state(code)
    assert state.stage == Stage.DISTRICT_REVIEW
    contact = sample_application().contacts[0].email
    deadline = time.monotonic() + 15
    while not any(
        "application_received" in (m["X-Alliance-Notice-Key"] or "")
        for m in bureau.smtp.to(contact)
    ):
        assert time.monotonic() < deadline, "no receipt reached the contact"
        await asyncio.sleep(0.05)
    with session_scope(url) as db:
        [seat] = db.exec(select(PortalMembership)).all()
    assert (seat.alliance_code, seat.role) == (code, PortalRole.ADMINISTRATOR.value)
    assert _count(url, PortalDraft) == 0 and _count(url, DraftUpload) == 0
    [entry] = _audit(url, "application.submitted")
    assert entry.alliance_code == code and entry.user_name == "李申报"

    # the same form sent again (a second click) starts nothing new
    page = await client.get("/portal/apply")
    assert _form_fields(page.text)["request_id"] != entry.detail["request_id"]
    data, files = _form(sample_application(), csrf_of(page.text))
    twice = await client.post(
        "/portal/apply",
        data={**data, "act": "submit", "request_id": entry.detail["request_id"]},
        files=files,
    )
    assert twice.headers["location"] == f"/portal/apply/{code}/registering"
    assert len(_audit(url, "application.submitted")) == 1
    await client.aclose()


async def test_a_returned_application_is_corrected_online_and_both_versions_are_listed(
    bureau, web_app, as_user
):
    client = await _applicant(bureau, web_app)
    code, submitted = await _apply(bureau, client)
    await _alliance_page_after(client, submitted)
    await bureau.wait_for_state(code, lambda s: s.clock is not None)
    reviewer = await as_user("gaoxin")
    reasons = "请补充经费管理制度"
    returned = await post_action(
        reviewer, code, "district_review", {"outcome": "return", "reasons": reasons}
    )
    assert returned.status_code == 303
    await registered(bureau, code, "correction")

    home = await client.get(f"/portal/a/{code}")
    assert f"/portal/a/{code}/application" in home.text
    page = await client.get(f"/portal/a/{code}/application")
    assert page.status_code == 200 and reasons in page.text
    assert _form_fields(page.text)["alliance_name"] == sample_application().alliance_name
    assert "已上传：agreement.pdf" in page.text, "the submitted files are held"

    # the workflow's refusal, in the page's language; nothing changes
    client.cookies.set("lang", "en")
    moved = await _submit_page(client, f"/portal/a/{code}/application", {"district": "tiexi"})
    assert moved.status_code == 400 and "must stay in its district" in moved.text
    assert (await bureau.state(code)).stage == Stage.CORRECTION
    client.cookies.set("lang", "zh-CN")

    corrected = {
        "district": sample_application().district.value,
        "management_rule": "《联盟经费管理办法》（2026年修订），专款专用，年度审计",
        "note": "已补充经费管理制度",
    }
    sent = await _submit_page(client, f"/portal/a/{code}/application", corrected)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/portal/a/{code}/application?done=resubmit"
    state = await bureau.state(code)
    assert state.stage == Stage.DISTRICT_REVIEW and state.application_version == 2
    assert state.application.funding.management_rule.startswith("《联盟经费管理办法》")
    assert (state.decisions[-1].actor.name, state.decisions[-1].reasons) == (
        "李申报",
        "已补充经费管理制度",
    )
    assert len(state.application.materials) == len(sample_application().members) + 3

    await registered(bureau, code, "district_review")
    deadline = time.monotonic() + 15
    while 'data-version="2"' not in (listed := (await client.get(sent.headers["location"])).text):
        assert time.monotonic() < deadline, "version 2 was never listed"
        await asyncio.sleep(0.1)
    assert 'data-version="1"' in listed and "补正后的申请已提交" in listed
    url = bureau.settings.registry_url()
    assert [a.user_name for a in _audit(url, "application.resubmitted")] == ["李申报"]
    await client.aclose()


async def test_another_portal_user_can_neither_see_nor_resubmit(bureau, web_app, as_user):
    client = await _applicant(bureau, web_app)
    code, submitted = await _apply(bureau, client)
    await _alliance_page_after(client, submitted)
    await bureau.wait_for_state(code, lambda s: s.clock is not None)
    reviewer = await as_user("gaoxin")
    await post_action(reviewer, code, "district_review", {"outcome": "return", "reasons": "补充"})
    await registered(bureau, code, "correction")

    stranger = await _applicant(bureau, web_app, "other@elsewhere.cn", "赵他人")
    for path in (f"/portal/a/{code}/application", f"/portal/apply/{code}/registering"):
        assert (await stranger.get(path)).status_code == 404, path
    page = await stranger.get("/portal/apply")
    data, files = _form(sample_application(), csrf_of(page.text))
    posted = await stranger.post(
        f"/portal/a/{code}/application", data={**data, "act": "submit"}, files=files
    )
    assert posted.status_code == 404
    assert (await bureau.state(code)).stage == Stage.CORRECTION
    await client.aclose()
    await stranger.aclose()


async def test_a_stranger_cannot_take_over_a_known_alliance_by_applying_for_it(
    bureau, web_app, as_user
):
    """Applying again (after a withdrawal, rejection, revocation) continues the same
    alliance, so it is for that alliance's administrators only: its name and lead unit are
    public, and whoever submitted would otherwise become its administrator."""
    url = bureau.settings.registry_url()
    owner = await _applicant(bureau, web_app)
    code, submitted = await _apply(bureau, owner)
    await _alliance_page_after(owner, submitted)
    await bureau.wait_for_state(code, lambda s: s.clock is not None)
    staff = await as_user("staff")
    await post_action(staff, code, "withdraw", {"reason": "联盟书面申请撤回"})
    await registered(bureau, code, "withdrawn")

    stranger = await _applicant(bureau, web_app, "other@elsewhere.cn", "赵他人")
    _, refused = await _apply(bureau, stranger)
    assert refused.status_code == 400  # the form again, with the problem
    assert "再次申请须由该联盟在门户的管理员账号提交" in refused.text
    assert (await stranger.get(f"/portal/a/{code}")).status_code == 404
    with session_scope(url) as db:
        seats = db.exec(select(PortalMembership).where(PortalMembership.alliance_code == code))
        assert [s.added_by for s in seats] == ["李申报"]  # the owner's seat alone

    _, again = await _apply(bureau, owner)  # its own administrator may apply again
    assert again.status_code == 303 and again.headers["location"].endswith("/registering")
    await owner.aclose()
    await stranger.aclose()
