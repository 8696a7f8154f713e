"""One settings object, read from the environment (prefix ALLIANCE_) once per process.

Embedded defaults run everything on one machine: SQLite registry, the Temporal CLI dev
server and a local SMTP capture server. Production changes settings only.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.application import ARTICLE_5_SECTORS
from domain.districts import District
from domain.effects import EffectRules
from domain.input_rules import Name
from domain.rules import ProcedureRules
from domain.term_rules import TermRules

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    """`data/` in a checkout; in an installed package (site-packages), `data/` in the
    current folder (the image sets ALLIANCE_DATA_DIR=/data)."""
    checkout = (PROJECT_ROOT / "pyproject.toml").exists()
    return (PROJECT_ROOT if checkout else Path.cwd()) / "data"


class UnsafeSettings(Exception):
    """A production start with a local default that would lose mail, sessions or data."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ALLIANCE_", env_nested_delimiter="__")

    env: str = Field(
        "development", description="`production` refuses to start with an unsafe default"
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="registry file, Temporal state, captured mail",
    )
    database_url: str = Field("", description="SQLAlchemy URL; default: SQLite file in data_dir")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "alliance"
    # the worker: how long SIGTERM waits for running activities, the longest pause between
    # attempts to reach Temporal at start
    worker_grace_seconds: float = 30
    worker_connect_retry_max_seconds: float = 30
    temporal_ui_port: int = 8233

    # the connection to Temporal: TLS with the server's CA and name, mTLS with a client
    # certificate and key, or an API key (Temporal Cloud; implies TLS)
    temporal_tls: bool = Field(False, description="connect to Temporal over TLS")
    temporal_tls_ca_path: str = Field("", description="PEM file of the CA that signed the server")
    temporal_tls_server_name: str = Field("", description="the name the server certificate holds")
    temporal_tls_cert_path: str = Field("", description="mTLS: the client certificate (PEM)")
    temporal_tls_key_path: str = Field("", description="mTLS: the client private key (PEM)")
    temporal_api_key: str = Field("", description="Temporal Cloud API key; implies TLS")

    # personal data in workflow histories: AES-256-GCM payload encryption
    payload_keys: str = Field(
        "", description="key id=base64 32-byte key, comma-separated; the first one encrypts"
    )
    payload_keys_file: str = Field(
        "", description="a file of `key id=base64 key` lines, read as payload_keys"
    )
    codec_cors_origins: list[str] = Field(
        [], description="Temporal UI origins allowed to call the codec endpoint"
    )

    # worker tuning (0: the SDK's default, except the cache: 0 turns it off) and health
    worker_max_concurrent_workflow_tasks: int = Field(0, ge=0)
    worker_max_concurrent_activities: int = Field(0, ge=0)
    worker_max_cached_workflows: int = Field(10000, ge=0)
    worker_workflow_task_pollers: int = Field(0, ge=0)
    worker_activity_task_pollers: int = Field(0, ge=0)
    worker_sticky_queue_timeout_seconds: float = Field(
        10,
        gt=0,
        description="a workflow task waits this long for the worker that has the workflow in "
        "memory before any worker may take it",
    )
    worker_health_port: int = Field(
        0, ge=0, description="the worker serves /healthz, /readyz, /metrics here (0: off)"
    )
    worker_health_host: str = "127.0.0.1"

    # logs and traces
    log_format: str = Field("text", description="text, or json (one object a line)")
    log_level: str = "INFO"
    otel_endpoint: str = Field(
        "", description="OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces"
    )

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_tls: bool = Field(False, description="implicit TLS (port 465 style)")
    smtp_timeout_seconds: float = 30
    smtp_messages_per_connection: int = Field(
        20, ge=1, description="notices one connection to the relay carries (1: one each)"
    )
    mail_from: str = "鞍山市科学技术局 <noreply@kjj.anshan.example>"
    mail_domain: str = "kjj.anshan.example"
    mail_locale: str = Field("zh-CN", description="zh-CN or en")

    staff_emails: list[str] = ["lianmeng@kjj.anshan.example"]
    director_clerk_emails: list[str] = ["bangongshi@kjj.anshan.example"]
    expert_organiser_emails: list[str] = ["pingshen@expert-review.example"]
    district_reviewer_emails: dict[District, list[str]] = {
        d: [f"review-{d.value.replace('_', '-')}@kjj.anshan.example"] for d in District
    }

    approval_document_format: str = Field(
        "鞍科批〔{year}〕{seq}号", description="批复文件文号; {year} and {seq} are filled in"
    )
    certificate_serial_format: str = Field("ASLM-{year}-{seq:03d}", description="证书编号")
    plaque_number_format: str = Field("ASLM-P-{year}-{seq:03d}", description="牌匾编号")
    public_base_url: str = Field("http://127.0.0.1:8000", description="printed on the certificate")
    bureau_name: str = Field(
        "鞍山市科学技术局", description="publishes notices; issuer and author of every document"
    )
    notice_contact_phone: str = Field("0412-0000000", description="公示: phone for objections")
    notice_contact_address: str = Field(
        "辽宁省鞍山市 鞍山市科学技术局", description="公示: where written objections are sent"
    )
    notice_contact_email: str = Field(
        "lianmeng@kjj.anshan.example", description="公示: email for objections"
    )
    cjk_font_path: str = Field(
        "", description="TrueType CJK font embedded in PDFs; default: Debian's fonts-wqy-zenhei"
    )

    web_host: str = "127.0.0.1"
    web_port: int = 8000
    session_secret: str = Field(
        "", description="signs session cookies; default: a random key kept in data_dir"
    )
    secure_cookies: bool = Field(False, description="send cookies over HTTPS only (production)")
    login_attempts_per_minute: int = Field(5, ge=1, description="per user name and address")
    login_failures_per_address_per_minute: int = Field(
        10, ge=1, description="failed sign-ins per client address, whatever the user names"
    )
    session_idle_minutes: float = Field(
        30, gt=0, description="a signed-in session unused this long ends; sign in again"
    )
    objections_per_hour: int = Field(5, ge=1, description="public objection forms per address")
    objection_letter_max_mb: int = Field(
        10, ge=1, description="largest signed objection letter (PDF, JPEG, PNG) accepted"
    )
    portal_activation_days: int = Field(
        7, ge=1, description="an alliance portal activation link works this many days"
    )
    upload_max_mb: int = Field(20, ge=1, description="largest article-10 material accepted")
    priority_sectors: list[Name] = Field(
        list(ARTICLE_5_SECTORS),
        min_length=1,
        description="第五条: the priority sectors an application's industry_sector is one of",
    )

    rules: ProcedureRules = ProcedureRules()
    term_rules: TermRules = TermRules()
    effects: EffectRules = EffectRules()

    def unsafe_for_production(self) -> list[str]:
        """What a production deployment must set instead of the local defaults, one line
        each (empty: nothing)."""
        found = []
        if not self.session_secret:
            found.append("ALLIANCE_SESSION_SECRET: set one secret shared by every web process")
        if not self.secure_cookies:
            found.append("ALLIANCE_SECURE_COOKIES: true, behind HTTPS")
        if self.smtp_host in ("127.0.0.1", "localhost") and self.smtp_port == 8025:
            found.append("ALLIANCE_SMTP_HOST/PORT: the bureau's mail relay, not the capture server")
        if "127.0.0.1" in self.public_base_url or "localhost" in self.public_base_url:
            found.append(
                "ALLIANCE_PUBLIC_BASE_URL: the address the public reaches (on certificates)"
            )
        if not self.database_url:
            found.append("ALLIANCE_DATABASE_URL: the PostgreSQL registry, not a SQLite file")
        if not (self.payload_keys or self.payload_keys_file):
            found.append(
                "ALLIANCE_PAYLOAD_KEYS or ALLIANCE_PAYLOAD_KEYS_FILE: encrypt personal data "
                "in workflow histories"
            )
        return found

    def refuse_unsafe_production(self) -> None:
        """Stop a production start that would run on local defaults, saying what to set."""
        problems = self.unsafe_for_production() if self.env == "production" else []
        if problems:
            lines = "\n".join(f"  - {problem}" for problem in problems)
            raise UnsafeSettings(
                f"ALLIANCE_ENV=production 但以下设置仍为本地默认值，拒绝启动 "
                f"(refusing to start in production with local defaults):\n{lines}"
            )

    def registry_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'registry.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
