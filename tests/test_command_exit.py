"""The operator commands leave with their own status and all their output, even piped.

They end with `os._exit` (no interpreter teardown, so the Temporal client's threads cannot
abort the process after the work is done); these tests hold what that must not lose.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from domain.settings import PROJECT_ROOT


def run_command(body: str) -> subprocess.CompletedProcess:
    script = "from admin.terminal import run_and_exit\n" + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("ending", "status"), [("pass", 0), ("raise SystemExit(3)", 3)])
def test_piped_output_survives_and_the_status_is_the_commands(ending, status):
    done = run_command(
        f"""
        def command():
            print("已受理 (accepted) " * 2000)  # more than one pipe buffer, not yet flushed
            {ending}
        run_and_exit(command)
        """
    )
    assert done.returncode == status
    assert done.stdout.count("已受理 (accepted)") == 2000


def test_an_unexpected_error_prints_its_traceback_and_fails():
    done = run_command(
        """
        def command():
            raise RuntimeError("registry answered nonsense")
        run_and_exit(command)
        """
    )
    assert done.returncode == 1
    assert "RuntimeError: registry answered nonsense" in done.stderr


def test_the_installed_commands_keep_click_statuses():
    usage = subprocess.run(
        [sys.executable, "-m", "admin.cli", "no-such-command"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert usage.returncode == 2
    assert "no-such-command" in usage.stderr
