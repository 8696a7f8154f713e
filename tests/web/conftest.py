"""The web console against the running system: time-skipping Temporal, SMTP, registry."""

from __future__ import annotations

import asyncio
import html
import re
import time
from functools import lru_cache

import httpx
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.districts import District
from domain.effects import Outbox
from domain.procedure import Role
from local_stack import SEARCH_ATTRIBUTES, temporal_cli
from registry import staff_accounts
from registry.staff_accounts import create_user
from tests.support.smtp_fixture import smtp_server  # noqa: F401
from tests.support.temporal import Bureau, sample_application
from tests.workflows.conftest import bureau, env  # noqa: F401
from web.app import create_app

PASSWORD = "correct-horse-battery"
USERS = {
    "admin": (Role.ADMINISTRATOR, None),
    "staff": (Role.BUREAU_STAFF, None),
    "clerk": (Role.DIRECTOR_CLERK, None),
    "expert": (Role.EXPERT_ORGANISER, None),
    "gaoxin": (Role.DISTRICT_REVIEWER, District.HIGH_TECH_ZONE),
    "tiexi": (Role.DISTRICT_REVIEWER, District.TIEXI),
}


async def start_dev_server() -> WorkflowEnvironment:
    """The Temporal CLI dev server in memory, on real time. Unlike the time-skipping server
    it answers visibility list queries, which the incidents page uses; a module that needs
    it overrides `env` with it."""
    flags = [
        flag
        for name, kind in SEARCH_ATTRIBUTES.items()
        for flag in ("--search-attribute", f"{name}={kind}")
    ]
    return await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=temporal_cli(),
        dev_server_extra_args=[*flags, "--headless"],
    )


@lru_cache(maxsize=1)
def _password_hash() -> str:
    """PASSWORD's argon2 hash, made once per test process by the console's own hasher."""
    return staff_accounts.hash_password(PASSWORD)


@pytest.fixture
def web_app(bureau, monkeypatch):  # noqa: F811
    """The console app wired to the test's Temporal client and registry, with one user per role.

    The users are made by `create_user`, each storing PASSWORD's hash made once: argon2 is
    slow on purpose (a quarter of a second a hash here), and six of them per test were
    the largest part of a console test's set-up. Signing in still verifies it."""
    url = bureau.settings.registry_url()
    hash_password, known = staff_accounts.hash_password, _password_hash()
    with monkeypatch.context() as patch:
        patch.setattr(
            staff_accounts,
            "hash_password",
            lambda password: known if password == PASSWORD else hash_password(password),
        )
        for username, (role, district) in USERS.items():
            create_user(url, username, f"{username}用户", PASSWORD, role, district)
    return create_app(bureau.settings, client=bureau.client)


def browser(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://console.test",
        follow_redirects=False,
    )


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def post_action(client: httpx.AsyncClient, code: str, name: str, data: dict):
    """Fill the form `name` on the alliance page, read what will be recorded, confirm it.

    Returns the confirmation's answer, or the first answer when the form was refused (or
    needs no confirmation, as a retry)."""
    page = await client.get(f"/alliances/{code}")
    checked = await client.post(
        f"/alliances/{code}/actions/{name}", data={"csrf": csrf_of(page.text), **data}
    )
    if checked.status_code != 200 or 'id="confirm-action"' not in checked.text:
        return checked
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', checked.text)
    return await client.post(
        f"/alliances/{code}/actions/{name}", data={k: html.unescape(v) for k, v in hidden}
    )


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf_of(page.text), "next": "/"},
    )
    assert response.status_code == 303, response.text


@pytest.fixture
async def as_user(web_app):
    """as_user("staff") → an HTTP client signed in as that user."""
    clients = []

    async def make(username: str) -> httpx.AsyncClient:
        client = browser(web_app)
        clients.append(client)
        await sign_in(client, username)
        return client

    yield make
    for client in clients:
        await client.aclose()


# ---- incidents (故障), made the cheap way: the SMTP server refuses every address of the
# alliance, so the application's receipt fails for all recipients and becomes incident 1.


async def submit_with_refused_receipt(system: Bureau) -> tuple[str, list[str]]:
    """Submit the sample while every address of the alliance is refused; returns the code
    and those addresses once the receipt has become an incident."""
    application = sample_application()
    addresses = application.recipient_emails()
    system.smtp.refuse(*addresses)
    code = await system.submit(application)
    await incidents_of(system, code)
    return code, addresses


async def incidents_of(system: Bureau, code: str, seconds: float = 15) -> Outbox:
    deadline = time.monotonic() + seconds
    while True:
        box = await system.settled(code)
        if box.incidents or time.monotonic() > deadline:
            assert box.incidents, "the refused receipt did not become an incident"
            return box
        await asyncio.sleep(0.05)


async def retry(client: httpx.AsyncClient, code: str, number: int, request_id: str = "retry-1"):
    """Press 重新处理 on incident `number` of the alliance page."""
    page = await client.get(f"/alliances/{code}")
    return await client.post(
        f"/alliances/{code}/actions/retry_incident",
        data={"csrf": csrf_of(page.text), "request_id": request_id, "incident_no": str(number)},
    )
