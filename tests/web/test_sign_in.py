"""Accounts: no page without sign-in (but the public ones), wrong passwords, rate limits, CSRF."""

from __future__ import annotations

from tests.web.conftest import PASSWORD, browser, csrf_of, sign_in


async def test_staff_pages_need_sign_in_and_public_pages_do_not(web_app):
    async with browser(web_app) as client:
        for path in ("/", "/inbox", "/alliances"):
            response = await client.get(path)
            assert response.status_code == 303 and response.headers["location"].startswith("/login")
        for path in ("/login", "/notices", "/certificates"):
            assert (await client.get(path)).status_code == 200, path


async def test_wrong_password_is_refused_and_attempts_are_rate_limited(web_app):
    async with browser(web_app) as client:
        csrf = csrf_of((await client.get("/login")).text)
        codes = []
        for _ in range(web_app.state.settings.login_attempts_per_minute + 1):
            response = await client.post(
                "/login", data={"username": "staff", "password": "wrong", "csrf": csrf}
            )
            codes.append(response.status_code)
        assert codes[:-1] == [401] * (len(codes) - 1) and codes[-1] == 429
        right = await client.post(
            "/login", data={"username": "staff", "password": PASSWORD, "csrf": csrf}
        )
        assert right.status_code == 429, "the limit holds for the right password too"


async def test_forms_without_a_csrf_token_are_refused(web_app):
    async with browser(web_app) as client:
        await client.get("/login")
        response = await client.post("/login", data={"username": "staff", "password": PASSWORD})
        assert response.status_code == 403
        await sign_in(client, "staff")
        assert (await client.post("/logout", data={})).status_code == 403
        assert (await client.get("/")).status_code == 200


async def test_sign_out_ends_the_session(web_app):
    async with browser(web_app) as client:
        await sign_in(client, "staff")
        page = await client.get("/")
        assert (await client.post("/logout", data={"csrf": csrf_of(page.text)})).status_code == 303
        assert (await client.get("/")).status_code == 303
