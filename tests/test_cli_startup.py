"""The command line as an operator meets it: `--help` answers without loading the system,
tables show long subjects whole at 80 columns in Beijing time, the password is asked
hidden (or read from a pipe), and the local stack's dev server writes to its log file."""

from __future__ import annotations

import asyncio
import os
import pty
import re
import subprocess
import sys
import termios
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from domain.procedure import ReviewOutcome
from domain.settings import PROJECT_ROOT, Settings
from domain.term import REVOCATION_GROUND_ZH, STAFF_REVOCATION_GROUNDS, AssessmentKind, Grade
from registry.database import session_scope
from registry.staff_accounts import verify_password
from registry.tables import Alliance, EmailMessage, StaffUser

BIN = Path(sys.executable).parent
HEAVY = (
    "sqlmodel",
    "sqlalchemy",
    "reportlab",
    "temporalio",
    "workflows",
    "web",
    "pydantic",
    "openpyxl",
    "activities",
    "registry",
    "fastapi",
    "uvicorn",
)


def run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


# What a command that only reads the registry, or only talks to Temporal, must not load:
# each costs a new process a good part of a second (bench/cli_latency.py).
NOT_FOR_READS = ("temporalio", "workflows", "activities", "reportlab", "web", "openpyxl")
NOT_FOR_ACTIONS = ("workflows", "activities", "registry", "sqlmodel", "sqlalchemy", "reportlab")
NOT_FOR_SHOW = ("workflows", "activities", "reportlab", "web", "openpyxl")


def imported_by(done: subprocess.CompletedProcess) -> set[str]:
    """The modules a `python -X importtime` process loaded, from its standard error."""
    return {
        line.split("|")[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }


def heavy_in(imported: set[str], heavy: tuple[str, ...]) -> list[str]:
    return sorted(m for m in imported if m.split(".")[0] in heavy)


@pytest.mark.parametrize("module", ["admin.cli", "starter", "admin.serve"])
def test_help_loads_no_part_of_the_running_system(module):
    timed = run([sys.executable, "-X", "importtime", "-c", f"import {module}"])
    assert timed.returncode == 0, timed.stderr
    assert heavy_in(imported_by(timed), HEAVY) == []


def admin_command(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`alliance-admin ARGS` in a new process, recording what it imports."""
    return run([sys.executable, "-X", "importtime", "-m", "admin.cli", *args], **env)


@pytest.mark.parametrize("command", [["list"], ["outbox"], ["outbox", "--failed"]])
def test_a_registry_read_loads_neither_temporal_nor_the_workflows(command, sqlite_url):
    done = admin_command(*command, ALLIANCE_DATABASE_URL=sqlite_url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "┏" in done.stdout  # the (empty) table
    imported = imported_by(done)
    assert "registry.tables" in imported
    assert heavy_in(imported, NOT_FOR_READS) == []


@pytest.fixture(scope="module")
def temporal_address(tmp_path_factory):
    """A Temporal dev server with no workflows and no worker."""
    from local_stack import start_dev_server, wait_for_temporal
    from starter import free_port

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("temporal"),
        temporal_address=f"127.0.0.1:{free_port()}",
        temporal_ui_port=free_port(),
    )
    server = start_dev_server(settings)
    try:
        asyncio.run(wait_for_temporal(settings, server))
        yield settings.temporal_address
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_staff_action_loads_neither_the_workflows_nor_the_registry(temporal_address):
    done = admin_command(
        *["review", "2026-0999", "recommend", "--as", "测评", "--district", "high_tech_zone"],
        ALLIANCE_TEMPORAL_ADDRESS=temporal_address,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "no procedure for alliance 2026-0999" in done.stdout  # Temporal answered
    imported = imported_by(done)
    assert "temporalio.client" in imported
    assert heavy_in(imported, NOT_FOR_ACTIONS) == []


def test_show_reads_the_registry_and_temporal_without_the_workflows(temporal_address, sqlite_url):
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with session_scope(sqlite_url) as session:
        session.add(
            Alliance(
                code="2026-0998",
                name="鞍山市测试产业技术创新战略联盟",
                district="high_tech_zone",
                status="district_review",
                created_at=now,
                updated_at=now,
            )
        )
    done = admin_command(
        "show",
        "2026-0998",
        ALLIANCE_DATABASE_URL=sqlite_url,
        ALLIANCE_TEMPORAL_ADDRESS=temporal_address,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "鞍山市测试产业技术创新战略联盟" in done.stdout
    assert "no procedure for alliance 2026-0998" in done.stdout  # asked the workflow
    imported = imported_by(done)
    assert {"registry.tables", "temporalio.client"} <= imported
    assert heavy_in(imported, NOT_FOR_SHOW) == []


def test_alliance_admin_help_lists_the_commands():
    shown = run([str(BIN / "alliance-admin"), "--help"])
    assert shown.returncode == 0, shown.stderr
    for command in ("list", "outbox", "review", "revoke", "migrate", "user"):
        assert command in shown.stdout


@pytest.mark.parametrize(
    ("command", "values"),
    [
        (["review"], [o.value for o in ReviewOutcome]),
        (["assessment", "record"], [k.value for k in AssessmentKind] + [g.value for g in Grade]),
        (
            ["revoke"],
            [f"{g.value} = {REVOCATION_GROUND_ZH[g]}" for g in STAFF_REVOCATION_GROUNDS],
        ),
        (
            ["user", "create"],
            ["administrator", "bureau_staff", "director_clerk", "expert_organiser"],
        ),
    ],
)
def test_a_commands_help_names_every_value_it_takes(command, values):
    shown = run([str(BIN / "alliance-admin"), *command, "--help"], COLUMNS="400")
    text = " ".join(shown.stdout.split())
    for value in values:
        assert value in text


def test_simulate_help_names_every_scenario_and_a_wrong_one_is_refused_with_them():
    from admin.rehearsal import Scenario

    shown = run([sys.executable, "starter.py", "simulate", "--help"], COLUMNS="400")
    assert all(s.value in shown.stdout for s in Scenario)
    wrong = run([sys.executable, "starter.py", "simulate", "--scenario", "on-tyme"])
    assert wrong.returncode == 2 and "on-time" in wrong.stderr + wrong.stdout


def _cell_column(output: str, column: int) -> str:
    """The text of one column of a rich table, its folded lines joined."""
    parts = []
    for line in output.splitlines():
        cells = line.split("│")
        if len(cells) > column + 1:
            parts.append(cells[column + 1].strip())
    return "".join(parts)


def test_outbox_shows_a_long_subject_whole_at_80_columns_in_beijing_time(sqlite_url):
    subject = (
        "关于鞍山市菱镁新材料产业技术创新战略联盟2026年度报告逾期未报送的催报通知"
        "(overdue annual report reminder)"
    )
    with session_scope(sqlite_url) as session:
        session.add(
            EmailMessage(
                key="2026-0001:report_overdue:2026",
                message_id="<1@test>",
                alliance_code="2026-0001",
                purpose="report_overdue",
                recipients=["secretariat-of-the-alliance@lianmeng-example.cn"],
                subject=subject,
                status="sent",
                sent_at=datetime(2026, 3, 2, 17, 30, tzinfo=UTC),  # 01:30 next day in Beijing
                created_at=datetime(2026, 3, 2, 17, 30, tzinfo=UTC),
            )
        )
    shown = run(
        [str(BIN / "alliance-admin"), "outbox"], COLUMNS="80", ALLIANCE_DATABASE_URL=sqlite_url
    )
    assert shown.returncode == 0, shown.stderr
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80
    assert "…" not in shown.stdout
    assert _cell_column(shown.stdout, 3).replace(" ", "") == subject.replace(" ", "")
    assert "secretariat-of-the-alliance@lianmeng-example.cn" in _cell_column(shown.stdout, 2)
    assert "北京时间" in shown.stdout
    sent = _cell_column(shown.stdout, 0)
    assert "2026-03-0301:30" in sent.replace(" ", "")


def _password_is(url: str, username: str, password: str) -> bool:
    with session_scope(url) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).one()
    return verify_password(user.password_hash, password)


def test_user_create_reads_one_line_of_standard_input_and_help_asks_no_password(sqlite_url):
    shown = run([str(BIN / "alliance-admin"), "user", "create", "--help"])
    assert "--password" not in shown.stdout
    created = subprocess.run(
        [str(BIN / "alliance-admin"), "user", "create", "staff", "--role", "bureau_staff"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "ALLIANCE_DATABASE_URL": sqlite_url},
        input="correct-horse-battery\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    assert "echoed" not in created.stderr + created.stdout
    assert _password_is(sqlite_url, "staff", "correct-horse-battery")
    empty = subprocess.run(
        [str(BIN / "alliance-admin"), "user", "create", "other", "--role", "bureau_staff"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "ALLIANCE_DATABASE_URL": sqlite_url},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert empty.returncode == 1 and "no password on standard input" in empty.stdout


def _until_echo_is_off(terminal: int) -> None:
    for _ in range(200):
        if not termios.tcgetattr(terminal)[3] & termios.ECHO:
            return
        time.sleep(0.05)
    raise AssertionError("the password prompt left the terminal echoing")


def test_user_create_at_a_terminal_asks_twice_without_showing_the_password(sqlite_url):
    secret = "correct-horse-battery"
    pid, terminal = pty.fork()
    if pid == 0:  # the child, on the pseudo-terminal as its controlling terminal
        os.environ["ALLIANCE_DATABASE_URL"] = sqlite_url
        admin = str(BIN / "alliance-admin")
        os.execv(admin, [admin, "user", "create", "admin", "--role", "administrator"])
    seen = b""
    answered = 0
    while True:
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # the child has closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        asked = seen.count(b"(password)") + seen.count(b"confirmation")
        if answered < asked and answered < 2:
            _until_echo_is_off(terminal)  # input typed before that would be flushed
            os.write(terminal, secret.encode() + b"\n")
            answered += 1
    _, status = os.waitpid(pid, 0)
    text = seen.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert answered == 2  # asked, then asked again to confirm
    assert secret not in text and "echoed" not in text
    assert _password_is(sqlite_url, "admin", secret)


def test_the_dev_server_writes_to_its_log_file_not_the_terminal(tmp_path):
    from local_stack import dev_server_log, start_dev_server, wait_for_temporal
    from starter import free_port

    ports = [free_port(), free_port()]
    settings = Settings(
        data_dir=tmp_path, temporal_address=f"127.0.0.1:{ports[0]}", temporal_ui_port=ports[1]
    )
    server = start_dev_server(settings)
    try:
        asyncio.run(wait_for_temporal(settings, server))
    finally:
        server.terminate()
        server.wait(timeout=20)
    logged = dev_server_log(settings).read_text(encoding="utf-8")
    assert f"{ports[0]}" in logged  # its start-up lines ("Temporal Server: localhost:…")
    assert server.stdout is None  # nothing is piped back to this process's terminal


def test_the_start_up_banner_says_where_the_logs_are(tmp_path, capsys):
    from local_stack import dev_server_log, print_where_to_look

    settings = Settings(data_dir=tmp_path)
    print_where_to_look(settings)
    banner = capsys.readouterr().out
    assert str(dev_server_log(settings)) in banner and "sdk.log" in banner
    assert re.search(r"Logs\s+\S+temporal-dev-server\.log", banner)
