"""Hardening: security headers on every response, no inline script or style, no redirect
off the site, sign-in attempts limited per address whatever the user names."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from domain.settings import PROJECT_ROOT
from tests.support.temporal import sample_application
from tests.web.conftest import PASSWORD, browser, csrf_of, sign_in
from web.app import create_app

HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
PUBLIC = ["/login", "/notices", "/certificates", "/static/app.css", "/no-such-page"]
STAFF = ["/", "/inbox", "/alliances", "/applications/new", "/calendar", "/users"]


def assert_hardened(response: httpx.Response) -> None:
    path = response.request.url.path
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'", path
    assert policy["frame-ancestors"] == "'none'", path


async def test_every_response_carries_the_security_headers(web_app, as_user):
    async with browser(web_app) as anonymous:
        for path in [*PUBLIC, *STAFF]:  # staff pages answer with a redirect to sign in
            assert_hardened(await anonymous.get(path))
        assert_hardened(await anonymous.post("/login", data={"username": "x", "password": "y"}))
    admin = await as_user("admin")
    for path in STAFF:
        page = await admin.get(path)
        assert page.status_code == 200, path
        assert_hardened(page)
        assert "strict-transport-security" not in page.headers, "plain HTTP: no HSTS"


async def test_strict_transport_security_is_sent_when_cookies_are_secure(web_app):
    settings = web_app.state.settings.model_copy(update={"secure_cookies": True})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings)), base_url="https://console.test"
    ) as client:
        for path in ("/login", "/static/app.css", "/"):
            response = await client.get(path)
            assert_hardened(response)
            assert response.headers["strict-transport-security"] == "max-age=31536000"


class InlineCode(HTMLParser):
    """What a Content-Security-Policy without 'unsafe-inline' would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag == "style":
            self.found.append("<style>")
        self._in_script = tag == "script" and not dict(attrs).get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


async def test_no_page_carries_inline_script_or_style(web_app, bureau, as_user):
    code = await bureau.submit(sample_application())
    await bureau.settled(code)
    admin = await as_user("admin")
    account = re.search(r'href="(/users/\d+)"', (await admin.get("/users")).text)
    assert account, "the account list links each account's page"
    pages = [*STAFF, f"/alliances/{code}", account.group(1), "/notices", "/certificates"]
    for path in pages:
        page = await admin.get(path)
        assert page.status_code == 200, path
        parser = InlineCode()
        parser.feed(page.text)
        assert parser.found == [], (path, parser.found)
    async with browser(web_app) as anonymous:
        for path in ("/login", "/notices", "/certificates"):
            parser = InlineCode()
            parser.feed((await anonymous.get(path)).text)
            assert parser.found == [], (path, parser.found)


def test_no_template_carries_inline_script_or_style():
    """The branches the pages above do not reach (report bars, an objection's receipt)."""
    for template in sorted((PROJECT_ROOT / "templates" / "web").rglob("*.html")):
        parser = InlineCode()
        parser.feed(template.read_text(encoding="utf-8"))
        assert parser.found == [], (str(template.relative_to(PROJECT_ROOT)), parser.found)


@pytest.mark.parametrize(
    "back",
    [
        "//evil.example/x",
        "/\\evil.example/x",
        "https://evil.example/x",
        "/\t/evil.example/x",
        "evil.example",
    ],
)
async def test_the_language_switch_stays_on_the_site(web_app, back):
    async with browser(web_app) as client:
        response = await client.get("/lang/en", params={"back": back})
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert response.cookies.get("lang") == "en"


async def test_the_language_switch_returns_to_the_page_it_came_from(web_app):
    async with browser(web_app) as client:
        notices = await client.get("/notices")
        link = next(part for part in notices.text.split('"') if part.startswith("/lang/en?"))
        response = await client.get(link)
        assert response.headers["location"] == "/notices"


async def test_sign_in_never_continues_off_the_site(web_app):
    async with browser(web_app) as client:
        token = csrf_of((await client.get("/login")).text)
        response = await client.post(
            "/login",
            data={
                "username": "staff",
                "password": PASSWORD,
                "csrf": token,
                "next": "/\\evil.example/x",
            },
        )
        assert response.status_code == 303 and response.headers["location"] == "/"


async def test_many_user_names_from_one_address_are_limited(web_app):
    limit = web_app.state.settings.login_failures_per_address_per_minute
    async with browser(web_app) as client:
        token = csrf_of((await client.get("/login")).text)
        codes = []
        for n in range(12):
            response = await client.post(
                "/login", data={"username": f"guess{n}", "password": "wrong", "csrf": token}
            )
            codes.append(response.status_code)
        assert codes == [401] * limit + [429] * (12 - limit)
        assert "登录尝试过于频繁" in response.text
        right = await client.post(
            "/login", data={"username": "staff", "password": PASSWORD, "csrf": token}
        )
        assert right.status_code == 429, "the address stays limited for the right password too"
    elsewhere = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web_app, client=("10.0.0.7", 40000)),
        base_url="http://console.test",
    )
    async with elsewhere:
        await sign_in(elsewhere, "staff")
