"""Passwords, sessions, CSRF tokens, rate limits, redirects and response headers for the
web console."""

from __future__ import annotations

import hmac
import secrets
import time

from fastapi import HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.settings import Settings
from registry import rate_limits


def session_secret(settings: Settings) -> str:
    """The configured secret, or a random one kept beside the registry (never a default)."""
    if settings.session_secret:
        return settings.session_secret
    path = settings.data_dir / "session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use; every form carries it."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(
            status_code=403, detail="表单已失效，请刷新页面后重试 (CSRF check failed)"
        )


class RateLimiter:
    """At most `limit` events per key within `window` seconds, counted in the registry so
    that every web process shares them (registry.rate_limits). A registry that cannot be
    reached raises OperationalError: nothing limited is let through unchecked."""

    def __init__(self, url: str, bucket: str, limit: int, window: int) -> None:
        self.url, self.bucket, self.limit, self.window = url, bucket, limit, window

    def allow(self, key: str) -> bool:
        """Count an event for `key`, unless the limit is already reached."""
        return rate_limits.take(self.url, self.bucket, key, self.limit, self.window, time.time())

    def blocked(self, key: str) -> bool:
        """The limit is reached for `key` (nothing is counted)."""
        return rate_limits.reached(self.url, self.bucket, key, self.limit, self.window, time.time())

    def record(self, key: str) -> None:
        rate_limits.add(self.url, self.bucket, key, self.window, time.time())


def local_path(target: str, fallback: str = "/") -> str:
    """`target` when it is a path on this site, else `fallback`: browsers read `//host`
    and `/\\host` as another site, and drop tabs and line breaks before reading."""
    if (
        not target.startswith("/")
        or target[1:2] in ("/", "\\")
        or any(ord(c) < 0x20 or c == "\x7f" for c in target)
    ):
        return fallback
    return target


# No inline script or style anywhere: the pages load theirs from /static.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class SecurityHeaders:
    """ASGI middleware: the same security headers on every response (pages, redirects,
    errors, static files). Strict-Transport-Security only where cookies are HTTPS-only,
    since a browser told so refuses plain HTTP to the host for a year."""

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.headers = [
            ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
            ("X-Frame-Options", "DENY"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
        ]
        if https:
            self.headers.append(("Strict-Transport-Security", "max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
