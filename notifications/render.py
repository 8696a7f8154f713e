"""Render a notice's email from `templates/email/<locale>/<purpose>.j2`.

Each template defines the blocks `subject`, `text` and `html`. The file is loaded under two
names, `<name>.txt` and `<name>.html`, so the HTML block is rendered with autoescape on and
the subject and text blocks with it off: a value like an objection's text reaches the plain
part verbatim and the HTML part escaped. The shared `email/_layout.j2` wraps both parts with
the bureau's footer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    select_autoescape,
)
from markupsafe import Markup, escape

from domain.districts import DISTRICT_ZH, District
from domain.labels import ASSESSMENT_EN, DISTRICT_EN, GRADE_EN, ROLE_EN, STAGE_EN
from domain.notices import Purpose
from domain.procedure import ROLE_ZH, STAGE_ZH
from domain.settings import PROJECT_ROOT, Settings
from domain.term import ASSESSMENT_ZH, GRADE_ZH

TEMPLATES_DIR = PROJECT_ROOT / "templates"
LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
BUREAU_ZH = "鞍山市科学技术局"
BUREAU_EN = "Anshan Municipal Science and Technology Bureau"
SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_BASE_URL = Settings.model_fields["public_base_url"].default

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_ZH_TO_EN = {
    **{STAGE_ZH[s]: en for s, en in STAGE_EN.items()},
    **{ROLE_ZH[r]: en for r, en in ROLE_EN.items()},
    **{DISTRICT_ZH[d]: en for d, en in DISTRICT_EN.items()},
    **{ASSESSMENT_ZH[k]: en for k, en in ASSESSMENT_EN.items()},
    **{GRADE_ZH[g]: en for g, en in GRADE_EN.items()},
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class _PartLoader(FileSystemLoader):
    """Serves `<name>.j2` as `<name>.txt` and `<name>.html`, one compiled template per part."""

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        base, _, part = template.rpartition(".")
        if part in ("txt", "html"):
            template = f"{base}.j2"
        return super().get_source(environment, template)


def _moment(value: str | date | datetime) -> date | datetime:
    """An ISO date stays a date; a datetime is shown in Asia/Shanghai (naive means UTC)."""
    if isinstance(value, str):
        text = value.strip()
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI)


def zh_date(value: str | date | datetime) -> str:
    """`2026年10月9日`."""
    day = _moment(value)
    return f"{day.year}年{day.month}月{day.day}日"


def en_date(value: str | date | datetime) -> str:
    """`9 October 2026`."""
    day = _moment(value)
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def zh_datetime(value: str | date | datetime) -> str:
    """`2026年10月9日 17:00` (Beijing time); a plain date has no time of day."""
    moment = _moment(value)
    if not isinstance(moment, datetime):
        return zh_date(moment)
    return f"{zh_date(moment)} {moment:%H:%M}"


def en_datetime(value: str | date | datetime) -> str:
    """`9 October 2026, 17:00 Beijing time`; a plain date has no time of day."""
    moment = _moment(value)
    if not isinstance(moment, datetime):
        return en_date(moment)
    return f"{en_date(moment)}, {moment:%H:%M} Beijing time"


def en_term(value: str) -> str:
    """The English for a Chinese stage, role, district, assessment or grade name; anything
    else unchanged."""
    return _ZH_TO_EN.get(value, value)


def nl2br(value: str) -> Markup:
    """Escaped text with its line breaks kept, for the HTML part."""
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())


def district_en(value: str) -> str:
    """The English name of a District value such as `tiedong`."""
    try:
        return DISTRICT_EN[District(value)]
    except ValueError:
        return value


def _environment() -> Environment:
    env = Environment(
        loader=_PartLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        zh_date=zh_date,
        en_date=en_date,
        zh_datetime=zh_datetime,
        en_datetime=en_datetime,
        en_term=en_term,
        nl2br=nl2br,
        district_en=district_en,
    )
    env.globals.update(bureau_zh=BUREAU_ZH, bureau_en=BUREAU_EN)
    return env


_env = _environment()


def normalise_locale(locale: str | None) -> str:
    """`en`, `en-US`, `en_GB` → `en`; anything that is not English → zh-CN."""
    if locale and locale.replace("_", "-").lower().split("-")[0] == "en":
        return "en"
    return DEFAULT_LOCALE


def _block(template: Template, block: str, context: Mapping[str, Any]) -> str:
    return "".join(template.blocks[block](template.new_context(dict(context))))


# What the alliance is asked to do, and the portal page where it does it.
_REPORT_PAGE = frozenset(
    {
        Purpose.REPORT_REMINDER,
        Purpose.REPORT_OVERDUE,
        Purpose.REPORT_FINAL_REMINDER,
        Purpose.REPORT_RETURNED,
        Purpose.REPORT_RESUBMISSION_OVERDUE,
    }
)
_ASSESSMENT_PAGE = frozenset(
    {Purpose.ASSESSMENT_OPENED, Purpose.ASSESSMENT_REMINDER, Purpose.ASSESSMENT_OVERDUE}
)
_RECTIFICATION_PAGE = frozenset(
    {
        Purpose.RECTIFICATION_NOTICE,
        Purpose.RECTIFICATION_REMINDER,
        Purpose.RECTIFICATION_OVERDUE,
        Purpose.RECTIFICATION_RESULT,
    }
)


@dataclass(frozen=True)
class Activation:
    """A portal activation link for one contact address, as the email shows it."""

    email: str
    token: str
    expires_at: datetime


def email_links(
    purpose: Purpose | str,
    context: Mapping[str, Any],
    public_base_url: str,
    activations: Sequence[Activation] = (),
) -> dict[str, Any]:
    """The links a notice's email carries, all from the public base URL: `portal_url`
    (the alliance's portal home), `action_url` (the portal page of what the email asks the
    alliance to do, or None), `console_url` (the alliance's page in the staff console),
    `public_notice_url` (公示) and `activation_links` (address, link, expiry)."""
    base = public_base_url.rstrip("/")
    code = quote(str(context.get("alliance_code", "")), safe="")
    portal = f"{base}/portal/a/{code}"
    purpose = Purpose(purpose)
    action_url = None
    if purpose in _REPORT_PAGE:
        action_url = f"{portal}/reports/{context['year']}" if "year" in context else portal
    elif purpose in _ASSESSMENT_PAGE:
        kind = context.get("assessment")  # notices queued before it was sent lack it
        action_url = f"{portal}/assessments/{quote(str(kind), safe='')}" if kind else portal
    elif purpose in _RECTIFICATION_PAGE:
        action_url = f"{portal}/rectification"
    elif purpose == Purpose.RETURNED_FOR_CORRECTION:
        action_url = f"{portal}/application"
    return {
        "portal_url": portal,
        "action_url": action_url,
        "console_url": f"{base}/alliances/{code}",
        "public_notice_url": f"{base}/notices/{code}",
        "activation_links": [
            (a.email, f"{base}/portal/activate?{urlencode({'token': a.token})}", a.expires_at)
            for a in activations
        ],
    }


def render(
    purpose: Purpose | str,
    locale: str | None,
    context: Mapping[str, Any],
    *,
    public_base_url: str = DEFAULT_BASE_URL,
    activations: Sequence[Activation] = (),
) -> RenderedEmail:
    """Subject, plain text and HTML of one notice; unknown locales fall back to zh-CN.
    Its links start with `public_base_url`."""
    links = email_links(purpose, context, public_base_url, activations)
    return _render(f"{Purpose(purpose).value}", locale, {**context, **links})


def render_portal_mail(name: str, locale: str | None, context: Mapping[str, Any]) -> RenderedEmail:
    """A portal email that is no alliance notice (`portal_sign_in`, `portal_invitation`)."""
    return _render(name, locale, context)


def _render(template: str, locale: str | None, context: Mapping[str, Any]) -> RenderedEmail:
    locale = normalise_locale(locale)
    values = {**context, "locale": locale}
    name = f"email/{locale}/{template}"
    text_template = _env.get_template(f"{name}.txt")
    html_template = _env.get_template(f"{name}.html")

    # A header never spans lines, whatever the context holds.
    subject = " ".join(_block(text_template, "subject", values).split())
    wrapper = {"locale": locale, "subject": subject}
    text = _block(
        _env.get_template("email/_layout.txt"),
        "text",
        {**wrapper, "body": _block(text_template, "text", values).strip()},
    )
    html = _block(
        _env.get_template("email/_layout.html"),
        "html",
        {**wrapper, "body": Markup(_block(html_template, "html", values).strip())},
    )
    return RenderedEmail(subject=subject, text=text.strip() + "\n", html=html.strip() + "\n")
