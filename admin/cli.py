"""alliance-admin: the operator and staff command line (until the web console exists).

Every staff action carries a request id (printed, or given with --request-id) that is the
Temporal update id: repeating a command with the same id acts once.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from admin.terminal import (
    EnumValue,
    OperatorCommands,
    beijing,
    console,
    read_application_or_exit,
    refusal_lines,
    refuse,
    run_and_exit,
    table,
)
from domain.districts import District, district_zh

if TYPE_CHECKING:
    from temporalio.client import Client

    from client.actions import StaffAction
    from domain.procedure import PanelMember

# `alliance-admin --help` imports this module: what a command needs beyond typer (the
# registry, Temporal's client, the workflows' models, PDFs) is imported in that command.

app = typer.Typer(
    help="鞍山市产业技术创新战略联盟 — 运维与业务命令 (operator and staff commands)",
    no_args_is_help=True,
    cls=OperatorCommands,
)
calendar_app = typer.Typer(help="节假日安排 (State Council holiday calendar)", no_args_is_help=True)
objection_app = typer.Typer(
    help="公示异议 (objections during the public notice)", no_args_is_help=True
)
report_app = typer.Typer(help="年度报告 (article 11 annual reports)", no_args_is_help=True)
assessment_app = typer.Typer(help="期中、期末考核评估 (article 12)", no_args_is_help=True)
rectification_app = typer.Typer(help="限期整改 (rectification)", no_args_is_help=True)
app.add_typer(report_app, name="report")
app.add_typer(assessment_app, name="assessment")
app.add_typer(rectification_app, name="rectification")
user_app = typer.Typer(help="网页控制台账号 (web console accounts)", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(calendar_app, name="calendar")
app.add_typer(objection_app, name="objection")
approval_app = typer.Typer(help="批复文件 (9.5 approval document)", no_args_is_help=True)
app.add_typer(approval_app, name="approval")
plaque_app = typer.Typer(help="牌匾 (9.5 plaque)", no_args_is_help=True)
app.add_typer(plaque_app, name="plaque")
incidents_app = typer.Typer(help="故障 (effects that need a person)", no_args_is_help=True)
app.add_typer(incidents_app, name="incidents")

REQUEST_ID = typer.Option("", "--request-id", help="default: a new id (printed); reuse to act once")
ACTOR = typer.Option(..., "--as", help="your name, recorded in the audit log")
KIND = typer.Argument(
    ..., parser=EnumValue("domain.term", "AssessmentKind"), metavar="midterm|final"
)


def _url() -> str:
    from domain.settings import get_settings

    return get_settings().registry_url()


def _request_id(given: str) -> str:
    request_id = given or uuid.uuid4().hex
    console.print(f"[dim]request id: {request_id}[/dim]")
    return request_id


def _code(given: str) -> str:
    """The 联盟编号 as typed, or as the workflow id names it (alliance-2026-0007)."""
    from client.alliances import alliance_code_of

    return alliance_code_of(given.strip())


def _send(code: str, name: StaffAction, action) -> None:
    """Send one action of the catalogue and print the workflow's answer."""
    from client.actions import StaffAction
    from client.alliances import ProcedureActionFailed, act
    from client.connection import connect
    from domain.procedure import ActionResult, status_zh
    from domain.settings import get_settings
    from domain.term import PlaqueHandoverRecord, TermStatus

    code = _code(code)

    async def go():
        client = await connect(get_settings())
        return await act(client, code, name, action)

    try:
        result = asyncio.run(go())
    except ProcedureActionFailed as failed:
        raise refuse(str(failed)) from failed
    accepted = f"[green]已受理 (accepted)[/green] 请求编号 request id {action.request_id}"
    if isinstance(result, ActionResult):
        console.print(f"{accepted}；当前阶段 (stage): {result.message} ({result.stage.value})")
    elif name == StaffAction.FILE_OBJECTION:
        console.print(f"{accepted}；异议编号 (objection no.) {result}")
    elif name == StaffAction.RETRY_INCIDENT:
        console.print(f"{accepted}；待办事项 (effects queued): {result}")
    elif isinstance(result, PlaqueHandoverRecord):
        console.print(
            f"{accepted}；牌匾交付 (plaque handed over) {result.handed_over_on}，"
            f"接收人 (received by) {result.received_by}"
        )
    elif isinstance(result, TermStatus | str):
        console.print(f"{accepted}；状态 (status): {status_zh(str(result))} ({result})")
    else:
        console.print(f"{accepted}；{result}")
    console.print(
        "[dim]登记和邮件通知随后完成 (registry and emails follow in the background)[/dim]"
    )


# ---------------------------------------------------------------- registry views


@app.command("list")
def list_alliances(
    status: str = typer.Option("", help="e.g. district_review, recognised"),
    district: District | None = typer.Option(None),
    lead: str = typer.Option("", help="发起单位统一社会信用代码: the alliances this unit leads"),
) -> None:
    """联盟列表: alliances in the registry."""
    from sqlmodel import select

    from domain.procedure import status_zh
    from registry.database import session_scope
    from registry.tables import Alliance

    with session_scope(_url()) as session:
        query = select(Alliance).order_by(Alliance.updated_at.desc())
        if status:
            query = query.where(Alliance.status == status)
        if district:
            query = query.where(Alliance.district == district.value)
        if lead:
            query = query.where(Alliance.lead_unit_code == lead.strip().upper())
        rows = session.exec(query).all()
    shown = table(
        "联盟编号 code",
        "联盟名称",
        "发起单位代码",
        "区县",
        "状态 status",
        "证书编号",
        "更新 (北京时间)",
    )
    for a in rows:
        shown.add_row(
            a.code,
            a.name,
            a.lead_unit_code,
            district_zh(a.district),
            status_zh(a.status),
            a.certificate_serial or "",
            beijing(a.updated_at),
        )
    console.print(shown)


@app.command("show")
def show(code: str) -> None:
    """联盟详情 by 联盟编号: the registry record, decisions, audit log and live state.
    Given a lead unit's credit code, lists the alliances that unit leads."""
    from sqlmodel import select

    from client.alliances import ProcedureActionFailed
    from domain.procedure import status_zh
    from registry.database import session_scope
    from registry.tables import Alliance, AuditEntry, DecisionRow

    code = _code(code)
    url = _url()
    with session_scope(url) as session:
        alliance = session.get(Alliance, code)
        if alliance is None:
            from registry.alliance_codes import alliances_led_by

            led = alliances_led_by(url, code.upper())
            if led:
                console.print(f"发起单位 {code.upper()} 牵头的联盟 (alliances this unit leads):")
                for a in led:
                    console.print(f"  {a.code}  {a.name}  {status_zh(a.status)} ({a.status})")
                return
            console.print(f"[red]登记库中没有联盟 {code} (no such alliance)[/red]")
            raise typer.Exit(1)
        decisions = session.exec(
            select(DecisionRow).where(DecisionRow.alliance_code == code).order_by(DecisionRow.id)
        ).all()
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.alliance_code == code).order_by(AuditEntry.id)
        ).all()
    console.print(f"[bold]{alliance.name}[/bold]  ({alliance.code})")
    console.print(
        f"状态 status: {status_zh(alliance.status)} ({alliance.status})"
        f"   区县: {district_zh(alliance.district)}   "
        f"证书 certificate: {alliance.certificate_serial or '-'}"
    )
    if alliance.term_end:
        console.print(
            f"第{alliance.term_no}个认定期 (term {alliance.term_no})"
            f"，有效期至 (valid until) {alliance.term_end}"
        )
    try:
        asyncio.run(_show_workflow(code, alliance.status))
    except ProcedureActionFailed as failed:
        console.print(f"[yellow]{failed}[/yellow]")
    shown = table("决定 decision", "actor", "reasons", "时间 (北京时间)")
    for d in decisions:
        shown.add_row(d.action, f"{d.actor} ({d.role})", d.reasons, beijing(d.decided_at))
    console.print(shown)
    log = table("audit", "actor", "reason", "时间 (北京时间)")
    for e in audit:
        log.add_row(e.action, f"{e.actor} ({e.role})", e.reason, beijing(e.at))
    console.print(log)


async def _show_workflow(code: str, status: str) -> None:
    """What the running workflow knows, over one connection to Temporal."""
    from client.connection import connect
    from domain.settings import get_settings

    client = await connect(get_settings())
    await _show_live_state(client, code, status)
    await _show_effects(client, code)


async def _show_live_state(client: Client, code: str, status: str) -> None:
    """What the running workflow knows beyond the registry: deadlines, notice, objections."""
    from client.alliances import procedure_state, term_state
    from domain.procedure import FINAL_STAGES, Stage
    from domain.report_statistics import figures_shown
    from domain.term import ASSESSMENT_ZH, ENDED, GRADE_ZH, TermStatus

    if status in {s.value for s in Stage} - {s.value for s in FINAL_STAGES}:
        state = await procedure_state(client, code)
        if state.clock:
            console.print(f"期限 deadline: {beijing(state.clock.deadline)} (北京时间)")
        if state.notice:
            console.print(f"公示 notice: {state.notice.start} 至 {state.notice.end}")
        if state.missing_calendar_year:
            console.print(f"[red]等待载入 {state.missing_calendar_year} 年节假日安排[/red]")
        for o in state.objections:
            console.print(f"异议 {o.number} [{o.status}] {o.name}: {o.text}")
        if state.approval_plan:
            console.print(
                f"批复文件 approval document: 不早于 (not before) {state.approval_plan.first_day}"
            )
    elif status in {s.value for s in TermStatus} - {s.value for s in ENDED}:
        term = await term_state(client, code)
        if term.next_deadline:
            console.print(f"下一期限 next deadline: {beijing(term.next_deadline)} (北京时间)")
        for report in term.reports:
            late = "（逾期）" if report.late else ""
            console.print(f"{report.year}年度报告 annual report: {report.status}{late}")
            if report.statistics is not None:
                figures = figures_shown(report.statistics)
                console.print(
                    "  创新资源统计 statistics: "
                    + "；".join(f"{f.title_zh} {v or '未填报'}" for f, v in figures)
                )
        for assessment in term.assessments:
            console.print(
                f"{ASSESSMENT_ZH[assessment.kind]}: 材料截止 {beijing(assessment.materials_due)}"
                f"  结果 {GRADE_ZH[assessment.grade] if assessment.grade else '-'}"
            )
        if term.rectification:
            console.print(f"整改期限 rectification due: {beijing(term.rectification.due)}")
        if handed := term.plaque_handed_over:
            console.print(
                f"牌匾交付 plaque handed over: {handed.handed_over_on}，接收人 {handed.received_by}"
            )


async def _show_effects(client: Client, code: str) -> None:
    """Effects still to do (with the error of the one being retried) and open incidents."""
    from client.alliances import outbox as read_outbox
    from client.alliances import pending_attempt

    box, attempt = await read_outbox(client, code), await pending_attempt(client, code)
    if box.pending:
        console.print(f"[yellow]待办事项 effects pending: {len(box.pending)}[/yellow]")
        for effect in box.pending:
            console.print(f"  {effect.summary()}  ({effect.key})")
        if attempt is not None:
            console.print(
                f"  [yellow]第{attempt[0]}次尝试 (attempt {attempt[0]}): {attempt[1]}[/yellow]"
            )
    for incident in box.open_incidents():
        console.print(
            f"[red]故障 incident {incident.number}[/red] {incident.effect.summary()}: "
            f"{incident.error}\n  → alliance-admin incidents retry {code} {incident.number}"
        )


@app.command("outbox")
def outbox(
    alliance: str = typer.Option("", help="only this alliance code"),
    failed: bool = typer.Option(False, "--failed", help="only failed deliveries"),
) -> None:
    """发件记录: every email, with its delivery status."""
    from sqlmodel import col, select

    from domain.notices import UNDELIVERED
    from registry.database import session_scope
    from registry.tables import EmailMessage

    with session_scope(_url()) as session:
        query = select(EmailMessage).order_by(EmailMessage.id)
        if alliance:
            query = query.where(EmailMessage.alliance_code == alliance)
        if failed:
            query = query.where(col(EmailMessage.status).in_(UNDELIVERED))
        rows = session.exec(query).all()
    shown = table("发送 sent (北京时间)", "purpose", "to", "subject", "status")
    for m in rows:
        status = m.status if not m.error else f"{m.status}: {m.error}"
        shown.add_row(beijing(m.sent_at), m.purpose, ", ".join(m.recipients), m.subject, status)
    console.print(shown)
    if failed and rows:
        console.print(
            "[dim]重新发送 (re-send): alliance-admin incidents retry <code> <no.> --as <name>[/dim]"
        )


@incidents_app.command("list")
def incidents_list(
    alliance: str = typer.Argument("", help="only this alliance code; default: all"),
) -> None:
    """故障: effects that stopped retrying and wait for a person, with their error."""

    from client.alliances import ProcedureActionFailed, alliances_with_incidents
    from client.alliances import outbox as read_outbox
    from client.connection import connect
    from domain.effects import INCIDENT_STATUS_ZH
    from domain.settings import get_settings

    async def read():
        client = await connect(get_settings())
        codes = [alliance] if alliance else await alliances_with_incidents(client)
        return [(code, await read_outbox(client, code)) for code in codes]

    try:
        found = asyncio.run(read())
    except ProcedureActionFailed as failed:
        raise refuse(str(failed)) from failed
    shown = table("code", "no.", "失败 failed (北京时间)", "what", "error", "status")
    for code, box in found:
        for i in box.incidents if alliance else box.open_incidents():
            shown.add_row(
                code,
                str(i.number),
                beijing(i.failed_at),
                i.effect.summary(),
                i.error,
                INCIDENT_STATUS_ZH[i.status],
            )
    console.print(shown)


@incidents_app.command("retry")
def incidents_retry(
    code: str,
    number: int = typer.Argument(..., help="the incident's number"),
    actor: str = ACTOR,
    request_id: str = REQUEST_ID,
) -> None:
    """重新处理: re-queue an incident's effect once its data or address is corrected."""
    from client.actions import StaffAction
    from domain.effects import IncidentRetry
    from domain.procedure import Actor, Role

    action = IncidentRetry(
        request_id=_request_id(request_id),
        actor=Actor(name=actor, role=Role.BUREAU_STAFF),
        incident_no=number,
    )
    _send(code, StaffAction.RETRY_INCIDENT, action)


@app.command("certificate")
def certificate(
    code: str, out: Path = typer.Option(..., "--out", help="where to write the PDF")
) -> None:
    """证书: write an alliance's certificate PDF to a file."""
    from sqlmodel import select

    from registry.database import session_scope
    from registry.tables import Certificate, Document

    with session_scope(_url()) as session:
        cert = session.exec(
            select(Certificate)
            .where(Certificate.alliance_code == code)
            .order_by(Certificate.term.desc())
        ).first()
        document = session.get(Document, cert.document_id) if cert and cert.document_id else None
    if document is None:
        console.print(f"[red]联盟 {code} 尚无证书 (no certificate yet)[/red]")
        raise typer.Exit(1)
    out.write_bytes(document.content)
    console.print(f"[green]{cert.serial}[/green] → {out}")


@app.command("reissue-certificate")
def reissue_certificate_command(
    code: str,
    actor: str = ACTOR,
    reason: str = typer.Option(..., help="lost, damaged, or name or members changed"),
    out: Path | None = typer.Option(None, "--out", help="also write the PDF here"),
) -> None:
    """证书补发: the certificate printed again with the same numbers and validity."""
    from activities.certificate import ReissueRefused, reissue_certificate
    from domain.settings import get_settings

    try:
        document = reissue_certificate(get_settings(), _code(code), reason, actor)
    except ReissueRefused as refused:
        raise refuse(str(refused)) from refused
    if out is not None:
        out.write_bytes(document.content)
    console.print(f"[green]已补发 (reissued)[/green] {document.filename}")


@app.command("migrate")
def migrate_command() -> None:
    """建库与升级 (schema to the newest revision, then the holiday calendar when none is
    loaded); several started together run one at a time."""
    from sqlalchemy.engine import make_url

    from domain.settings import get_settings
    from registry.migrate import migrate

    url = get_settings().registry_url()
    done = migrate(url)
    shown = make_url(url).render_as_string(hide_password=True)  # the log may be shared
    console.print(f"registry schema is current: {shown}")
    if done.seeded_years:
        console.print(
            f"节假日已载入 (holiday calendar seeded) {done.seeded_years[0]}–{done.seeded_years[-1]}"
        )
    else:
        years = done.loaded_years
        console.print(f"节假日已有 (holiday years loaded) {years[0]}–{years[-1]}")


@app.command("seed")
def seed_command(
    n: int = typer.Argument(..., min=1, help="how many alliances"),
    workflows: bool = typer.Option(
        False, "--workflows", help="also start the workflows of those still running on Temporal"
    ),
) -> None:
    """基准测试数据 (benchmarks only): N made-up alliances in a fresh registry, with members,
    applications and annual reports; `--workflows` starts their workflows too."""
    from datetime import UTC, datetime

    import admin.seed
    from domain.settings import get_settings

    settings = get_settings()
    now = datetime.now(UTC)
    try:
        counts = admin.seed.seed_registry(settings.registry_url(), n, now, console.print)
    except admin.seed.RegistryNotEmpty as refused:
        raise refuse(str(refused)) from refused
    console.print(
        f"registry: {counts.alliances} alliances, {counts.members} members, "
        f"{counts.reports} annual reports in {counts.seconds:.1f} s"
    )
    if workflows:
        started = asyncio.run(admin.seed.start_workflows(settings, n, now, say=console.print))
        console.print(f"workflows started: {started}")


@app.command("replay")
def replay(
    paths: list[Path] = typer.Argument(
        None, help="history files (temporal workflow show -w ID -o json > FILE)"
    ),
    server: bool = typer.Option(
        False, "--server", help="replay the histories of workflows on the server instead"
    ),
    query: str = typer.Option(
        "ExecutionStatus = 'Running'", "--query", help="with --server: which workflows"
    ),
    limit: int = typer.Option(200, "--limit", min=1, help="with --server: at most this many"),
) -> None:
    """重放历史 (replay histories against this code): run before deploying new workflow code;
    any difference (non-determinism) is listed and the command exits 1."""
    from client.connection import connect
    from client.payload_codec import data_converter_for
    from client.replay_check import replay_files, replay_running
    from domain.settings import get_settings

    settings = get_settings()
    if server == bool(paths):
        console.print("[red]请给出历史文件，或用 --server (give history files, or --server)[/red]")
        raise typer.Exit(2)

    async def _replay():
        if server:
            return await replay_running(await connect(settings), query, limit)
        return await replay_files(paths, data_converter_for(settings))

    outcomes = asyncio.run(_replay())
    failed = [o for o in outcomes if o.failure]
    for outcome in failed:
        console.print(f"[red]不一致 (differs)[/red] {outcome.workflow_id} ({outcome.source})")
        console.print(f"  {outcome.failure.splitlines()[0] if outcome.failure else ''}")
    console.print(
        f"已重放 (replayed) {len(outcomes)}，一致 (same) {len(outcomes) - len(failed)}，"
        f"不一致 (differ) {len(failed)}"
    )
    if failed:
        raise typer.Exit(1)


@app.command("payload-key")
def payload_key(
    key_id: str = typer.Argument(..., help="a name for the key, e.g. 2027-01"),
) -> None:
    """生成新的负载加密密钥 (a new AES-256 key for workflow payloads), printed as one
    `id=base64key` line: put it FIRST in ALLIANCE_PAYLOAD_KEYS (or the key file) and keep
    the old keys after it, so what they encrypted is still read."""
    from client.payload_codec import PayloadKeysInvalid, new_key_line

    try:
        line = new_key_line(key_id)
    except PayloadKeysInvalid as invalid:
        console.print(f"[red]{invalid}[/red]")
        raise typer.Exit(1) from None
    print(line)


@app.command("db-upgrade", hidden=True)
def db_upgrade() -> None:
    """The former name of `migrate`."""
    migrate_command()


# ---------------------------------------------------------------- staff actions (article 9)


@app.command("review")
def review(
    code: str,
    outcome: str = typer.Argument(
        ...,
        parser=EnumValue("domain.procedure", "ReviewOutcome"),
        metavar="recommend|return|reject",
    ),
    actor: str = ACTOR,
    district: District = typer.Option(..., help="your district bureau"),
    reasons: str = typer.Option("", help="required to return or reject"),
    request_id: str = REQUEST_ID,
) -> None:
    """审查推荐 (9.2): the district reviewer recommends, returns or rejects."""
    from client.actions import StaffAction
    from domain.procedure import Actor, DistrictReview, Role

    _send(
        code,
        StaffAction.DISTRICT_REVIEW,
        DistrictReview(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.DISTRICT_REVIEWER, district=district),
            outcome=outcome,
            reasons=reasons,
        ),
    )


@app.command("resubmit")
def resubmit(
    code: str,
    path: Path = typer.Argument(..., exists=True, dir_okay=False),
    actor: str = ACTOR,
    note: str = typer.Option("", help="what was corrected"),
    request_id: str = REQUEST_ID,
) -> None:
    """补正后重新提交: the applicant's corrected application, with the material files it names."""
    from client.actions import StaffAction
    from domain.procedure import Actor, Resubmission, Role
    from domain.settings import get_settings
    from registry.uploads import store_uploads

    loaded = read_application_or_exit(path)
    store_uploads(get_settings().registry_url(), loaded.files, actor)
    _send(
        code,
        StaffAction.RESUBMIT,
        Resubmission(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.APPLICANT),
            application=loaded.application,
            note=note,
        ),
    )


def _panel(entries: list[str]) -> list[PanelMember]:
    from domain.procedure import PanelMember

    panel = []
    for entry in entries:
        parts = entry.split(":")
        if len(parts) not in (2, 3):
            raise typer.BadParameter(
                f"'{entry}': use 姓名:单位:分数 or 姓名:分数", param_hint="--expert"
            )
        try:
            score = float(parts[-1])
        except ValueError as err:
            raise typer.BadParameter(
                f"'{entry}': the score must be a number", param_hint="--expert"
            ) from err
        panel.append(
            PanelMember(name=parts[0], affiliation=parts[1] if len(parts) == 3 else "", score=score)
        )
    return panel


@app.command("expert-review")
def expert_review(
    code: str,
    actor: str = ACTOR,
    organisation: str = typer.Option(..., help="the commissioned third party"),
    expert: list[str] = typer.Option(..., help="姓名:单位:分数, once per expert"),
    necessity: str = typer.Option(..., help="opinion on necessity (必要性)"),
    feasibility: str = typer.Option(..., help="opinion on feasibility (可行性)"),
    passed: bool = typer.Option(..., "--pass/--fail"),
    request_id: str = REQUEST_ID,
) -> None:
    """专家评审 (9.3): the third party records panel, scores, opinions and the result."""
    from client.actions import StaffAction
    from domain.procedure import Actor, ExpertReview, Role

    _send(
        code,
        StaffAction.EXPERT_REVIEW,
        ExpertReview(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.EXPERT_ORGANISER),
            organisation=organisation,
            panel=_panel(expert),
            necessity_opinion=necessity,
            feasibility_opinion=feasibility,
            passed=passed,
        ),
    )


@app.command("meeting")
def meeting(
    code: str,
    actor: str = ACTOR,
    number: str = typer.Option(..., help="meeting number, e.g. 2026年第12次"),
    meeting_date: str = typer.Option(..., "--date", help="YYYY-MM-DD"),
    approved: bool = typer.Option(..., "--approve/--reject"),
    reasons: str = typer.Option("", help="required to reject"),
    notice_start: str = typer.Option("", help="first day of the public notice (YYYY-MM-DD)"),
    request_id: str = REQUEST_ID,
) -> None:
    """局长办公会 (9.4): record the meeting's approval or rejection."""
    from client.actions import StaffAction
    from domain.procedure import Actor, MeetingDecision, Role

    _send(
        code,
        StaffAction.MEETING_DECISION,
        MeetingDecision(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.DIRECTOR_CLERK),
            meeting_number=number,
            meeting_date=_date(meeting_date, "--date"),
            approved=approved,
            reasons=reasons,
            notice_start=_date(notice_start, "--notice-start") if notice_start else None,
        ),
    )


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise typer.BadParameter(
            f"'{text}' is not a date like 2026-09-28", param_hint=option
        ) from err


@app.command("withdraw")
def withdraw(
    code: str, actor: str = ACTOR, reason: str = typer.Option(""), request_id: str = REQUEST_ID
) -> None:
    """撤回/放弃: the alliance withdraws its application, or gives up its status in its term."""
    from client.actions import StaffAction
    from domain.procedure import Actor, Role, Withdrawal
    from domain.term import TermStatus
    from registry.database import session_scope
    from registry.tables import Alliance

    code = _code(code)
    with session_scope(_url()) as session:
        alliance = session.get(Alliance, code)
    in_term = alliance is not None and alliance.status in {s.value for s in TermStatus}
    _send(
        code,
        StaffAction.RENOUNCE if in_term else StaffAction.WITHDRAW,
        Withdrawal(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.APPLICANT),
            reason=reason,
        ),
    )


@app.command("membership")
def membership(
    code: str,
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="YAML or JSON file"),
    actor: str = ACTOR,
    note: str = typer.Option("", help="what changed and why"),
    request_id: str = REQUEST_ID,
) -> None:
    """成员和联系人变更: the whole new list of members and contacts, as in an application
    (keys `members` and `contacts`); article 8 must still hold."""
    import yaml

    from client.actions import StaffAction
    from domain.procedure import Actor, Role
    from domain.term import MembershipChange

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise refuse(f"{path}: 应包含 members 和 contacts (expected members and contacts)")
    _send(
        code,
        StaffAction.CHANGE_MEMBERSHIP,
        MembershipChange(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.APPLICANT),
            members=data.get("members", []),
            contacts=data.get("contacts", []),
            note=note,
        ),
    )


@objection_app.command("file")
def file_objection(
    code: str,
    name: str = typer.Option(..., help="real name"),
    contact: str = typer.Option(...),
    text: str = typer.Option(...),
    organisation: str = typer.Option("", help="for an organisation (with its seal)"),
    request_id: str = REQUEST_ID,
) -> None:
    """提出异议: a written, real-name objection during the notice."""
    from client.actions import StaffAction
    from domain.procedure import ObjectionFiling

    _send(
        code,
        StaffAction.FILE_OBJECTION,
        ObjectionFiling(
            request_id=_request_id(request_id),
            name=name,
            organisation=organisation,
            contact=contact,
            text=text,
        ),
    )


@objection_app.command("resolve")
def resolve_objection(
    code: str,
    number: int,
    actor: str = ACTOR,
    upheld: bool = typer.Option(..., "--uphold/--dismiss"),
    reason: str = typer.Option(...),
    request_id: str = REQUEST_ID,
) -> None:
    """处理异议: uphold (the application is rejected) or dismiss."""
    from client.actions import StaffAction
    from domain.procedure import Actor, ObjectionResolution, Role

    _send(
        code,
        StaffAction.RESOLVE_OBJECTION,
        ObjectionResolution(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.BUREAU_STAFF),
            objection_no=number,
            upheld=upheld,
            reason=reason,
        ),
    )


@approval_app.command("record")
def approval_record(
    code: str,
    actor: str = ACTOR,
    number: str = typer.Option(..., help="批复文件文号, e.g. 鞍科批〔2026〕7号"),
    document_date: str = typer.Option(..., "--date", help="成文日期, a working day (YYYY-MM-DD)"),
    request_id: str = REQUEST_ID,
) -> None:
    """下达批复文件 (9.5): record the approval document; the certificate and plaque follow."""
    from client.actions import StaffAction
    from domain.procedure import Actor, ApprovalDocument, Role

    _send(
        code,
        StaffAction.RECORD_APPROVAL,
        ApprovalDocument(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.BUREAU_STAFF),
            document_number=number,
            document_date=_date(document_date, "--date"),
        ),
    )


@plaque_app.command("handed-over")
def plaque_handed_over(
    code: str,
    actor: str = ACTOR,
    handed_over_on: str = typer.Option(..., "--date", help="交付日期 (YYYY-MM-DD)"),
    received_by: str = typer.Option(..., help="接收人姓名"),
    request_id: str = REQUEST_ID,
) -> None:
    """牌匾交付 (9.5): record when the plaque was handed over, and to whom (once)."""
    from client.actions import StaffAction
    from domain.procedure import Actor, Role
    from domain.term import PlaqueHandover

    _send(
        code,
        StaffAction.RECORD_PLAQUE_HANDOVER,
        PlaqueHandover(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.BUREAU_STAFF),
            handed_over_on=_date(handed_over_on, "--date"),
            received_by=received_by,
        ),
    )


# ---------------------------------------------------------------- the term (articles 11, 12)


@report_app.command("submit")
def submit_report(
    code: str,
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="report .yaml or .json"),
    actor: str = ACTOR,
    request_id: str = REQUEST_ID,
) -> None:
    """提交年度报告: summary, next year's plan and resource statistics, from a file."""
    import yaml
    from pydantic import ValidationError

    from client.actions import StaffAction
    from domain.procedure import Actor, Role
    from domain.term import AnnualReportSubmission

    try:
        fields = yaml.safe_load(path.read_text(encoding="utf-8"))
        report = AnnualReportSubmission(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.APPLICANT),
            **fields,
        )
    except (yaml.YAMLError, TypeError) as invalid:
        raise refuse(
            f"{path}: 年度报告文件有误 (the report file is not valid): {invalid}"
        ) from invalid
    except ValidationError as invalid:
        raise refuse(
            f"{path}: 年度报告文件有误 (the report file is not valid):\n{refusal_lines(invalid)}"
        ) from invalid
    _send(code, StaffAction.SUBMIT_ANNUAL_REPORT, report)


@report_app.command("review")
def review_report(
    code: str,
    year: int,
    actor: str = ACTOR,
    accepted: bool = typer.Option(..., "--accept/--return"),
    reasons: str = typer.Option("", help="required to return"),
    request_id: str = REQUEST_ID,
) -> None:
    """审核年度报告: accept, or return with reasons (resubmission due in N days)."""
    from client.actions import StaffAction
    from domain.procedure import Actor, Role
    from domain.term import AnnualReportReview

    _send(
        code,
        StaffAction.REVIEW_ANNUAL_REPORT,
        AnnualReportReview(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.BUREAU_STAFF),
            year=year,
            accepted=accepted,
            reasons=reasons,
        ),
    )


@assessment_app.command("materials")
def assessment_materials(
    code: str,
    kind: str = KIND,
    actor: str = ACTOR,
    summary: str = typer.Option(..., help="the self-assessment or where the materials are"),
    request_id: str = REQUEST_ID,
) -> None:
    """提交考核材料: the alliance hands in its mid-term or final materials."""
    from client.actions import StaffAction
    from domain.procedure import Actor, Role
    from domain.term import AssessmentMaterials

    _send(
        code,
        StaffAction.SUBMIT_ASSESSMENT_MATERIALS,
        AssessmentMaterials(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.APPLICANT),
            kind=kind,
            summary=summary,
        ),
    )


@assessment_app.command("record")
def assessment_record(
    code: str,
    kind: str = KIND,
    actor: str = ACTOR,
    grade: str = typer.Option(
        ..., parser=EnumValue("domain.term", "Grade"), help="excellent, good, pass, poor"
    ),
    opinion: str = typer.Option(..., help="the experts' opinion"),
    request_id: str = REQUEST_ID,
) -> None:
    """记录考核结果: poor mid-term → warning and rectification; final pass renews, fail revokes."""
    from client.actions import StaffAction
    from domain.procedure import Actor, Role
    from domain.term import AssessmentResult

    _send(
        code,
        StaffAction.RECORD_ASSESSMENT,
        AssessmentResult(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.BUREAU_STAFF),
            kind=kind,
            grade=grade,
            opinion=opinion,
        ),
    )


@rectification_app.command("report")
def rectification_report(
    code: str, actor: str = ACTOR, report: str = typer.Option(...), request_id: str = REQUEST_ID
) -> None:
    """提交整改报告."""
    from client.actions import StaffAction
    from domain.procedure import Actor, Role
    from domain.term import RectificationReport

    _send(
        code,
        StaffAction.SUBMIT_RECTIFICATION_REPORT,
        RectificationReport(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.APPLICANT),
            report=report,
        ),
    )


@rectification_app.command("recheck")
def rectification_recheck(
    code: str,
    actor: str = ACTOR,
    passed: bool = typer.Option(..., "--pass/--fail"),
    reason: str = typer.Option(...),
    request_id: str = REQUEST_ID,
) -> None:
    """整改复核: pass restores the alliance; after a fail, revoke or extend once."""
    from client.actions import StaffAction
    from domain.procedure import Actor, Role
    from domain.term import RectificationRecheck

    _send(
        code,
        StaffAction.RECHECK_RECTIFICATION,
        RectificationRecheck(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.BUREAU_STAFF),
            passed=passed,
            reason=reason,
        ),
    )


@rectification_app.command("extend")
def rectification_extend(
    code: str,
    actor: str = ACTOR,
    days: int = typer.Option(...),
    reason: str = typer.Option(...),
    request_id: str = REQUEST_ID,
) -> None:
    """延长整改期限 (once)."""
    from client.actions import StaffAction
    from domain.procedure import Actor, Role
    from domain.term import RectificationExtension

    _send(
        code,
        StaffAction.EXTEND_RECTIFICATION,
        RectificationExtension(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.BUREAU_STAFF),
            days=days,
            reason=reason,
        ),
    )


@app.command("revoke")
def revoke(
    code: str,
    actor: str = ACTOR,
    ground: str = typer.Option(
        ...,
        parser=EnumValue("domain.term", "RevocationGround"),
        help="取消理由: rectification_failed = 整改复核不合格; dissolved = 联盟解散或自愿放弃;"
        " falsified = 申报材料弄虚作假; other = 其他 (a failed final revokes when its result"
        " is recorded)",
    ),
    reason: str = typer.Option(...),
    legal_basis: str = typer.Option("", "--basis", help="依据, required with --ground other"),
    request_id: str = REQUEST_ID,
) -> None:
    """取消资格: revoke the alliance's municipal status on one ground, with a reason."""
    from client.actions import StaffAction
    from domain.procedure import Actor, Role
    from domain.term import Revocation

    _send(
        code,
        StaffAction.REVOKE,
        Revocation(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.BUREAU_STAFF),
            ground=ground,
            legal_basis=legal_basis,
            reason=reason,
        ),
    )


@app.command("extend-term")
def extend_term(
    code: str,
    actor: str = ACTOR,
    until: str = typer.Option(..., help="YYYY-MM-DD"),
    reason: str = typer.Option(...),
    request_id: str = REQUEST_ID,
) -> None:
    """延长有效期: keep the status while the final assessment result is outstanding."""
    from client.actions import StaffAction
    from domain.procedure import Actor, Role
    from domain.term import TermExtension

    _send(
        code,
        StaffAction.EXTEND_TERM,
        TermExtension(
            request_id=_request_id(request_id),
            actor=Actor(name=actor, role=Role.BUREAU_STAFF),
            until=_date(until, "--until"),
            reason=reason,
        ),
    )


# ---------------------------------------------------------------- web console accounts


@user_app.command("create")
def create_user_command(
    username: str,
    role: str = typer.Option(
        ...,
        parser=EnumValue("domain.procedure", "Role"),
        help="administrator, bureau_staff, director_clerk, expert_organiser, district_reviewer",
    ),
    display_name: str = typer.Option("", "--name", help="shown in the audit log"),
    district: District | None = typer.Option(None, help="for a district reviewer"),
    email: str = typer.Option("", help="where system alerts reach an administrator"),
) -> None:
    """创建网页控制台账号: there is no default password; the first administrator starts here.
    The password is asked twice without showing it; from a script, give it as one line on
    standard input."""
    from registry.staff_accounts import AccountInvalid, create_user

    password = _new_password()
    try:
        user = create_user(_url(), username, display_name, password, role, district, email=email)
    except AccountInvalid as invalid:
        raise refuse(str(invalid)) from invalid
    console.print(f"[green]已创建[/green] {user.username} ({user.role})")


def _new_password() -> str:
    """Asked twice, hidden, at a terminal; otherwise the first line of standard input, so
    `printf '%s\\n' "$PW" | alliance-admin user create …` works and no password is ever an
    argument (other users see arguments in `ps`)."""
    if sys.stdin.isatty():
        return typer.prompt("密码 (password)", hide_input=True, confirmation_prompt=True)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise refuse("标准输入中没有密码 (no password on standard input: one line expected)")
    return password


# ---------------------------------------------------------------- calendar


@calendar_app.command("years")
def calendar_years() -> None:
    """Which holiday years are loaded."""
    from registry.calendar_store import loaded_years

    years = loaded_years(_url())
    console.print("已载入 (loaded): " + (", ".join(map(str, years)) if years else "none"))


@calendar_app.command("seed")
def calendar_seed() -> None:
    """Load every year the chinesecalendar package knows."""
    from registry.calendar_store import seed_from_package

    years = seed_from_package(_url())
    console.print(f"已载入 (loaded) {years[0]}–{years[-1]}")


@calendar_app.command("load")
def calendar_load(path: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """载入一年的国务院节假日安排 from a YAML/JSON file, then wake waiting procedures."""
    from sqlmodel import select

    from domain.procedure import FINAL_STAGES
    from registry.calendar_store import CalendarFileInvalid, load_year_file
    from registry.database import session_scope
    from registry.tables import Alliance

    url = _url()
    try:
        year = load_year_file(url, path)
    except CalendarFileInvalid as invalid:
        raise refuse(str(invalid)) from invalid
    console.print(f"[green]已载入 {year} 年节假日安排[/green]")
    with session_scope(url) as session:
        open_codes = session.exec(
            select(Alliance.code).where(
                Alliance.origin == "application",
                Alliance.status.not_in([s.value for s in FINAL_STAGES]),
            )
        ).all()
    if open_codes:
        woken = asyncio.run(_wake(list(open_codes)))
        console.print(f"已通知 {woken} 个办理中的流程 (procedures told to re-check)")


async def _wake(codes: list[str]) -> int:
    from client.alliances import announce_calendar_loaded
    from client.connection import connect
    from domain.settings import get_settings

    return await announce_calendar_loaded(await connect(get_settings()), codes)


def main() -> None:
    """The console script: run the commands, then exit without teardown (see run_and_exit)."""
    run_and_exit(app)


if __name__ == "__main__":
    main()
