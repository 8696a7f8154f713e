"""The operator commands as an operator types them, against the running system."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pypdf import PdfReader
from sqlmodel import func, select
from typer.testing import CliRunner

import starter
from admin import cli
from domain.settings import PROJECT_ROOT
from domain.shanghai_time import local_date
from registry.calendar_store import loaded_years
from registry.database import session_scope
from registry.tables import Alliance, DecisionRow
from tests.support.temporal import sample_application
from tests.web.test_registry_pages import registered

SAMPLES = PROJECT_ROOT / "samples"


async def run(app, *args: str):
    """Invoke a command in a thread, as its own asyncio.run needs."""
    return await asyncio.to_thread(CliRunner().invoke, app, [str(a) for a in args])


def _alliances(bureau) -> int:
    with session_scope(bureau.settings.registry_url()) as session:
        return session.exec(select(func.count()).select_from(Alliance)).one()


async def test_invalid_application_file_is_refused_with_every_problem_and_nothing_stored(
    operator_env,
):
    result = await run(starter.app, "submit", SAMPLES / "application-broken-codes.yaml")
    assert result.exit_code == 1
    assert "未保存任何内容" in result.output
    assert "members[1].credit_code" in result.output and "contacts[1].email" in result.output
    assert _alliances(operator_env) == 0


async def test_submitting_twice_while_in_progress_is_refused(operator_env):
    first = await run(starter.app, "submit", SAMPLES / "application-sample.yaml")
    assert first.exit_code == 0, first.output
    assert "alliance-" in first.output
    second = await run(starter.app, "submit", SAMPLES / "application-sample.yaml")
    assert second.exit_code == 1
    # refused by the registry (its record already written) or by the workflow id in use
    assert "已有正在办理的申请" in second.output or "不能重新申请认定" in second.output
    assert "2026-0001" in second.output


async def test_staff_take_the_sample_to_a_certificate_from_the_command_line(operator_env, tmp_path):
    bureau = operator_env
    app = sample_application()
    submitted = await run(starter.app, "submit", SAMPLES / "application-sample.yaml")
    assert submitted.exit_code == 0
    code = bureau.code_of(app)
    assert f"联盟编号 (alliance code): {code}" in submitted.output
    await bureau.track(code)

    wrong = await run(cli.app, "review", code, "recommend", "--as", "王审查", "--district", "tiexi")
    assert wrong.exit_code == 1 and "只有" in wrong.output
    for _ in range(2):  # a repeated command with the same request id acts once
        done = await run(
            cli.app,
            "review",
            code,
            "recommend",
            "--as",
            "王审查",
            "--district",
            app.district.value,
            "--request-id",
            "r-1",
        )
        assert done.exit_code == 0 and "expert_review" in done.output
    bad_expert = await run(
        cli.app,
        "expert-review",
        code,
        "--as",
        "赵组织",
        "--organisation",
        "评估中心",
        "--expert",
        "张教授:88",
        "--necessity",
        "必要",
        "--feasibility",
        "可行",
        "--pass",
    )
    assert bad_expert.exit_code == 1 and "专家组至少应有3名专家" in bad_expert.output
    expert = await run(
        cli.app,
        "expert-review",
        code,
        "--as",
        "赵组织",
        "--organisation",
        "评估中心",
        "--expert",
        "张教授:辽宁科技大学:88",
        "--expert",
        "刘研究员:85",
        "--expert",
        "陈高工:90",
        "--necessity",
        "必要",
        "--feasibility",
        "可行",
        "--pass",
    )
    assert expert.exit_code == 0, expert.output
    today = local_date(await bureau.now())
    meeting = await run(
        cli.app,
        "meeting",
        code,
        "--as",
        "李记录",
        "--number",
        "2026年第12次",
        "--date",
        today.isoformat(),
        "--approve",
    )
    assert meeting.exit_code == 0, meeting.output
    state = await bureau.wait_for_state(code, lambda s: s.notice is not None)
    shown = await run(cli.app, "show", code)
    assert f"{state.notice.start} 至 {state.notice.end}" in shown.output

    result = await bureau.result(code)
    listed = await run(cli.app, "list", "--status", "active")
    assert code in listed.output and result.recognition.certificate_serial in listed.output
    pdf = tmp_path / "certificate.pdf"
    exported = await run(cli.app, "certificate", code, "--out", pdf)
    assert exported.exit_code == 0
    assert app.alliance_name in PdfReader(pdf).pages[0].extract_text()
    outbox = await run(cli.app, "outbox", "--alliance", code)
    assert "recognised" in outbox.output and "sent" in outbox.output
    with session_scope(bureau.settings.registry_url()) as session:
        decisions = session.exec(
            select(DecisionRow.action).where(DecisionRow.alliance_code == code)
        ).all()
    assert decisions.count("district_review.recommend") == 1


async def test_loading_a_holiday_year_resumes_a_notice_waiting_for_it(operator_env, tmp_path):
    from tests.support.calendars import unload_years

    bureau = operator_env
    url = bureau.settings.registry_url()
    code = await bureau.at_director_meeting()
    year = (await bureau.now()).year
    unload_years(url, [year, year + 1])
    await bureau.approve_at_meeting(code)
    await bureau.wait_for_mail("calendar_missing")

    broken = tmp_path / "broken.yaml"
    broken.write_text(f"year: {year}\nholidays: [{year}-13-01]\n", encoding="utf-8")
    refused = await run(cli.app, "calendar", "load", broken)
    assert refused.exit_code == 1 and "节假日文件有误" in refused.output
    assert year not in loaded_years(url)

    for y in (year, year + 1):
        plain = tmp_path / f"{y}.yaml"
        plain.write_text(f"year: {y}\nholidays: [{y}-01-01]\nsource: test\n", encoding="utf-8")
        loaded = await run(cli.app, "calendar", "load", plain)
        assert loaded.exit_code == 0, loaded.output
    assert "已通知 1 个办理中的流程" in loaded.output
    assert len(await bureau.wait_for_mail("notice_published")) == 1
    await bureau.sleep(timedelta(seconds=1))


async def test_staff_and_alliance_act_on_the_term_from_the_command_line(operator_env, tmp_path):
    import yaml

    from domain.term import report_years

    bureau = operator_env
    code = await bureau.recognise()
    year = report_years(await bureau.term_state(code))[0]
    fields = yaml.safe_load((SAMPLES / "annual-report-sample.yaml").read_text(encoding="utf-8"))
    report_file = tmp_path / "report.yaml"
    report_file.write_text(yaml.safe_dump({**fields, "year": year}, allow_unicode=True), "utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("year: [1\n", encoding="utf-8")

    refused = await run(cli.app, "report", "submit", code, broken, "--as", "秘书处")
    assert refused.exit_code == 1 and "年度报告文件有误" in refused.output
    sent = await run(cli.app, "report", "submit", code, report_file, "--as", "秘书处")
    assert sent.exit_code == 0, sent.output
    reviewed = await run(cli.app, "report", "review", code, year, "--as", "钱职员", "--accept")
    assert reviewed.exit_code == 0, reviewed.output
    shown = await run(cli.app, "show", code)
    assert f"{year}年度报告 annual report: accepted" in shown.output
    too_early = await run(
        cli.app,
        "assessment",
        "record",
        code,
        "final",
        "--as",
        "钱职员",
        "--grade",
        "pass",
        "--opinion",
        "同意",
    )
    assert too_early.exit_code == 1 and "现在不能记录结果" in too_early.output
    no_basis = await run(
        cli.app, "revoke", code, "--as", "钱职员", "--ground", "other", "--reason", "x"
    )
    assert no_basis.exit_code == 1 and "请填写取消资格的依据" in no_basis.output
    revoked = await run(
        cli.app, "revoke", code, "--as", "钱职员", "--ground", "falsified", "--reason", "弄虚作假"
    )
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    await bureau.settled(code)  # the registry row is written once the action has answered
    listed = await run(cli.app, "list", "--status", "revoked")
    assert code in listed.output


async def test_incidents_are_shown_listed_and_retried_from_the_command_line(operator_env):
    bureau = operator_env
    app = sample_application()
    bureau.smtp.refuse(*app.recipient_emails())
    code = await bureau.submit(app)
    await bureau.wait_for_mail("incident")
    await bureau.settled(code)

    shown = await run(cli.app, "show", code)
    assert "故障 incident 1" in shown.output and "550" in shown.output
    failed = await run(cli.app, "outbox", "--failed", "--alliance", code)
    assert "application_received" in failed.output and "failed" in failed.output
    listed = await run(cli.app, "incidents", "list", code)
    assert "待处理" in listed.output and "发送邮件通知" in listed.output

    bureau.smtp.refused.clear()
    retried = await run(cli.app, "incidents", "retry", code, "1", "--as", "钱职员")
    assert retried.exit_code == 0 and "已受理" in retried.output
    assert len(await bureau.wait_for_mail("application_received")) == 1
    await bureau.settled(code)
    again = await run(cli.app, "incidents", "retry", code, "1", "--as", "钱职员")
    assert again.exit_code == 1 and "已重新排队" in again.output
    listed = await run(cli.app, "incidents", "list", code)
    assert "已重新排队" in listed.output


async def test_the_operator_command_reissues_and_refuses_an_ended_alliance(operator_env, tmp_path):
    bureau = operator_env
    code = await bureau.recognise()
    await registered(bureau, code, "active")
    out = tmp_path / "reissued.pdf"
    done = await run(
        cli.app, "reissue-certificate", code, "--as", "张科员", "--reason", "证书损毁", "--out", out
    )
    assert done.exit_code == 0, done.output
    assert "补发" in PdfReader(out).pages[0].extract_text()

    with session_scope(bureau.settings.registry_url()) as session:
        alliance = session.get(Alliance, code)
        assert alliance is not None
        alliance.status = "revoked"  # as the registry records a revocation
        session.add(alliance)
    refused = await run(
        cli.app, "reissue-certificate", code, "--as", "张科员", "--reason", "证书损毁"
    )
    assert refused.exit_code == 1 and "不能补发" in refused.output
