"""ALLIANCE_ENV=production refuses to start on the local defaults (no session secret,
insecure cookies, the capture SMTP server, a localhost public address, a SQLite file, no
payload keys), naming every setting to change; development starts as before."""

from __future__ import annotations

import pytest

from domain.settings import Settings, UnsafeSettings
from web.app import create_app

SAFE = {
    "session_secret": "s" * 48,
    "secure_cookies": True,
    "smtp_host": "smtp.kjj.anshan.example",
    "smtp_port": 587,
    "public_base_url": "https://lianmeng.kjj.anshan.example",
    "database_url": "postgresql+psycopg://alliance@db/registry",
    "payload_keys": "k1=" + "A" * 43 + "=",
}


def test_production_on_local_defaults_names_every_setting_to_change(tmp_path):
    settings = Settings(env="production", data_dir=tmp_path)
    with pytest.raises(UnsafeSettings) as refused:
        settings.refuse_unsafe_production()
    for name in (
        "ALLIANCE_SESSION_SECRET",
        "ALLIANCE_SECURE_COOKIES",
        "ALLIANCE_SMTP_HOST",
        "ALLIANCE_PUBLIC_BASE_URL",
        "ALLIANCE_DATABASE_URL",
        "ALLIANCE_PAYLOAD_KEYS",
    ):
        assert name in str(refused.value)


@pytest.mark.parametrize(
    "left_unsafe",
    [
        ("session_secret",),
        ("secure_cookies",),
        ("smtp_host", "smtp_port"),  # the capture server (a local relay on 587 is fine)
        ("public_base_url",),
        ("database_url",),
        ("payload_keys",),  # personal data would sit in clear in the histories
    ],
)
def test_each_unsafe_default_alone_is_refused(tmp_path, left_unsafe):
    safe_but_one = {k: v for k, v in SAFE.items() if k not in left_unsafe}
    settings = Settings(env="production", data_dir=tmp_path, **safe_but_one)
    assert len(settings.unsafe_for_production()) == 1
    Settings(env="production", data_dir=tmp_path, **SAFE).refuse_unsafe_production()


def test_the_web_app_does_not_start_in_production_on_local_defaults(tmp_path):
    with pytest.raises(UnsafeSettings, match="refusing to start in production"):
        create_app(Settings(env="production", data_dir=tmp_path))
    create_app(Settings(data_dir=tmp_path))  # development: the local defaults are fine
