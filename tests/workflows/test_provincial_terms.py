"""Article 13: imported provincial alliances join their current five-year term part-way."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, date, datetime, timedelta

from typer.testing import CliRunner

import starter
from domain.shanghai_time import local_date
from domain.term import (
    AssessmentKind,
    add_months,
    add_years,
    assessment_opens,
    report_due,
    report_years,
)
from tests.support.temporal import subject_of
from tests.test_provincial_import import SAMPLE, SAMPLE_CODES, mixed_file  # noqa: F401

REGULATION_DATE = date(2016, 8, 23)


async def run(*args: str):
    return await asyncio.to_thread(CliRunner().invoke, starter.app, [str(a) for a in args])


def flowed(output: str) -> str:
    return " ".join(output.split())


async def test_import_names_each_rejected_line_and_starts_the_good_terms(
    operator_env,
    mixed_file,  # noqa: F811
):
    result = await run("import-provincial", mixed_file)
    assert result.exit_code == 2, result.output
    output = flowed(result.output)
    assert "imported 3, already present 0, rejected 8, terms started 3" in output
    for line in range(4, 12):
        assert f"第 {line} 行 (line {line}):" in output
    assert len(await operator_env.wait_for_mail("term_started", 3)) == 3


async def test_importing_the_same_file_twice_starts_each_term_once(operator_env):
    first = await run("import-provincial", SAMPLE)
    again = await run("import-provincial", SAMPLE)
    assert first.exit_code == 0, first.output
    assert "imported 3, already present 0, rejected 0, terms started 3" in flowed(first.output)
    assert again.exit_code == 0, again.output
    assert "imported 0, already present 3, rejected 0, terms started 0" in flowed(again.output)
    for code in SAMPLE_CODES:
        state = await operator_env.wait_for_term(code, lambda s: True)
        assert state.term_start <= local_date(await operator_env.now()) <= state.term_end
    assert len(await operator_env.wait_for_mail("term_started", 3)) == 3


def _recognised_months_ago(months: int) -> date:
    """A pre-2016 recognition date that puts today `months` into a five-year term."""
    day = add_months(local_date(datetime.now(UTC)), -months)
    while day > REGULATION_DATE:
        day = add_years(day, -5)
    return day


async def test_a_mid_term_import_schedules_only_what_is_still_ahead(operator_env, tmp_path):
    bureau = operator_env
    recognised = _recognised_months_ago(26)
    path = tmp_path / "one.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        rows = list(csv.reader(SAMPLE.open(encoding="utf-8")))
        rows[1][3] = recognised.isoformat()
        csv.writer(out).writerows(rows[:2])
    imported_at = await bureau.now()
    result = await run("import-provincial", path)
    assert result.exit_code == 0, result.output
    code = SAMPLE_CODES[0]
    state = await bureau.wait_for_term(code, lambda s: True)
    assert state.term_no >= 3 and state.term_start <= local_date(imported_at)
    assert state.assessments == [] and state.reports == []
    assert all(report_due(y) > imported_at for y in report_years(state))

    # Past Decembers are not replayed as emails; what is ahead is scheduled as usual.
    midterm = assessment_opens(state, AssessmentKind.MIDTERM)
    assert midterm > imported_at
    await bureau.sleep_until(midterm + timedelta(hours=2))
    opened = await bureau.wait_for_mail("assessment_opened")
    assert len(opened) == 1 and "期中" in subject_of(opened[0])
    reminders = bureau.mails("report_reminder")
    assert reminders, "this December's report is reminded"
    years = {int(m["X-Alliance-Notice-Key"].split(":")[4]) for m in reminders}
    assert all(report_due(y) > imported_at for y in years)
    assert len(bureau.mails("term_started")) == 1
    overdue = bureau.mails("report_overdue")
    assert all(
        report_due(int(m["X-Alliance-Notice-Key"].split(":")[4])) > imported_at for m in overdue
    )
