"""The rehearsal prints five simulated years per scenario, as the README shows."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

import starter
from admin.simulation import (
    ActivityProcess,
    SimulationStopped,
    _prepare_registry,
    recognise,
    registry_template,
    simulated_system,
)
from domain.settings import get_settings
from registry.calendar_store import package_years
from tests.support.temporal import sample_application


def _lines_of(output: str, name: str) -> list[str]:
    return [line for line in output.splitlines() if f"  {name}  " in line]


def _summary(output: str, n: int) -> tuple[str, str]:
    """(联盟编号, lead unit credit code) from the closing line of 演练n."""
    line = next(
        line for line in output.splitlines() if line.startswith(f"演练{n}: ") and "联盟编号" in line
    )
    code, lead = line.split("联盟编号 ", 1)[1].split("，发起单位 ")
    return code.strip(), lead.strip()


def test_rehearsal_shows_each_scenario_through_five_years(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    result = CliRunner().invoke(
        starter.app,
        [
            "simulate",
            "--folder",
            str(tmp_path / "rehearsal"),
            "--scenario",
            "late-report",
            "--scenario",
            "revoked",
            "--scenario",
            "renewed",
            "--scenario",
            "final-after-recheck",
            "--scenario",
            "second-alliance",
        ],
    )
    assert result.exit_code == 0, result.output
    late, revoked, renewed, after_recheck, second = (
        _lines_of(result.output, f"演练{n}") for n in (1, 2, 3, 4, 5)
    )

    stamps = [line[:16] for line in late + revoked + renewed]
    assert all(datetime.strptime(s, "%Y-%m-%d %H:%M") for s in stamps)
    assert late == sorted(late, key=lambda line: line[:16])

    assert any("逾期未报" in line for line in late)
    assert any("report.escalated" in line for line in late)
    assert any("告诫" in line or "warning" in line for line in revoked)
    assert any("· revoked" in line for line in revoked)
    assert any("· renewed" in line for line in renewed)
    assert "演练2: 已取消资格 (revoked)" in result.output
    assert "演练3: 认定有效 (active), 第2个认定期" in result.output
    first, last = renewed[0][:4], renewed[-1][:4]
    assert int(last) - int(first) >= 5
    # Article 11 across the renewal: the last December of term 1 is reminded on both sides.
    renewal = next(line for line in renewed if "· term.started" in line and line[:4] == last)
    reminders = [line for line in renewed if f"{last}年度报告报送提醒" in line]
    assert any(line < renewal for line in reminders) and any(line > renewal for line in reminders)
    # The rehearsal's last decision, with the email it set off: read once it was sent.
    assert "· report.accepted" in renewed[-2] + renewed[-1]
    assert f"{last}年度报告审核通过" in renewed[-2] + renewed[-1]
    # Article 12: after a failed re-check without revocation, the passed final renews.
    assert any("· rectification.failed" in line for line in after_recheck)
    assert not any("· revoked" in line for line in after_recheck)
    assert "演练4: 认定有效 (active), 第2个认定期 (term 2)" in result.output
    # Two alliances of one lead unit, each with its own 联盟编号.
    summary = {n: _summary(result.output, n) for n in (1, 5)}
    assert summary[1][1] == summary[5][1] and summary[1][0] != summary[5][0]
    assert len(second) > 0
    if datetime.now(UTC).year > max(package_years()):
        assert "演练按周一至周五计算" in result.output


async def test_a_simulation_whose_activity_process_ends_stops_and_says_so(tmp_path):
    # A process that takes the settings and the Temporal address, then ends: the first
    # submission's activities would hold the test server's clock for ever.
    takes_two_lines = "import sys; sys.stdin.readline(); sys.stdin.readline()"
    process = subprocess.Popen([sys.executable, "-c", takes_two_lines], stdin=subprocess.PIPE)
    settings = get_settings().model_copy(
        update={"data_dir": tmp_path, "database_url": "", "smtp_port": starter.free_port()}
    )
    with pytest.raises(SimulationStopped, match="activity process ended"):
        async with simulated_system(settings, activities=ActivityProcess(process)) as env:
            await recognise(env, settings, [sample_application()])
    assert process.poll() == 0


def test_a_new_registry_is_a_copy_of_the_one_the_same_migrations_made(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    _prepare_registry(f"sqlite:///{first}", [])  # migrated and seeded, then kept
    assert registry_template().exists()
    _prepare_registry(f"sqlite:///{second}", [])  # a copy
    assert _contents(second) == _contents(first)


def _contents(path) -> tuple[list, list, list]:
    with closing(sqlite3.connect(path)) as db:
        return (
            db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall(),
            db.execute("SELECT version_num FROM alembic_version").fetchall(),
            db.execute("SELECT year, source FROM calendaryear ORDER BY year").fetchall(),
        )
