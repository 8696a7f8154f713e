"""Alliance portal accounts: activation from the emailed link, sign-in by password or by a
one-time link, an administrator adding and removing users, and who may see what."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from domain.procedure import Role
from registry.database import session_scope
from registry.portal_accounts import activate, issue_activation_links
from registry.staff_accounts import create_user
from registry.tables import Alliance, AnnualReportRow, PortalAudit
from tests.support.smtp_fixture import settings_for
from tests.support.temporal import body_of
from tests.web.conftest import PASSWORD, browser, csrf_of, sign_in
from web.app import create_app

ACTIVATION = re.compile(r"https?://\S+?(/portal/activate\?token=[\w-]+)")
SIGN_IN_LINK = re.compile(r"https?://\S+?(/portal/sign-in/link\?token=[\w-]+)")
SECRET = "mishu-password-2026"


def _path(found: re.Match | None) -> str:
    assert found, "the email carries no portal link"
    return found.group(1)


async def _activate(client, path: str, name: str, password: str = SECRET):
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return await client.post(
        "/portal/activate",
        data={
            "csrf": csrf_of(page.text),
            "token": path.split("token=")[1],
            "name": name,
            "password": password,
            "password_again": password,
        },
    )


async def _portal_sign_in(client, email: str, password: str = SECRET):
    page = await client.get("/portal/sign-in")
    return await client.post(
        "/portal/sign-in",
        data={"csrf": csrf_of(page.text), "email": email, "password": password},
    )


def _audit(url: str, action: str) -> list[PortalAudit]:
    with session_scope(url) as db:
        return list(db.exec(select(PortalAudit).where(PortalAudit.action == action)).all())


# ---------------------------------------------------------------- through the real procedure


async def test_the_contact_activates_from_the_receipt_and_sees_its_alliance(bureau, web_app):
    code = await bureau.submit()
    [receipt] = await bureau.wait_for_mail("application_received")
    contact = receipt["To"].split(",")[0].strip()
    link = _path(ACTIVATION.search(body_of(receipt)))

    async with browser(web_app) as client:
        activated = await _activate(client, link, "王秘书")
        assert activated.status_code == 303
        assert activated.headers["location"] == f"/portal/a/{code}"
        home = await client.get(f"/portal/a/{code}")
        assert home.status_code == 200
        assert code in home.text and "鞍山" in home.text
        assert "王秘书" in home.text and "联盟管理员" in home.text

        again = await client.get(link)  # single use
        assert again.status_code == 410 and "已经使用过" in again.text

    async with browser(web_app) as other:
        assert (await _portal_sign_in(other, contact, "wrong-password-1")).status_code == 401
        signed = await _portal_sign_in(other, contact)
        assert signed.status_code == 303
        assert (await other.get(f"/portal/a/{code}")).status_code == 200

    url = bureau.settings.registry_url()
    [entry] = _audit(url, "account.activated")
    assert (entry.user_name, entry.alliance_code, entry.email) == ("王秘书", code, contact.lower())
    assert {e.user_name for e in _audit(url, "signed_in")} == {"王秘书"}


# ---------------------------------------------------------------- on the registry alone


@pytest.fixture
def portal(registry_url, smtp_server, tmp_path):
    """The web app on a registry holding two alliances, A and B, mail to the test server."""
    now = datetime.now(UTC)
    with session_scope(registry_url) as db:
        for code, name, contact in (
            ("2026-0001", "鞍山市菱镁新材料产业技术创新战略联盟", "a@lianmeng-a.cn"),
            ("2026-0002", "鞍山市钢铁深加工产业技术创新战略联盟", "b@lianmeng-b.cn"),
        ):
            db.add(
                Alliance(
                    code=code,
                    name=name,
                    district="tiedong",
                    status="active",
                    contact_emails=[contact],
                    created_at=now,
                    updated_at=now,
                )
            )
    settings = settings_for(smtp_server, registry_url, tmp_path)
    return create_app(settings), settings, smtp_server


def _account(url: str, code: str, email: str, name: str) -> None:
    """An administrator of `code` who activated from the emailed link."""
    now = datetime.now(UTC)
    [link] = issue_activation_links(url, code, [email], f"{code}:receipt", 7, now)
    activate(url, link.token, name, SECRET, SECRET, now)


async def test_an_expired_activation_link_is_refused_with_a_clear_page(portal):
    app, settings, _ = portal
    url = settings.registry_url()
    past = datetime.now(UTC) - timedelta(days=8)
    [link] = issue_activation_links(url, "2026-0001", ["a@lianmeng-a.cn"], "k", 7, past)
    async with browser(app) as client:
        page = await client.get(f"/portal/activate?token={link.token}")
        assert page.status_code == 410
        assert "该链接已过期" in page.text and "发送新的链接" in page.text


async def test_a_new_rendering_replaces_the_unused_link(portal):
    app, settings, _ = portal
    url = settings.registry_url()
    now = datetime.now(UTC)
    [first] = issue_activation_links(url, "2026-0001", ["a@lianmeng-a.cn"], "k", 7, now)
    [second] = issue_activation_links(url, "2026-0001", ["A@lianmeng-a.cn"], "k", 7, now)
    async with browser(app) as client:
        assert (await client.get(f"/portal/activate?token={first.token}")).status_code == 410
        assert (await client.get(f"/portal/activate?token={second.token}")).status_code == 200
    _account(url, "2026-0001", "a@lianmeng-a.cn", "王秘书")
    # Activated: the next receipt carries no link, only the portal's address.
    assert issue_activation_links(url, "2026-0001", ["a@lianmeng-a.cn"], "k2", 7, now) == []


async def test_a_short_or_mistyped_password_is_refused_and_the_link_still_works(portal):
    app, settings, _ = portal
    url = settings.registry_url()
    now = datetime.now(UTC)
    [link] = issue_activation_links(url, "2026-0001", ["a@lianmeng-a.cn"], "k", 7, now)
    path = f"/portal/activate?token={link.token}"
    async with browser(app) as client:
        short = await _activate(client, path, "王秘书", "short")
        assert short.status_code == 400 and "密码至少10位" in short.text
        page = await client.get(path)
        mistyped = await client.post(
            "/portal/activate",
            data={
                "csrf": csrf_of(page.text),
                "token": link.token,
                "name": "王秘书",
                "password": SECRET,
                "password_again": SECRET + "x",
            },
        )
        assert mistyped.status_code == 400 and "两次输入的密码不一致" in mistyped.text
        assert (await _activate(client, path, "王秘书")).status_code == 303


async def test_a_one_time_link_signs_a_registered_address_in(portal):
    app, settings, smtp = portal
    url = settings.registry_url()
    _account(url, "2026-0001", "a@lianmeng-a.cn", "王秘书")
    async with browser(app) as client:
        page = await client.get("/portal/sign-in")
        asked = await client.post(
            "/portal/sign-in/link", data={"csrf": csrf_of(page.text), "email": "A@lianmeng-a.cn"}
        )
        unknown = await client.post(
            "/portal/sign-in/link", data={"csrf": csrf_of(page.text), "email": "x@nowhere.cn"}
        )
        # The same answer whether the address is known or not; only the known one is mailed.
        assert asked.status_code == unknown.status_code == 200
        assert "如该地址已在平台登记" in asked.text and "如该地址已在平台登记" in unknown.text
        [mail] = smtp.messages
        assert mail["To"] == "a@lianmeng-a.cn"
        path = _path(SIGN_IN_LINK.search(body_of(mail)))

        confirm = await client.get(path)  # a mail scanner opening it uses nothing up
        used = await client.post(
            "/portal/sign-in/link/use",
            data={"csrf": csrf_of(confirm.text), "token": path.split("token=")[1]},
        )
        assert used.status_code == 303
        assert (await client.get("/portal/a/2026-0001")).status_code == 200
        assert (await client.get(path)).status_code == 410
    assert {e.user_name for e in _audit(url, "signed_in.link")} == {"王秘书"}


async def test_a_mail_relay_that_is_down_is_told_at_once(portal, tmp_path):
    app, settings, smtp = portal
    _account(settings.registry_url(), "2026-0001", "a@lianmeng-a.cn", "王秘书")
    smtp.stop()
    async with browser(app) as client:
        page = await client.get("/portal/sign-in")
        answer = await client.post(
            "/portal/sign-in/link", data={"csrf": csrf_of(page.text), "email": "a@lianmeng-a.cn"}
        )
    assert answer.status_code == 503 and "邮件暂时无法发送" in answer.text


async def test_the_administrator_adds_a_user_who_activates_and_removal_ends_access(portal):
    app, settings, smtp = portal
    url = settings.registry_url()
    _account(url, "2026-0001", "a@lianmeng-a.cn", "王秘书")
    async with browser(app) as admin, browser(app) as colleague:
        await _portal_sign_in(admin, "a@lianmeng-a.cn")
        home = await admin.get("/portal/a/2026-0001")
        added = await admin.post(
            "/portal/a/2026-0001/users",
            data={"csrf": csrf_of(home.text), "email": "li@lianmeng-a.cn", "role": "member"},
        )
        assert added.status_code == 303
        home = await admin.get("/portal/a/2026-0001")
        assert "li@lianmeng-a.cn" in home.text and "待激活" in home.text

        [invitation] = [m for m in smtp.messages if m["To"] == "li@lianmeng-a.cn"]
        assert "王秘书" in body_of(invitation)
        assert (
            await _activate(colleague, _path(ACTIVATION.search(body_of(invitation))), "李干事")
        ).status_code == 303
        page = await colleague.get("/portal/a/2026-0001")
        assert page.status_code == 200 and "秘书处工作人员" in page.text
        assert 'id="add-user"' not in page.text  # a member manages no users

        user_id = re.search(r"/users/(\d+)/remove", (await admin.get("/portal/a/2026-0001")).text)
        assert user_id
        removed = await admin.post(
            f"/portal/a/2026-0001/users/{user_id.group(1)}/remove",
            data={"csrf": csrf_of(home.text)},
        )
        assert removed.status_code == 303
        assert (await colleague.get("/portal/a/2026-0001")).status_code == 404

    assert [(e.user_name, e.detail["email"]) for e in _audit(url, "user.added")] == [
        ("王秘书", "li@lianmeng-a.cn")
    ]
    assert [(e.user_name, e.detail["email"]) for e in _audit(url, "user.removed")] == [
        ("王秘书", "li@lianmeng-a.cn")
    ]


async def test_a_user_of_one_alliance_cannot_open_or_post_to_another(portal):
    app, settings, smtp = portal
    url = settings.registry_url()
    _account(url, "2026-0001", "a@lianmeng-a.cn", "王秘书")
    _account(url, "2026-0002", "b@lianmeng-b.cn", "赵秘书")
    async with browser(app) as client:
        await _portal_sign_in(client, "a@lianmeng-a.cn")
        for page in ("", "/reports/2026", "/assessments/midterm", "/rectification", "/application"):
            answer = await client.get(f"/portal/a/2026-0002{page}")
            assert answer.status_code == 404, page
            assert "钢铁深加工" not in answer.text
        home = await client.get("/portal/a/2026-0001")
        posted = await client.post(
            "/portal/a/2026-0002/users",
            data={
                "csrf": csrf_of(home.text),
                "email": "spy@lianmeng-a.cn",
                "role": "administrator",
            },
        )
        assert posted.status_code == 404
        assert (await client.get("/portal/a/2026-0001/reports/2026")).status_code == 200
    assert smtp.messages == [] and _audit(url, "user.added") == []


async def test_one_person_serving_two_alliances_chooses_between_them(portal):
    app, settings, _ = portal
    url = settings.registry_url()
    _account(url, "2026-0001", "a@lianmeng-a.cn", "王秘书")
    [link] = issue_activation_links(
        url, "2026-0002", ["a@lianmeng-a.cn"], "k", 7, datetime.now(UTC)
    )
    async with browser(app) as client:
        joined = await _activate(client, f"/portal/activate?token={link.token}", "")
        assert joined.headers["location"] == "/portal/a/2026-0002"
        chooser = await client.get("/portal")
        assert "/portal/a/2026-0001" in chooser.text and "/portal/a/2026-0002" in chooser.text
    assert [e.alliance_code for e in _audit(url, "alliance.joined")] == ["2026-0002"]


async def test_console_and_portal_sessions_never_open_each_other(portal):
    app, settings, _ = portal
    url = settings.registry_url()
    _account(url, "2026-0001", "a@lianmeng-a.cn", "王秘书")
    create_user(url, "staff", "工作人员", PASSWORD, Role.BUREAU_STAFF)
    async with browser(app) as staff, browser(app) as alliance:
        await sign_in(staff, "staff")
        assert (await staff.get("/alliances/2026-0001")).status_code == 200
        refused = await staff.get("/portal/a/2026-0001")
        assert refused.status_code == 303 and refused.headers["location"].startswith(
            "/portal/sign-in"
        )

        await _portal_sign_in(alliance, "a@lianmeng-a.cn")
        assert (await alliance.get("/portal/a/2026-0001")).status_code == 200
        for page in ("/alliances/2026-0001", "/inbox", "/"):
            answer = await alliance.get(page)
            assert (
                answer.status_code == 303 and urlsplit(answer.headers["location"]).path == "/login"
            )


async def test_portal_forms_need_the_csrf_token_and_sign_in_is_rate_limited(portal):
    app, settings, _ = portal
    _account(settings.registry_url(), "2026-0001", "a@lianmeng-a.cn", "王秘书")
    async with browser(app) as client:
        await client.get("/portal/sign-in")
        forged = await client.post(
            "/portal/sign-in", data={"email": "a@lianmeng-a.cn", "password": SECRET}
        )
        assert forged.status_code == 403
        answers = [
            (await _portal_sign_in(client, "a@lianmeng-a.cn", "wrong-password-1")).status_code
            for _ in range(settings.login_attempts_per_minute + 1)
        ]
        assert answers[-1] == 429
        assert (await _portal_sign_in(client, "a@lianmeng-a.cn")).status_code == 429


async def test_the_report_an_email_links_to_says_what_is_due_and_how_to_hand_it_in(portal):
    app, settings, _ = portal
    url = settings.registry_url()
    _account(url, "2026-0001", "a@lianmeng-a.cn", "王秘书")
    with session_scope(url) as db:
        db.add(
            AnnualReportRow(
                alliance_code="2026-0001",
                term_no=1,
                year=2026,
                status="due",
                updated_at=datetime.now(UTC),
            )
        )
    async with browser(app) as client:
        await _portal_sign_in(client, "a@lianmeng-a.cn")
        home = await client.get("/portal/a/2026-0001")
        assert 'href="/portal/a/2026-0001/reports/2026"' in home.text
        page = await client.get("/portal/a/2026-0001/reports/2026")
    assert page.status_code == 200
    assert "2026-12-31 23:59" in page.text and "第十一条" in page.text
    assert 'id="report-form"' in page.text and 'name="next_year_plan"' in page.text
