"""Temporal or the registry down: the operator commands say so in one line, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from client.unreachable import EXIT_UNREACHABLE, unreachable_line
from domain.settings import PROJECT_ROOT, Settings

SAMPLE = PROJECT_ROOT / "samples" / "application-sample.yaml"


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def operator_command(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_")}
    environment |= {"ALLIANCE_DATA_DIR": str(tmp_path), "COLUMNS": "200", **env}
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_submit_with_temporal_down_says_where_in_one_line(tmp_path):
    address = f"127.0.0.1:{closed_port()}"

    done = operator_command(
        tmp_path, "starter.py", "submit", str(SAMPLE), ALLIANCE_TEMPORAL_ADDRESS=address
    )

    assert done.returncode == EXIT_UNREACHABLE
    assert "Traceback" not in done.stderr + done.stdout
    [line] = done.stderr.splitlines()
    assert line.startswith(f"无法连接 Temporal 服务 {address}：")
    assert "bash scripts/run.sh" in line and "ALLIANCE_TEMPORAL_ADDRESS" in line
    assert f"(cannot reach Temporal at {address}" in line


def test_staff_action_with_temporal_down_says_where_in_one_line(tmp_path):
    address = f"127.0.0.1:{closed_port()}"

    done = operator_command(
        tmp_path,
        "-m",
        "admin.cli",
        "review",
        "91210300PUEWHWT8W1",
        "recommend",
        "--as",
        "王审查",
        "--district",
        "high_tech_zone",
        ALLIANCE_TEMPORAL_ADDRESS=address,
    )

    assert done.returncode == EXIT_UNREACHABLE
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert f"无法连接 Temporal 服务 {address}" in line


def test_registry_down_says_which_database_in_one_line(tmp_path):
    url = f"postgresql+psycopg://alliance:secret@127.0.0.1:{closed_port()}/registry"

    done = operator_command(tmp_path, "-m", "admin.cli", "list", ALLIANCE_DATABASE_URL=url)

    assert done.returncode == EXIT_UNREACHABLE
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("无法连接登记库 postgresql+psycopg://alliance:***@127.0.0.1:")
    assert "ALLIANCE_DATABASE_URL" in line and "secret" not in line


@pytest.mark.parametrize(
    "error",
    [RuntimeError("event loop is closed"), ValueError("Failed client connect"), KeyError("x")],
)
def test_other_errors_are_not_mistaken_for_a_service_down(error):
    assert unreachable_line(error, Settings()) is None
