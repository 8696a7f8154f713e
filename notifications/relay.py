"""How to reach the mail relay, from the settings: one place for the notices the worker
sends and the portal's own sign-in mail."""

from __future__ import annotations

import socket
from functools import cache
from typing import Any

from domain.settings import Settings


@cache
def local_hostname() -> str:
    """The name this host gives in EHLO: the one aiosmtplib would look up (socket.getfqdn)
    for every connection, looked up once per process."""
    return socket.getfqdn()


def relay_options(settings: Settings, timeout: float | None = None) -> dict[str, Any]:
    """aiosmtplib's connection arguments (`aiosmtplib.SMTP(**…)`, `aiosmtplib.send(…, **…)`)."""
    return {
        "hostname": settings.smtp_host,
        "port": settings.smtp_port,
        "username": settings.smtp_username or None,
        "password": settings.smtp_password or None,
        "use_tls": settings.smtp_tls,
        "start_tls": settings.smtp_starttls,
        "timeout": settings.smtp_timeout_seconds if timeout is None else timeout,
        "local_hostname": local_hostname(),
    }
