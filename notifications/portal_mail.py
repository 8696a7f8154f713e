"""Portal emails sent from the web request: sign-in links and invitations.

They are no alliance notice (no workflow asks for them, nothing is retried), so the web
process sends them itself through the same relay as the worker, within a short time:
a relay that is down is told to the person at once instead of holding the page.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import aiosmtplib

from domain.settings import Settings
from notifications.relay import relay_options
from notifications.render import SHANGHAI, render_portal_mail

SEND_WITHIN_SECONDS = 10.0


class PortalMailFailed(Exception):
    """The relay could not be reached or refused the message."""


async def send_portal_mail(
    settings: Settings, name: str, locale: str | None, to: str, context: dict[str, Any], now
) -> None:
    """Render `templates/email/<locale>/<name>.j2` and hand it to the relay."""
    rendered = render_portal_mail(name, locale, context)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now.astimezone(SHANGHAI))
    message["Message-ID"] = make_msgid(domain=settings.mail_domain)
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    timeout = min(settings.smtp_timeout_seconds, SEND_WITHIN_SECONDS)
    try:
        await asyncio.wait_for(
            aiosmtplib.send(message, **relay_options(settings, timeout)),
            timeout=timeout + 1,
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        raise PortalMailFailed(str(error) or type(error).__name__) from error
