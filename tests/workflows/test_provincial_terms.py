"""Article 13: imported provincial alliances join, part-way, the term their provincial
certificate's current validity gives; what article 12 still asks of them is not skipped."""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

import starter
from admin.provincial_import import import_provincial_csv
from domain.shanghai_time import end_of_day, local_date
from domain.term import (
    AssessmentKind,
    Grade,
    TermStatus,
    add_months,
    assessment_opens,
    report_due,
    report_years,
    term_end_for,
)
from registry.database import session_scope
from registry.tables import Alliance, AssessmentRow
from tests.support.temporal import Bureau, body_of, subject_of
from tests.test_provincial_import import (  # noqa: F401
    SAMPLE,
    SAMPLE_LEADS,
    good_row,
    lead_code,
    mixed_file,
    write_csv,
)
from tests.test_provincial_import import code_of as code_of_lead
from tests.web.conftest import as_user, web_app  # noqa: F401
from web.registry_queries import AllianceFilter, RegistryView, dashboard, find_alliances


def code_of(bureau: Bureau, lead: str) -> str:
    """The 联盟编号 the import gave the one alliance this unit leads."""
    return code_of_lead(bureau.settings.registry_url(), lead)


def sample_codes(bureau: Bureau) -> list[str]:
    return [code_of(bureau, lead) for lead in SAMPLE_LEADS]


async def run(*args: str):
    return await asyncio.to_thread(CliRunner().invoke, starter.app, [str(a) for a in args])


def flowed(output: str) -> str:
    return " ".join(output.split())


async def import_validity_from(
    bureau: Bureau, tmp_path: Path, months_ago: int, **changes: str
) -> date:
    """Import alliance 1 whose provincial validity began `months_ago` months before today
    (the test server's day); returns that first day."""
    start = add_months(local_date(await bureau.now()), -months_ago)
    row = good_row(1, valid_from=start.isoformat(), valid_until=term_end_for(start).isoformat())
    result = await run("import-provincial", write_csv(tmp_path / "one.csv", [row | changes]))
    assert result.exit_code == 0, result.output
    assert "terms started 1" in flowed(result.output)
    return start


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
    output = flowed(first.output)
    assert "imported 3, already present 0, rejected 0, terms started 3" in output
    # Each started term is reported with the dates the import set.
    assert "第 2 行 (line 2): 鞍山市菱镁新材料产业技术创新战略联盟" in output
    assert "认定期 2024-03-01 至 2029-02-28" in output
    assert "mid-term held on 2026-07-20, graded good" in output
    assert again.exit_code == 0, again.output
    assert "imported 0, already present 3, rejected 0, terms started 0" in flowed(again.output)
    for code in sample_codes(operator_env):
        state = await operator_env.wait_for_term(code, lambda s: True)
        assert state.term_no == 1
        assert state.term_start <= local_date(await operator_env.now()) <= state.term_end
    assert len(await operator_env.wait_for_mail("term_started", 3)) == 3


async def test_a_mid_term_whose_day_passed_before_the_import_opens_at_import_and_is_announced(
    operator_env, tmp_path
):
    bureau = operator_env
    imported_at = await bureau.now()
    # 33 months into the validity: the mid-term (30 months) was due 3 months ago, unheld.
    await import_validity_from(bureau, tmp_path, months_ago=33)

    [opened] = await bureau.wait_for_mail("assessment_opened")
    assert "期中" in subject_of(opened)
    assert opened["To"] == good_row(1)["contact_email"]
    state = await bureau.wait_for_term(
        code_of(bureau, lead_code(1)), lambda s: s.assessment(AssessmentKind.MIDTERM)
    )
    midterm = state.assessment(AssessmentKind.MIDTERM)
    assert midterm is not None and midterm.grade is None
    materials_days = state.rules.assessment_materials_days
    assert midterm.materials_due == end_of_day(
        local_date(imported_at) + timedelta(days=materials_days)
    )
    due = local_date(midterm.materials_due)
    assert f"请于{due.year}年{due.month}月{due.day}日" in body_of(opened)
    # Decembers before the import are not owed: none is chased.
    assert all(report_due(y) > imported_at for y in report_years(state))
    await bureau.sleep(timedelta(days=2))
    assert bureau.mails("report_overdue") == [] and bureau.mails("report_escalation") == []
    assert len(bureau.mails("assessment_opened")) == 1
    assert len(bureau.mails("term_started")) == 1


async def test_a_mid_term_still_ahead_at_import_opens_on_its_day(operator_env, tmp_path):
    bureau = operator_env
    imported_at = await bureau.now()
    await import_validity_from(bureau, tmp_path, months_ago=26)
    state = await bureau.wait_for_term(code_of(bureau, lead_code(1)), lambda s: True)
    assert state.assessments == []

    midterm = assessment_opens(state, AssessmentKind.MIDTERM)
    assert midterm > imported_at
    await bureau.sleep_until(midterm - timedelta(hours=1))
    assert bureau.mails("assessment_opened") == []
    await bureau.sleep_until(midterm + timedelta(hours=2))
    opened = await bureau.wait_for_mail("assessment_opened")
    assert len(opened) == 1 and "期中" in subject_of(opened[0])
    reminders = bureau.mails("report_reminder")
    assert reminders, "this December's report is reminded"
    years = {int(m["X-Alliance-Notice-Key"].split(":")[4]) for m in reminders}
    assert all(report_due(y) > imported_at for y in years)


async def test_a_mid_term_the_province_held_is_recorded_and_not_reopened(operator_env, tmp_path):
    bureau = operator_env
    held_on = local_date(await bureau.now()) - timedelta(days=30)
    await import_validity_from(
        bureau, tmp_path, months_ago=33, midterm_held_on=held_on.isoformat(), midterm_grade="良好"
    )

    state = await bureau.wait_for_term(code_of(bureau, lead_code(1)), lambda s: True)
    [held] = state.assessments
    assert (held.kind, held.grade, state.status) == (
        AssessmentKind.MIDTERM,
        Grade.GOOD,
        TermStatus.ACTIVE,
    )
    row = await registry_row(
        bureau, AssessmentRow, AssessmentRow.alliance_code == code_of(bureau, lead_code(1))
    )
    assert (row.kind, row.grade, row.term_no) == ("midterm", "good", 1)
    await bureau.wait_for_mail("term_started")
    await bureau.sleep(timedelta(days=2))
    assert bureau.mails("assessment_opened") == []


async def registry_row(bureau: Bureau, table, *where, seconds: float = 15):
    """The first row matching `where` once the term's effects have written it."""
    deadline = time.monotonic() + seconds
    while True:
        with session_scope(bureau.settings.registry_url()) as session:
            row = session.exec(select(table).where(*where)).first()
        if row is not None or time.monotonic() > deadline:
            assert row is not None, (table, where)
            return row
        await asyncio.sleep(0.05)


async def test_right_after_import_the_dashboard_shows_no_report_overdue(bureau_each_db):
    bureau = bureau_each_db
    url = bureau.settings.registry_url()
    report = import_provincial_csv(url, SAMPLE, now=await bureau.now())
    started = await starter.start_terms(bureau.settings, report.terms, client=bureau.client)
    assert len(started) == 3
    for code in sample_codes(bureau):
        await registry_row(bureau, Alliance, Alliance.code == code, Alliance.status == "active")

    today = local_date(await bureau.now())
    view = RegistryView(url, None, today, bureau.settings.term_rules)
    # Last December's report fell due before the import: not owed, so not overdue.
    assert dashboard(view).overdue == []
    assert find_alliances(view, AllianceFilter(overdue=True)) == []
    # This December's is owed: once its deadline has passed without it, it is overdue.
    january = RegistryView(url, None, date(today.year + 1, 1, 5), bureau.settings.term_rules)
    assert sorted(a.code for a in dashboard(january).overdue) == sorted(sample_codes(bureau))


async def test_the_staff_dashboard_page_shows_no_overdue_report_after_import(
    bureau,
    as_user,  # noqa: F811
):
    report = import_provincial_csv(bureau.settings.registry_url(), SAMPLE, now=await bureau.now())
    await starter.start_terms(bureau.settings, report.terms, client=bureau.client)
    for code in sample_codes(bureau):
        await registry_row(bureau, Alliance, Alliance.code == code, Alliance.status == "active")

    page = (await (await as_user("staff")).get("/")).text

    overdue = page.split('id="overdue"', 1)[1].split("</table>", 1)[0]
    assert "暂无逾期事项" in overdue and "未提交" not in overdue
