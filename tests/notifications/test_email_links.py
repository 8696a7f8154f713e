"""Every email links where its reader acts: the alliance to its portal page, staff to the
alliance's console page, the 公示 email to the public notice; all from the public base URL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from domain.notices import Purpose
from notifications.render import LOCALES, Activation, render
from tests.notifications.test_render import COMMON, context

BASE = "https://lianmeng.example"
CODE = COMMON["alliance_code"]
PORTAL = f"{BASE}/portal/a/{CODE}"
CONSOLE = f"{BASE}/alliances/{CODE}"

# What each email asks the alliance to do, and the portal page where it is done.
ALLIANCE_PAGES = {
    Purpose.REPORT_REMINDER: f"{PORTAL}/reports/2026",
    Purpose.REPORT_OVERDUE: f"{PORTAL}/reports/2026",
    Purpose.REPORT_FINAL_REMINDER: f"{PORTAL}/reports/2026",
    Purpose.REPORT_RETURNED: f"{PORTAL}/reports/2026",
    Purpose.REPORT_RESUBMISSION_OVERDUE: f"{PORTAL}/reports/2026",
    Purpose.ASSESSMENT_OPENED: f"{PORTAL}/assessments/midterm",
    Purpose.ASSESSMENT_REMINDER: f"{PORTAL}/assessments/midterm",
    Purpose.ASSESSMENT_OVERDUE: f"{PORTAL}/assessments/midterm",
    Purpose.RECTIFICATION_NOTICE: f"{PORTAL}/rectification",
    Purpose.RECTIFICATION_REMINDER: f"{PORTAL}/rectification",
    Purpose.RECTIFICATION_OVERDUE: f"{PORTAL}/rectification",
    Purpose.RECTIFICATION_RESULT: f"{PORTAL}/rectification",  # an extended time limit
    Purpose.RETURNED_FOR_CORRECTION: f"{PORTAL}/application",
}
# Emails bureau staff (and reviewers) act on, alone or beside the alliance.
TO_STAFF = {
    Purpose.ACTION_REQUESTED,
    Purpose.STAGE_REMINDER,
    Purpose.STAGE_ESCALATION,
    Purpose.OBJECTION_RECEIVED,
    Purpose.REPORT_ESCALATION,
    Purpose.ASSESSMENT_RESULT_OVERDUE,
    Purpose.TERM_ENDING,
    Purpose.INCIDENT,
    Purpose.CALENDAR_MISSING,
    Purpose.ASSESSMENT_OVERDUE,
    Purpose.REPORT_RESUBMISSION_OVERDUE,
    Purpose.RECTIFICATION_OVERDUE,
    Purpose.RECTIFICATION_NOTICE,
    Purpose.EXPIRED,
}


def _sample(purpose: Purpose) -> dict:
    extra = {"assessment": "midterm"} if purpose == Purpose.ASSESSMENT_OVERDUE else {}
    return context(purpose, **extra)


def _links(text: str) -> set[str]:
    return set(re.findall(r"https?://[^\s<>\"）]+", text))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("purpose", list(ALLIANCE_PAGES))
def test_an_email_asking_the_alliance_to_act_links_to_its_portal_page(purpose, locale):
    email = render(purpose, locale, _sample(purpose), public_base_url=BASE + "/")

    assert ALLIANCE_PAGES[purpose] in _links(email.text)
    assert f'href="{ALLIANCE_PAGES[purpose]}"' in email.html


@pytest.mark.parametrize("locale", LOCALES)
def test_a_rectification_result_without_more_time_asks_for_nothing(locale):
    sample = context(Purpose.RECTIFICATION_RESULT, extended_due=None)
    email = render(Purpose.RECTIFICATION_RESULT, locale, sample, public_base_url=BASE)
    assert f"{PORTAL}/rectification" not in email.text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("purpose", sorted(TO_STAFF))
def test_an_email_to_staff_links_to_the_alliance_in_the_console(purpose, locale):
    email = render(purpose, locale, _sample(purpose), public_base_url=BASE)

    assert CONSOLE in _links(email.text)
    assert f'href="{CONSOLE}"' in email.html


@pytest.mark.parametrize("locale", LOCALES)
def test_the_public_notice_email_links_to_the_public_notice_page(locale):
    email = render(
        Purpose.NOTICE_PUBLISHED, locale, context(Purpose.NOTICE_PUBLISHED), public_base_url=BASE
    )
    assert f"{BASE}/notices/{CODE}" in _links(email.text)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("purpose", [Purpose.APPLICATION_RECEIVED, Purpose.TERM_STARTED])
def test_the_receipt_and_the_term_notice_carry_each_contact_address_activation_link(
    purpose, locale
):
    expires = datetime(2026, 9, 8, 2, 30, tzinfo=UTC)
    activations = [
        Activation("mishu@lianmeng.cn", "tok-one", expires),
        Activation("lianluo@lianmeng.cn", "tok-two", expires),
    ]
    email = render(purpose, locale, context(purpose), public_base_url=BASE, activations=activations)

    links = _links(email.text)
    assert f"{BASE}/portal/activate?token=tok-one" in links
    assert f"{BASE}/portal/activate?token=tok-two" in links
    assert "mishu@lianmeng.cn" in email.text
    assert ("2026年9月8日 10:30" if locale == "zh-CN" else "8 September 2026, 10:30") in email.text


@pytest.mark.parametrize("purpose", [Purpose.APPLICATION_RECEIVED, Purpose.TERM_STARTED])
def test_an_alliance_with_its_account_gets_the_portal_address_instead(purpose):
    email = render(purpose, "zh-CN", context(purpose), public_base_url=BASE)
    assert PORTAL in _links(email.text)
    assert "/portal/activate" not in email.text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("purpose", list(Purpose))
def test_no_link_points_at_localhost_once_the_public_address_is_set(purpose, locale):
    activations = [Activation("mishu@lianmeng.cn", "tok", datetime(2026, 9, 8, tzinfo=UTC))]
    sample = _sample(purpose)
    if purpose == Purpose.HOLIDAY_YEAR_MISSING:
        sample["calendar_url"] = f"{BASE}/calendar"  # built by the workflow from the setting
    email = render(purpose, locale, sample, public_base_url=BASE, activations=activations)

    for part in (email.text, email.html):
        assert "127.0.0.1" not in part and "localhost" not in part
        assert all(link.startswith(BASE + "/") for link in _links(part)), _links(part)
