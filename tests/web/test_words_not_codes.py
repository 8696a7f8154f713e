"""Every page, as every role, in Chinese and in English: statuses, roles and recorded
events read as words, never as the codes the system stores (`district_review.recommend`,
`submitted`, `lead`), and the English pages do not fall back to Chinese labels."""

from __future__ import annotations

import html
import re

import pytest

from domain.labels import _TABLES, EVENTS
from tests.support.temporal import sample_application
from tests.web.conftest import post_action
from tests.web.test_registry_pages import registered

ROLES = ["staff", "gaoxin", "expert", "clerk", "admin"]
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
DOTTED = re.compile(r"\b[a-z_]{2,}\.[a-z_]{2,}(?:\.[a-z_]+)*\b")  # not "e.g."
STORED_WORDS = {
    value for table in _TABLES.values() for value in table if "_" not in value and len(value) > 2
}
CHINESE_LABELS = {
    zh for table in [*_TABLES.values(), EVENTS] for zh, _ in table.values() if len(zh) >= 4
}


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


def codes_in(text: str, lang: str) -> set[str]:
    text = re.sub(r"\S+@\S+|https?://\S+|/\S+", " ", text)  # addresses and paths
    found = set(SNAKE.findall(text)) | set(DOTTED.findall(text))
    if lang == "en":  # stored values are English words too; Chinese labels must not show
        return found | {label for label in CHINESE_LABELS if label in text}
    return found | (set(re.findall(r"\b[a-z]+\b", text)) & STORED_WORDS)


@pytest.fixture
async def two_alliances(bureau, as_user):
    """One recognised alliance, and another application recommended by its district."""
    recognised = await bureau.recognise()
    app = sample_application().model_copy(
        update={"alliance_name": "鞍山市第二产业技术创新战略联盟"}
    )
    reviewing = await bureau.submit(app)
    await bureau.wait_for_state(reviewing, lambda s: s.clock is not None)
    reviewer = await as_user("gaoxin")
    done = await post_action(
        reviewer, reviewing, "district_review", {"outcome": "recommend", "reasons": "符合条件"}
    )
    assert done.status_code == 303
    await registered(bureau, recognised, "active")
    await registered(bureau, reviewing, "expert_review")
    return [reviewing, recognised]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_no_page_shows_a_code_to_any_role(two_alliances, as_user, lang):
    # (the incidents page lists workflows through visibility, which the time-skipping
    # server lacks; tests/web/test_incidents_page.py reads it on the dev server)
    pages = ["/", "/inbox", "/alliances", "/calendar", "/applications/new", "/meetings/new"]
    pages += [f"/alliances/{code}" for code in two_alliances]
    found: dict[str, set[str]] = {}
    for role in ROLES:
        client = await as_user(role)
        client.cookies.set("lang", lang)
        for path in pages:
            response = await client.get(path)
            if response.status_code == 403:
                continue  # not this role's page
            assert response.status_code == 200, (role, path, response.status_code)
            # the emails are listed with the subjects they were sent with, in Chinese
            page = re.sub(r'<table id="emails">.*?</table>', " ", response.text, flags=re.S)
            text = visible_text(page)
            codes = codes_in(text, lang)
            if codes:
                found[f"{role} {path}"] = codes
    assert found == {}
