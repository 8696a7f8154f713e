"""账号管理: administrators manage console accounts; sessions live on the server, so
disabling an account, resetting its password or a long idle ends them at once."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlmodel import col, select

from registry.database import session_scope
from registry.tables import AccountAudit, StaffUser
from tests.web.conftest import PASSWORD, browser, csrf_of, sign_in

NEW_PASSWORD = "another-long-passphrase"


def account_log(app) -> list[tuple[str, str, str, dict]]:
    """(actor, action, account, detail) of every account change, oldest first."""
    with session_scope(app.state.settings.registry_url()) as session:
        rows = session.exec(select(AccountAudit).order_by(col(AccountAudit.id))).all()
    return [(r.actor, r.action, r.username, r.detail) for r in rows]


def account_id(app, username: str) -> int:
    with session_scope(app.state.settings.registry_url()) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).one()
    assert user.id is not None
    return user.id


async def post_form(client: httpx.AsyncClient, page: str, action: str, data: dict):
    """Open `page`, then submit its form to `action` with the page's CSRF token."""
    token = csrf_of((await client.get(page)).text)
    return await client.post(action, data={**data, "csrf": token})


async def signs_in(app, username: str, password: str) -> bool:
    async with browser(app) as client:
        token = csrf_of((await client.get("/login")).text)
        answer = await client.post(
            "/login", data={"username": username, "password": password, "csrf": token}
        )
        return answer.status_code == 303


async def test_administrator_creates_an_account_that_signs_in(web_app, as_user):
    admin = await as_user("admin")
    created = await post_form(
        admin,
        "/users",
        "/users",
        {
            "username": "wangjing",
            "display_name": "王静",
            "role": "district_reviewer",
            "district": "tiexi",
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert created.status_code == 303
    page = await admin.get(created.headers["location"])
    assert "已创建账号 wangjing" in page.text and "王静" in page.text

    async with browser(web_app) as newcomer:
        token = csrf_of((await newcomer.get("/login")).text)
        answer = await newcomer.post(
            "/login", data={"username": "wangjing", "password": NEW_PASSWORD, "csrf": token}
        )
        assert answer.status_code == 303
        assert "王静" in (await newcomer.get("/inbox")).text
    listing = await admin.get("/users")
    assert 'data-username="wangjing"' in listing.text and "铁西区" in listing.text
    assert (
        "admin",
        "user.created",
        "wangjing",
        {"role": "district_reviewer", "district": "tiexi"},
    ) in account_log(web_app)


async def test_a_refused_account_says_what_to_change_and_keeps_the_entries(web_app, as_user):
    admin = await as_user("admin")
    form = {
        "username": "zhaolei",
        "display_name": "赵磊",
        "role": "district_reviewer",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    }
    no_district = await post_form(admin, "/users", "/users", form)
    assert no_district.status_code == 400 and "须指定所属区县" in no_district.text
    assert 'value="zhaolei"' in no_district.text
    short = {**form, "role": "bureau_staff", "password": "short", "password_again": "short"}
    refused = await post_form(admin, "/users", "/users", short)
    assert refused.status_code == 400 and "密码至少10位" in refused.text
    differing = await post_form(admin, "/users", "/users", {**short, "password": NEW_PASSWORD})
    assert differing.status_code == 400 and "两次输入的密码不一致" in differing.text
    taken = await post_form(
        admin, "/users", "/users", {**form, "username": "staff", "role": "bureau_staff"}
    )
    assert taken.status_code == 400 and "已存在" in taken.text
    assert not await signs_in(web_app, "zhaolei", NEW_PASSWORD)


async def test_disabling_an_account_ends_its_open_session_on_the_next_request(web_app, as_user):
    staff = await as_user("staff")
    assert (await staff.get("/inbox")).status_code == 200
    admin = await as_user("admin")
    target = account_id(web_app, "staff")
    page = f"/users/{target}"
    disabled = await post_form(admin, page, f"{page}/disable", {})
    assert disabled.status_code == 303
    assert "已停用" in (await admin.get(page)).text

    ended = await staff.get("/inbox")
    assert ended.status_code == 303 and "ended=1" in ended.headers["location"]
    notice = await staff.get(ended.headers["location"])
    assert "登录已失效" in notice.text
    assert not await signs_in(web_app, "staff", PASSWORD)

    assert (await post_form(admin, page, f"{page}/enable", {})).status_code == 303
    assert await signs_in(web_app, "staff", PASSWORD)
    assert [a for _, a, who, _ in account_log(web_app) if who == "staff"] == [
        "user.created",
        "user.disabled",
        "user.enabled",
    ]


async def test_a_reset_password_replaces_the_old_one_and_ends_open_sessions(web_app, as_user):
    clerk = await as_user("clerk")
    admin = await as_user("admin")
    page = f"/users/{account_id(web_app, 'clerk')}"
    reset = await post_form(
        admin,
        page,
        f"{page}/password",
        {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert reset.status_code == 303
    assert (await clerk.get("/inbox")).status_code == 303
    assert not await signs_in(web_app, "clerk", PASSWORD)
    assert await signs_in(web_app, "clerk", NEW_PASSWORD)
    assert ("admin", "user.password_reset", "clerk", {}) in account_log(web_app)
    assert "重置密码" in (await admin.get(page)).text


async def test_a_new_role_applies_to_an_open_session_at_its_next_request(web_app, as_user):
    clerk = await as_user("clerk")
    assert (await clerk.get("/users")).status_code == 403
    admin = await as_user("admin")
    page = f"/users/{account_id(web_app, 'clerk')}"
    without_district = await post_form(admin, page, f"{page}/role", {"role": "district_reviewer"})
    assert without_district.status_code == 400 and "须指定所属区县" in without_district.text
    promoted = await post_form(admin, page, f"{page}/role", {"role": "administrator"})
    assert promoted.status_code == 303

    users = await clerk.get("/users")
    assert users.status_code == 200 and "新建账号" in users.text
    assert 'href="/users"' in (await clerk.get("/inbox")).text, "the nav shows 账号管理"
    entry = ("admin", "user.role_changed", "clerk")
    changes = [detail for *who, detail in account_log(web_app) if tuple(who) == entry]
    assert changes == [{"role": ["director_clerk", "administrator"], "district": [None, None]}]
    assert "局长办公会记录人员 → 系统管理员" in (await admin.get(page)).text


@pytest.mark.parametrize("username", ["staff", "clerk", "expert", "gaoxin"])
async def test_only_administrators_reach_user_administration(web_app, as_user, username):
    client = await as_user(username)
    target = account_id(web_app, "tiexi")
    token = csrf_of((await client.get("/inbox")).text)
    posts = {
        "/users": {"username": "intruder", "role": "administrator", "password": NEW_PASSWORD},
        f"/users/{target}/role": {"role": "administrator"},
        f"/users/{target}/password": {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        f"/users/{target}/disable": {},
        f"/users/{target}/enable": {},
    }
    for path in ("/users", f"/users/{target}"):
        refused = await client.get(path)
        assert refused.status_code == 403 and "只有系统管理员" in refused.text, path
    for path, data in posts.items():
        refused = await client.post(path, data={**data, "csrf": token})
        assert refused.status_code == 403 and "只有系统管理员" in refused.text, path
    assert 'href="/users"' not in (await client.get("/inbox")).text
    assert {action for _, action, _, _ in account_log(web_app)} == {"user.created"}
    assert await signs_in(web_app, "tiexi", PASSWORD)


async def test_the_last_active_administrator_cannot_disable_or_demote_themselves(web_app, as_user):
    admin = await as_user("admin")
    page = f"/users/{account_id(web_app, 'admin')}"
    for action, data in ((f"{page}/disable", {}), (f"{page}/role", {"role": "bureau_staff"})):
        refused = await post_form(admin, page, action, data)
        assert refused.status_code == 400 and "至少须保留一名启用的系统管理员" in refused.text
    assert (await admin.get("/users")).status_code == 200

    second = f"/users/{account_id(web_app, 'staff')}"
    await post_form(admin, second, f"{second}/role", {"role": "administrator"})
    demoted = await post_form(admin, page, f"{page}/role", {"role": "bureau_staff"})
    assert demoted.status_code == 303 and demoted.headers["location"] == "/"
    assert (await admin.get("/users")).status_code == 403
    staff = await as_user("staff")
    last = await post_form(staff, second, f"{second}/disable", {})
    assert last.status_code == 400 and "至少须保留一名启用的系统管理员" in last.text


async def test_an_idle_session_ends_and_an_active_one_goes_on(web_app):
    idle_seconds = 2.0
    web_app.state.settings = web_app.state.settings.model_copy(
        update={"session_idle_minutes": idle_seconds / 60}
    )
    async with browser(web_app) as client:
        await sign_in(client, "staff")
        for _ in range(2):  # in use: each request starts the idle time again
            await asyncio.sleep(idle_seconds * 0.5)
            assert (await client.get("/inbox")).status_code == 200
        await asyncio.sleep(idle_seconds * 1.1)
        expired = await client.get("/inbox")
        assert expired.status_code == 303 and "ended=1" in expired.headers["location"]
        assert (await client.get("/inbox")).status_code == 303, "the session stays ended"
        await sign_in(client, "staff")
        assert (await client.get("/inbox")).status_code == 200


async def test_an_administrator_s_email_is_set_checked_changed_and_logged(web_app, as_user):
    admin = await as_user("admin")
    created = await post_form(
        admin,
        "/users",
        "/users",
        {
            "username": "liqiang",
            "display_name": "李强",
            "role": "administrator",
            "email": "li.qiang@kjj.anshan.example",
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert created.status_code == 303
    page = created.headers["location"]
    assert "li.qiang@kjj.anshan.example" in (await admin.get(page)).text

    refused = await post_form(admin, page, f"{page}/email", {"email": "not an address"})
    assert refused.status_code == 400 and "格式不正确" in refused.text
    changed = await post_form(admin, page, f"{page}/email", {"email": "lq@kjj.anshan.example"})
    assert changed.status_code == 303
    with session_scope(web_app.state.settings.registry_url()) as session:
        user = session.get(StaffUser, account_id(web_app, "liqiang"))
        assert user is not None and user.email == "lq@kjj.anshan.example"
    assert (
        "admin",
        "user.email_changed",
        "liqiang",
        {"email": ["li.qiang@kjj.anshan.example", "lq@kjj.anshan.example"]},
    ) in account_log(web_app)
