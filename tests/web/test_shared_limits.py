"""Two web processes on one registry share the sign-in and objection limits and the
sessions: an address refused on one is refused on the other, a session opened on one
is valid on the other (given the same ALLIANCE_SESSION_SECRET)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import func, select

from domain.procedure import Role
from domain.settings import Settings
from domain.shanghai_time import local_date
from registry import rate_limits
from registry.database import session_scope
from registry.staff_accounts import create_user
from registry.tables import Alliance, PublicNoticeRow, RateLimitWindow
from tests.test_unreachable import closed_port
from tests.web.conftest import PASSWORD, csrf_of
from web.app import create_app

NOTICE_CODE = "2026-0001"
SECRET = "one-secret-for-every-web-process-0123456789"


def _settings(registry_url: str, data_dir, **overrides) -> Settings:
    values = {
        "data_dir": data_dir,  # apart for each process: nothing shared but the registry
        "database_url": registry_url,
        "temporal_address": f"127.0.0.1:{closed_port()}",  # these pages never need it
        "session_secret": SECRET,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def two_processes(registry_url, tmp_path):
    """Two console apps on one registry, as two web processes behind a load balancer."""
    create_user(registry_url, "staff", "钱职员", PASSWORD, Role.BUREAU_STAFF)
    now = datetime.now(UTC)
    today = local_date(now)
    with session_scope(registry_url) as db:
        db.add(
            Alliance(
                code=NOTICE_CODE,
                name="鞍山市菱镁新材料产业技术创新战略联盟",
                district="high_tech_zone",
                status="public_notice",
                created_at=now,
                updated_at=now,
            )
        )
        db.flush()
        db.add(
            PublicNoticeRow(
                alliance_code=NOTICE_CODE,
                start_date=today - timedelta(days=1),  # open now: the form is shown
                end_date=today + timedelta(days=3),
                published_at=now,
            )
        )
    return tuple(
        create_app(_settings(registry_url, tmp_path / name)) for name in ("web-1", "web-2")
    )


def browser(app, cookies: httpx.Cookies | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # the same client address on both
        base_url="http://console.test",
        cookies=cookies,
    )


async def _fail_sign_in(client: httpx.AsyncClient, username: str) -> httpx.Response:
    csrf = csrf_of((await client.get("/login")).text)
    return await client.post(
        "/login", data={"username": username, "password": "wrong", "csrf": csrf}
    )


async def test_the_sixth_attempt_on_another_process_is_refused(two_processes):
    first, second = two_processes
    limit = first.state.settings.login_attempts_per_minute
    async with browser(first) as on_first, browser(second) as on_second:
        codes = [(await _fail_sign_in(on_first, "staff")).status_code for _ in range(limit)]
        refused = await _fail_sign_in(on_second, "staff")
        csrf = csrf_of((await on_second.get("/login")).text)
        right = await on_second.post(
            "/login", data={"username": "staff", "password": PASSWORD, "csrf": csrf}
        )
    assert codes == [401] * limit
    assert refused.status_code == 429 and "登录尝试过于频繁" in refused.text
    assert right.status_code == 429, "the limit holds for the right password too"


async def test_failures_from_one_address_count_on_every_process(two_processes):
    first, second = two_processes
    limit = first.state.settings.login_failures_per_address_per_minute
    async with browser(first) as on_first, browser(second) as on_second:
        codes = [
            (await _fail_sign_in((on_first, on_second)[n % 2], f"guess{n}")).status_code
            for n in range(limit + 1)
        ]
    assert codes == [401] * limit + [429]


async def test_the_sixth_objection_on_another_process_is_refused(two_processes):
    first, second = two_processes
    limit = first.state.settings.objections_per_hour
    path = f"/notices/{NOTICE_CODE}"

    async def object_on(client: httpx.AsyncClient) -> httpx.Response:
        csrf = csrf_of((await client.get(path)).text)
        # A name too long: refused at the door (400) once counted, before Temporal.
        form = {"name": "张" * 51, "contact": "13800000000", "text": "异议", "csrf": csrf}
        return await client.post(f"{path}/objections", data=form)

    async with browser(first) as on_first, browser(second) as on_second:
        codes = [(await object_on(on_first)).status_code for _ in range(limit)]
        refused = await object_on(on_second)
    assert codes == [400] * limit
    assert refused.status_code == 429 and "过于频繁" in refused.text


async def test_a_session_opened_on_one_process_is_valid_on_the_other(
    two_processes, registry_url, tmp_path
):
    first, second = two_processes
    async with browser(first) as on_first:
        csrf = csrf_of((await on_first.get("/login")).text)
        signed_in = await on_first.post(
            "/login", data={"username": "staff", "password": PASSWORD, "csrf": csrf}
        )
        assert signed_in.status_code == 303
        cookies = on_first.cookies
    async with browser(second, cookies) as on_second:
        page = await on_second.get("/alliances")
        assert page.status_code == 200 and "钱职员" in page.text
        signed_out = await on_second.post("/logout", data={"csrf": csrf_of(page.text)})
        assert signed_out.status_code == 303
    async with browser(first, cookies) as back_on_first:
        ended = await back_on_first.get("/alliances")
        assert ended.status_code == 303, "signing out on one process ends the session on all"

    # Without the shared secret (each process its own key in its data directory) the
    # other process cannot read the cookie: the setting production requires.
    own_key = create_app(_settings(registry_url, tmp_path / "web-3", session_secret=""))
    async with browser(first) as on_first:
        csrf = csrf_of((await on_first.get("/login")).text)
        await on_first.post(
            "/login", data={"username": "staff", "password": PASSWORD, "csrf": csrf}
        )
        async with browser(own_key, on_first.cookies) as elsewhere:
            refused = await elsewhere.get("/alliances")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")


def test_processes_hitting_at_once_never_share_the_last_slot(registry_url):
    """Twelve requests at the same moment, each with its own connection, for five slots."""
    start = threading.Barrier(12)
    taken: list[bool] = []

    def hit() -> None:
        start.wait()
        taken.append(rate_limits.take(registry_url, "login", "staff|10.0.0.1", 5, 60, 1_000_010))

    threads = [threading.Thread(target=hit) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == [False] * 7 + [True] * 5


def test_a_window_edge_lets_no_second_burst_through_and_old_windows_are_dropped(registry_url):
    def take(now: float) -> bool:
        return rate_limits.take(registry_url, "objection", "10.0.0.1", 5, 3600, now)

    hour = 3600 * 500_000
    assert [take(hour + 3590) for _ in range(6)] == [True] * 5 + [False]
    assert not take(hour + 3600 + 10), "the five of ten seconds ago still count"
    assert take(hour + 2 * 3600 + 3590), "a full hour later the address may object again"
    with session_scope(registry_url) as db:
        rows = db.exec(select(func.count()).select_from(RateLimitWindow)).one()
    assert rows == 1, "windows no estimate reads any more are deleted"


async def test_without_the_registry_sign_in_fails_closed_and_objections_say_why(tmp_path):
    down = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/registry"
    app = create_app(_settings(down, tmp_path))
    async with browser(app) as client:
        csrf = csrf_of((await client.get("/login")).text)
        sign_in = await client.post(
            "/login", data={"username": "staff", "password": PASSWORD, "csrf": csrf}
        )
        objection = await client.post(f"/notices/{NOTICE_CODE}/objections", data={"csrf": csrf})
    assert sign_in.status_code == 503
    assert "登记库暂时无法访问，现在无法登录" in sign_in.text and 'name="password"' in sign_in.text
    assert objection.status_code == 503 and "无法连接登记库" in objection.text
