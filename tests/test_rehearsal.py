"""The rehearsal prints five simulated years per scenario, as the README shows."""

from __future__ import annotations

from datetime import UTC, datetime

from typer.testing import CliRunner

import starter
from registry.calendar_store import package_years


def _lines_of(output: str, name: str) -> list[str]:
    return [line for line in output.splitlines() if f"  {name}  " in line]


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
        ],
    )
    assert result.exit_code == 0, result.output
    late, revoked, renewed = (_lines_of(result.output, f"演练{n}") for n in (1, 2, 3))

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
    if datetime.now(UTC).year > max(package_years()):
        assert "演练按周一至周五计算" in result.output
