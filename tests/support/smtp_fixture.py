"""The `smtp_server` fixture and settings that point the email activity at it.

Use it from a test package's conftest (`from tests.support.smtp_fixture import smtp_server`)
or with `pytest_plugins = ["tests.support.smtp_fixture"]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.settings import Settings
from tests.support.smtp_server import RecordingSmtpServer


@pytest.fixture
def smtp_server() -> Iterator[RecordingSmtpServer]:
    """A started in-process SMTP server on a free port of 127.0.0.1."""
    with RecordingSmtpServer() as server:
        yield server


def settings_for(smtp_server: RecordingSmtpServer, registry_url: str, tmp_path: Path) -> Settings:
    """Settings whose registry is `registry_url` and whose mail goes to `smtp_server`."""
    return Settings(
        data_dir=tmp_path,
        database_url=registry_url,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_username="",
        smtp_password="",
        smtp_starttls=False,
        smtp_tls=False,
        smtp_timeout_seconds=5,
    )
