"""docker-compose.yml and .env.example as an operator uses them, checked without a Docker
engine: the file is valid Compose once .env is filled in, the stack waits in the right
order, nothing secret or public-facing is written in it, the settings it gives web and
worker pass the production check, and its job scripts do what they say against a real
Temporal dev server and the test PostgreSQL.

`tests/deploy/compose-spec.json` is the Compose Specification's schema, vendored with its
licence (`compose-spec.LICENSE`, which names the commit).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from base64 import b64decode
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from threading import Thread

import jsonschema
import psycopg
import pytest
import yaml
from psycopg.conninfo import conninfo_to_dict
from temporalio.testing import WorkflowEnvironment

from client.payload_codec import payload_keys
from domain.settings import PROJECT_ROOT, Settings
from local_stack import SEARCH_ATTRIBUTES, temporal_cli
from tests.support.databases import POSTGRES_ADMIN_DSN

HERE = Path(__file__).parent
COMPOSE_PATH = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE_PATH = PROJECT_ROOT / ".env.example"
DEPLOY = PROJECT_ROOT / "deploy"
RAW = yaml.safe_load(COMPOSE_PATH.read_text(encoding="utf-8"))
SERVICES = RAW["services"]

# What an operator writes into the values .env.example leaves empty (secrets and the
# bureau's own addresses). A new empty line in .env.example needs a value here.
FILLED = {
    "POSTGRES_PASSWORD": "6f1c0e8a9b7d4c2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c",
    "REGISTRY_DB_PASSWORD": "0b8e2f9c4a1d7e6b5c3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e",
    "TEMPORAL_DB_PASSWORD": "3c9d1e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b",
    "VISIBILITY_DB_PASSWORD": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f",
    "ALLIANCE_SESSION_SECRET": "n3W-9qk0sVb1xX7yZz5mT4pL2rH8cJ6dF0gA1eI3uO5wQ7kY9bN2vC4xM6",
    "ALLIANCE_PAYLOAD_KEYS": "2026-01=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "ALLIANCE_PUBLIC_BASE_URL": "https://lianmeng.kjj.anshan.gov.cn",
    "ALLIANCE_SMTP_HOST": "smtp-relay.anshan.gov.cn",
    "ALLIANCE_SMTP_USERNAME": "",
    "ALLIANCE_SMTP_PASSWORD": "",
    "ALLIANCE_MAIL_FROM": "鞍山市科学技术局 <noreply@kjj.anshan.gov.cn>",
    "ALLIANCE_MAIL_DOMAIN": "kjj.anshan.gov.cn",
    "ALLIANCE_STAFF_EMAILS": '["lianmeng@kjj.anshan.gov.cn"]',
    "ALLIANCE_DIRECTOR_CLERK_EMAILS": '["bangongshi@kjj.anshan.gov.cn"]',
    "ALLIANCE_EXPERT_ORGANISER_EMAILS": '["pingshen@expert-review.cn"]',
    "ALLIANCE_DISTRICT_REVIEWER_EMAILS": '{"tiedong": ["kjj@tiedong.gov.cn"]}',
    "ALLIANCE_NOTICE_CONTACT_PHONE": "0412-5555555",
    "ALLIANCE_NOTICE_CONTACT_ADDRESS": "辽宁省鞍山市铁东区 鞍山市科学技术局",
    "ALLIANCE_NOTICE_CONTACT_EMAIL": "lianmeng@kjj.anshan.gov.cn",
    "ALLIANCE_OTEL_ENDPOINT": "",
    "FORWARDED_ALLOW_IPS": "172.18.0.1",
}
SECRET_NAME = re.compile(r"PASSWORD|PWD|SECRET|_KEYS?$|API_KEY|TOKEN")
LOCAL = "127.0.0.1"

# Compose interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default},
# ${NAME:?message}, ${NAME?message} (the forms this file may use).
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?+])(?P<argument>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


class Unresolved(Exception):
    """A variable neither .env nor a default gives a value (Compose would refuse or warn)."""


def read_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines as Compose reads .env: comments, blank lines, quoted values."""
    values = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        assert equals and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f"{path.name}:{number}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def variables_in(text: str) -> list[tuple[str, str, str]]:
    """(name, operator, argument) of each variable the text interpolates."""
    return [
        (found["braced"] or found["plain"], found["operator"] or "", found["argument"] or "")
        for found in _VARIABLE.finditer(text)
        if not found["escaped"]
    ]


def interpolate(text: str, env: dict[str, str]) -> str:
    def value(found: re.Match) -> str:
        if found["escaped"]:
            return "$"
        name = found["braced"] or found["plain"]
        operator, argument = found["operator"] or "", found["argument"] or ""
        given = env.get(name)
        if operator == "+" or operator == ":+":
            raise Unresolved(f"${{{name}{operator}...}} is not a form this test reads")
        unset_or_empty = not given if operator.startswith(":") else given is None
        if operator.endswith("-") and unset_or_empty:
            return argument
        if operator.endswith("?") and unset_or_empty:
            raise Unresolved(f"{name}: {argument}")
        if given is None:
            raise Unresolved(f"{name} is not in .env.example and has no default")
        return given

    return _VARIABLE.sub(value, text)


def interpolated(node, env: dict[str, str]):
    """The compose document with every string value interpolated, as Compose does it."""
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolated(value, env) for value in node]
    if isinstance(node, str):
        return interpolate(node, env)
    return node


def strings_in(node) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings_in(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings_in(value)]
    return [node] if isinstance(node, str) else []


EXAMPLE = read_env_file(ENV_EXAMPLE_PATH)


def filled_env() -> dict[str, str]:
    """.env as an operator leaves it: .env.example with every empty value filled in."""
    return {name: value or FILLED[name] for name, value in EXAMPLE.items()}


def compose(env: dict[str, str] | None = None) -> dict:
    return interpolated(RAW, filled_env() if env is None else env)


def test_env_example_leaves_no_empty_value_the_test_cannot_fill():
    assert {name for name, value in EXAMPLE.items() if not value} == set(FILLED)


def test_compose_file_is_valid_against_the_compose_specification():
    schema = json.loads((HERE / "compose-spec.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in jsonschema.Draft7Validator(schema).iter_errors(compose())
    ]
    assert errors == []


def test_every_variable_compose_reads_is_in_env_example_or_defaulted():
    undeclared = {
        name
        for text in strings_in(RAW)
        for name, operator, _ in variables_in(text)
        if name not in EXAMPLE and not operator.endswith("-")
    }
    assert undeclared == set()
    used = {name for text in strings_in(RAW) for name, _, _ in variables_in(text)}
    assert set(EXAMPLE) - used == set(), ".env.example lines docker-compose.yml never reads"


def test_compose_refuses_to_start_until_the_secrets_are_set():
    with pytest.raises(Unresolved, match=r"set \w+ in \.env"):
        compose(EXAMPLE)
    for name, value in EXAMPLE.items():
        if SECRET_NAME.search(name) and name != "ALLIANCE_SMTP_PASSWORD":
            assert value == "", f".env.example ships a value for {name}"


def test_env_example_explains_each_line_and_names_only_real_settings():
    lines = ENV_EXAMPLE_PATH.read_text(encoding="utf-8").splitlines()
    block_has_comment = False
    for line in lines:
        if not line.strip():
            block_has_comment = False
        elif line.startswith("#"):
            block_has_comment = True
        else:
            assert block_has_comment, f"no comment explains {line!r}"
    settings = {f"ALLIANCE_{name.upper()}" for name in Settings.model_fields}
    assert {n for n in EXAMPLE if n.startswith("ALLIANCE_")} - settings == set()


def test_the_stack_has_its_database_temporal_jobs_ui_and_the_bureaus_processes():
    assert {
        "postgres",
        "postgres-roles",
        "temporal-schema",
        "temporal",
        "temporal-namespace",
        "temporal-search-attributes",
        "temporal-ui",
        "migrate",
        "web",
        "worker",
    } <= set(SERVICES)
    assert SERVICES["temporal-schema"]["command"] == ["/deploy/temporal/setup-schema.sh"]
    assert "temporal-sql-tool" in (DEPLOY / "temporal" / "setup-schema.sh").read_text()
    assert SERVICES["migrate"]["command"] == ["migrate"]
    assert SERVICES["web"]["command"] == ["web"]
    assert SERVICES["worker"]["command"] == ["worker"]
    for name in ("migrate", "web", "worker"):
        assert SERVICES[name]["build"] == "."


def _waits_for(service: str, other: str, condition: str) -> bool:
    depends_on = SERVICES[service].get("depends_on", {})
    return depends_on.get(other, {}).get("condition") == condition


@pytest.mark.parametrize(
    ("service", "waits_for", "condition"),
    [
        ("postgres-roles", "postgres", "service_healthy"),
        ("temporal-schema", "postgres-roles", "service_completed_successfully"),
        ("temporal", "temporal-schema", "service_completed_successfully"),
        ("temporal-namespace", "temporal", "service_healthy"),
        ("temporal-search-attributes", "temporal-namespace", "service_completed_successfully"),
        ("migrate", "postgres-roles", "service_completed_successfully"),
        ("web", "migrate", "service_completed_successfully"),
        ("worker", "migrate", "service_completed_successfully"),
        ("web", "temporal-search-attributes", "service_completed_successfully"),
        ("worker", "temporal-search-attributes", "service_completed_successfully"),
    ],
)
def test_each_part_starts_once_what_it_needs_is_done(service, waits_for, condition):
    assert _waits_for(service, waits_for, condition)


@pytest.mark.parametrize("service", ["web", "worker"])
def test_web_and_worker_restart_and_report_readiness_on_the_port_they_serve(service):
    definition = compose()["services"][service]
    assert definition["restart"] == "unless-stopped"
    probe = " ".join(definition["healthcheck"]["test"])
    if service == "web":
        port = definition["ports"][0].rsplit(":", 1)[1]
    else:
        port = definition["environment"]["ALLIANCE_WORKER_HEALTH_PORT"]
    assert f"http://127.0.0.1:{port}/readyz" in probe
    if service == "worker":
        assert definition["environment"]["ALLIANCE_WORKER_HEALTH_HOST"] == "0.0.0.0"
        grace = float(definition["environment"]["ALLIANCE_WORKER_GRACE_SECONDS"])
        assert float(definition["stop_grace_period"].removesuffix("s")) > grace


class _Readiness(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.send_response(self.status if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_healthcheck_fails_while_the_process_is_not_ready(status, healthy):
    """The healthcheck runs as compose writes it (the image's python, no curl), against a
    server answering /readyz as a web or worker process would."""
    _Readiness.status = status
    server = HTTPServer(("127.0.0.1", 0), _Readiness)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        _, python, flag, code = SERVICES["web"]["healthcheck"]["test"]
        code = code.replace(":8000/", f":{server.server_port}/")
        probe = subprocess.run([sys.executable, flag, code], capture_output=True, timeout=30)
        assert (probe.returncode == 0) == healthy
        assert python == "python"
    finally:
        server.shutdown()


def _cli_versions() -> tuple[str, str]:
    printed = subprocess.run(
        [temporal_cli(), "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"Server (\d+\.\d+\.\d+), UI (\d+\.\d+\.\d+)", printed)
    assert found, printed
    return found[1], found[2]


def test_temporal_server_tools_and_ui_are_the_versions_the_tests_run_on():
    server, ui = _cli_versions()
    assert SERVICES["temporal"]["image"] == f"temporalio/server:{server}"
    for job in ("temporal-schema", "temporal-namespace", "temporal-search-attributes"):
        assert SERVICES[job]["image"] == f"temporalio/admin-tools:{server}"
    assert SERVICES["temporal-ui"]["image"] == f"temporalio/ui:{ui}"
    assert "auto-setup" not in COMPOSE_PATH.read_text(encoding="utf-8")


def test_every_image_pulled_is_pinned_to_a_version():
    for name, definition in compose()["services"].items():
        if "build" in definition:
            continue
        tag = definition["image"].rpartition(":")[2]
        assert re.fullmatch(r"v?\d+(\.\d+)+", tag), f"{name}: {definition['image']}"


def test_published_ports_listen_on_localhost_only():
    published = [
        (name, port)
        for name, definition in SERVICES.items()
        for port in definition.get("ports", [])
    ]
    assert {name for name, _ in published} >= {"web", "temporal-ui"}
    for name, port in published:
        host = re.fullmatch(r"(\$\{[^}]*\}|[^:$]+):(\$\{[^}]*\}|\d+):\d+", port)
        assert host, f"{name}: {port} does not name the address it listens on"
        raw = host[1]
        assert raw == LOCAL or re.fullmatch(r"\$\{\w+:-127\.0\.0\.1\}", raw), f"{name}: {port}"
        assert interpolate(raw, EXAMPLE) == LOCAL, f"{name}: .env.example opens {port}"
    assert "ports" not in SERVICES["postgres"]


def test_no_password_or_secret_is_written_in_the_compose_file():
    for name, definition in SERVICES.items():
        for key, value in (definition.get("environment") or {}).items():
            value = str(value)
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{\w+:[?-][^}]*\}", value), f"{name}: {key}"
            userinfo = re.search(r"://[^:/@]+:([^@]*)@", value)
            if userinfo:
                assert re.fullmatch(r"\$\{\w+:\?[^}]*\}", userinfo[1]), f"{name}: {key}"
    text = COMPOSE_PATH.read_text(encoding="utf-8")
    for secret in FILLED.values():
        assert not secret or secret not in text


def test_each_database_has_its_own_role_and_password():
    temporal = compose()["services"]["temporal"]["environment"]
    registry = compose()["services"]["web"]["environment"]["ALLIANCE_DATABASE_URL"]
    found = re.fullmatch(r"postgresql\+psycopg://([^:]+):([^@]+)@postgres:5432/(\w+)", registry)
    assert found
    roles = [found[1], temporal["POSTGRES_USER"], temporal["VISIBILITY_POSTGRES_USER"]]
    databases = [found[3], temporal["DBNAME"], temporal["VISIBILITY_DBNAME"]]
    passwords = [found[2], temporal["POSTGRES_PWD"], temporal["VISIBILITY_POSTGRES_PWD"]]
    assert roles == databases == ["alliance", "temporal", "temporal_visibility"]
    assert len(set(passwords)) == 3
    assert FILLED["POSTGRES_PASSWORD"] not in passwords  # the superuser runs nothing


def test_search_attribute_job_creates_every_attribute_the_workflows_set():
    job = SERVICES["temporal-search-attributes"]
    script, *attributes = job["command"]
    assert dict(a.split("=", 1) for a in attributes) == SEARCH_ATTRIBUTES
    script_text = (DEPLOY / "temporal" / Path(script).name).read_text(encoding="utf-8")
    assert "set -eu" in script_text
    for text in (script_text, json.dumps(job)):
        assert "|| true" not in text and "||true" not in text


@pytest.mark.parametrize("service", ["web", "worker"])
def test_web_and_worker_get_settings_that_pass_the_production_check(service, monkeypatch):
    environment = compose()["services"][service]["environment"]
    for name in [n for n in os.environ if n.startswith("ALLIANCE_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    settings = Settings()
    assert settings.env == "production"
    assert settings.unsafe_for_production() == []
    assert settings.temporal_address == "temporal:7233"
    assert settings.temporal_namespace == EXAMPLE["TEMPORAL_NAMESPACE"]
    assert settings.log_format == "json"
    assert list(payload_keys(settings)) == ["2026-01"]
    if service == "web":
        assert settings.codec_cors_origins == [EXAMPLE["TEMPORAL_UI_ORIGIN"]]


def test_temporal_ui_decodes_through_the_consoles_codec_endpoint():
    ui = compose()["services"]["temporal-ui"]["environment"]
    assert ui["TEMPORAL_CODEC_ENDPOINT"].endswith("/codec")
    assert ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"
    assert ui["TEMPORAL_DEFAULT_NAMESPACE"] == EXAMPLE["TEMPORAL_NAMESPACE"]


def test_mail_capture_runs_only_when_asked_for():
    assert SERVICES["mailpit"]["profiles"] == ["capture"]
    for service in ("web", "worker"):
        assert "mailpit" not in SERVICES[service].get("depends_on", {})


# The job scripts, run as the jobs run them, against real servers.


def _run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(DEPLOY / script), *args],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
async def temporal_address():
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(), dev_server_extra_args=["--headless"]
    )
    try:
        yield env.client.service_client.config.target_host
    finally:
        await env.shutdown()


def _retention_days(address: str, namespace: str) -> float:
    described = subprocess.run(
        [temporal_cli(), "operator", "namespace", "describe", "--address", address,
         "--namespace", namespace, "-o", "json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    ttl = json.loads(described)["config"]["workflowExecutionRetentionTtl"]
    return float(ttl.removesuffix("s")) / 86400


async def test_namespace_job_sets_the_records_retention_and_search_attribute_job_is_idempotent(
    temporal_address,
):
    services = compose()["services"]
    here = {"TEMPORAL_CLI": temporal_cli(), "TEMPORAL_ADDRESS": temporal_address}
    job_env = {**services["temporal-namespace"]["environment"], **here}
    namespace, days = job_env["NAMESPACE"], job_env["RETENTION_DAYS"]
    assert days == EXAMPLE["TEMPORAL_RETENTION_DAYS"]

    created = _run("temporal/create-namespace.sh", env=job_env)
    assert created.returncode == 0, created.stderr
    assert _retention_days(temporal_address, namespace) == float(days)
    changed = _run("temporal/create-namespace.sh", env={**job_env, "RETENTION_DAYS": "4000"})
    assert changed.returncode == 0, changed.stderr
    assert _retention_days(temporal_address, namespace) == 4000

    job_env = {**services["temporal-search-attributes"]["environment"], **here}
    script, *attributes = SERVICES["temporal-search-attributes"]["command"]
    script = f"temporal/{Path(script).name}"
    for _ in range(2):  # the second `up` finds them all there
        done = _run(script, *attributes, env=job_env)
        assert done.returncode == 0, done.stderr
    listed = subprocess.run(
        [temporal_cli(), "operator", "search-attribute", "list", "--address", temporal_address,
         "--namespace", namespace, "-o", "json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    custom = json.loads(listed)["customAttributes"]
    for name, kind in SEARCH_ATTRIBUTES.items():
        assert custom[name].replace("_", "").endswith(kind.upper()), (name, custom[name])

    clash = _run(script, "AllianceStatus=Int", env=job_env)
    assert clash.returncode != 0
    assert "different type" in clash.stderr


async def test_temporal_jobs_fail_when_the_server_cannot_be_reached():
    job_env = {
        "TEMPORAL_CLI": temporal_cli(),
        "TEMPORAL_ADDRESS": "127.0.0.1:9",
        "NAMESPACE": "alliance",
        "RETENTION_DAYS": "3650",
        "HEALTH_ATTEMPTS": "1",
    }
    assert _run("temporal/create-namespace.sh", env=job_env).returncode != 0
    assert _run("temporal/create-search-attributes.sh", "A=Int", env=job_env).returncode != 0


def _admin(sql: str, database: str = "postgres") -> list[tuple]:
    dsn = conninfo_to_dict(POSTGRES_ADMIN_DSN)
    dsn["dbname"] = database
    with psycopg.connect(**dsn, autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _verifies(stored: str, password: str) -> bool:
    """Whether PostgreSQL's SCRAM-SHA-256 verifier was made from this password (RFC 5802)."""
    found = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)", stored)
    assert found, "the role's password is not stored as SCRAM-SHA-256"
    iterations, salt, stored_key, server_key = found.groups()
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), b64decode(salt), int(iterations))
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    return hashlib.sha256(client_key).digest() == b64decode(stored_key) and hmac.digest(
        salted, b"Server Key", "sha256"
    ) == b64decode(server_key)


def _connects(role: str, password: str, database: str) -> bool:
    dsn = {**conninfo_to_dict(POSTGRES_ADMIN_DSN), "user": role, "password": password}
    dsn["dbname"] = database
    try:
        with psycopg.connect(**dsn, connect_timeout=5):
            return True
    except psycopg.OperationalError as refused:
        assert "permission denied" in str(refused)
        return False


def test_roles_job_gives_each_database_its_own_role_and_sets_new_passwords():
    if not shutil.which("psql"):
        pytest.fail("psql (PostgreSQL's client) is needed to run deploy/postgres/roles.sh")
    suffix = uuid.uuid4().hex[:8]
    names = {
        "REGISTRY_DB": f"alliance_{suffix}",
        "TEMPORAL_DB": f"temporal_{suffix}",
        "VISIBILITY_DB": f"visibility_{suffix}",
    }
    admin = conninfo_to_dict(POSTGRES_ADMIN_DSN)
    job_env = {
        **compose()["services"]["postgres-roles"]["environment"],
        **names,
        "PGHOST": admin.get("host", "127.0.0.1"),
        "PGPORT": str(admin.get("port", 5432)),
        "PGUSER": admin.get("user", "postgres"),
        "PGPASSWORD": admin.get("password", ""),
    }
    hashes = f"SELECT rolname, rolpassword FROM pg_authid WHERE rolname LIKE '%\\_{suffix}'"
    try:
        first = _run("postgres/roles.sh", env=job_env)
        assert first.returncode == 0, first.stderr
        rotated = {**job_env, "TEMPORAL_DB_PASSWORD": "rotated-temporal-password"}
        second = _run("postgres/roles.sh", env=rotated)  # the next `up`, after a change
        assert second.returncode == 0, second.stderr

        stored = dict(_admin(hashes))
        passwords = {
            names["REGISTRY_DB"]: FILLED["REGISTRY_DB_PASSWORD"],
            names["TEMPORAL_DB"]: "rotated-temporal-password",
            names["VISIBILITY_DB"]: FILLED["VISIBILITY_DB_PASSWORD"],
        }
        assert set(stored) == set(passwords)
        for role, password in passwords.items():
            assert _verifies(stored[role], password), role
            for database in names.values():
                connects = _connects(role, password, database)
                assert connects == (role == database), (role, database)
        superusers = _admin(f"SELECT rolname FROM pg_roles WHERE rolname LIKE '%\\_{suffix}' "
                            "AND (rolsuper OR rolcreatedb OR rolcreaterole)")  # fmt: skip
        assert superusers == []
        extensions = _admin("SELECT extname FROM pg_extension", names["VISIBILITY_DB"])
        assert ("btree_gin",) in extensions
    finally:
        for name in names.values():
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _admin(f'DROP ROLE IF EXISTS "{name}"')
