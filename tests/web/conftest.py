"""The web console against the running system: time-skipping Temporal, SMTP, registry."""

from __future__ import annotations

import re

import httpx
import pytest

from domain.districts import District
from domain.procedure import Role
from tests.support.smtp_fixture import smtp_server  # noqa: F401
from tests.workflows.conftest import bureau, env  # noqa: F401
from web.accounts import create_user
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


@pytest.fixture
def web_app(bureau):  # noqa: F811
    """The console app wired to the test's Temporal client and registry, with one user per role."""
    url = bureau.settings.registry_url()
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
