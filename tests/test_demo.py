"""The demo takes the sample to a certificate on simulated time, as the README shows."""

from __future__ import annotations

from datetime import UTC, datetime

from pypdf import PdfReader
from typer.testing import CliRunner

import starter
from registry.calendar_store import package_years
from tests.support.temporal import sample_application


def _plain_years(folder):
    """Holiday files for years the package lacks, so the demo runs on any date."""
    files = []
    for year in range(max(package_years()) + 1, datetime.now(UTC).year + 2):
        path = folder / f"holidays-{year}.yaml"
        path.write_text(f"year: {year}\nholidays: [{year}-01-01]\nsource: test\n", encoding="utf-8")
        files += ["--holidays", str(path)]
    return files


def test_demo_prints_each_step_and_writes_the_certificate(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    folder = tmp_path / "demo"
    result = CliRunner().invoke(
        starter.app, ["demo", "--folder", str(folder), *_plain_years(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    for step in (
        "提交申请",
        "县区审查推荐",
        "专家评审",
        "局长办公会",
        "公示",
        "下达批复文件",
        "予以认定",
    ):
        assert step in result.output
    pdfs = list(folder.glob("*.pdf"))
    assert len(pdfs) == 1
    assert sample_application().alliance_name in PdfReader(pdfs[0]).pages[0].extract_text()
    assert len(list((folder / "mail").glob("*.eml"))) == 10  # the last one starts the term
    assert "已认定为市级产业技术创新战略联盟" in result.output
