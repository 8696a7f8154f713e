"""Operators: submit an application file, or import article-13 provincial alliances.

python starter.py submit samples/application-sample.yaml
python starter.py import-provincial samples/provincial-alliances.csv
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from admin.terminal import (
    EnumValue,
    OperatorCommands,
    console,
    load_application_or_exit,
    read_application_or_exit,
    refuse,
    run_and_exit,
)

if TYPE_CHECKING:
    from temporalio.client import Client

    from admin.provincial_import import ImportedTerm
    from domain.application import Application
    from domain.material_files import MaterialUpload
    from domain.settings import Settings

# `--help` imports only typer and rich; each command imports what it runs. The folder of
# this file is domain.settings.PROJECT_ROOT, named here without importing the settings.
PROJECT_ROOT = Path(__file__).resolve().parent
SAMPLE = PROJECT_ROOT / "samples" / "application-sample.yaml"
app = typer.Typer(
    help="鞍山市产业技术创新战略联盟 — operator start-up commands",
    no_args_is_help=True,
    cls=OperatorCommands,
)


async def submit(
    application: Application,
    settings: Settings,
    client: Client | None = None,
    submitted_by: str = "",
    files: Sequence[MaterialUpload] = (),
) -> str:
    """Open the recognition procedure of a checked application; returns the workflow id.

    `files`: the material files the application file named, stored in the registry before
    the procedure opens, so the alliance's page offers them like the console's uploads."""
    from client.alliances import open_procedure
    from client.connection import connect
    from registry.uploads import store_uploads

    client = client or await connect(settings)
    store_uploads(settings.registry_url(), files, submitted_by or application.lead_unit)
    handle = await open_procedure(client, settings, application, submitted_by)
    return handle.id


@app.command("submit")
def submit_command(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="application .yaml or .json"
    ),
    submitted_by: str = typer.Option("", "--as", help="who submits; default: the lead unit"),
) -> None:
    """提交申请 (9.1): check the application and start its procedure."""
    from client.alliances import ProcedureActionFailed, alliance_code_of
    from domain.settings import get_settings

    settings = get_settings()
    loaded = read_application_or_exit(path)
    try:
        workflow_id = asyncio.run(
            submit(loaded.application, settings, submitted_by=submitted_by, files=loaded.files)
        )
    except ProcedureActionFailed as failed:
        raise refuse(str(failed)) from failed
    code = alliance_code_of(workflow_id)
    console.print(
        f"[green]已受理[/green] 联盟编号 (alliance code): [bold]{code}[/bold]"
        f"  workflow id: {workflow_id}"
    )


async def start_terms(
    settings: Settings, terms: list[ImportedTerm], client: Client | None = None
) -> list[ImportedTerm]:
    """Start each imported term not yet running; returns those started now."""
    from client.alliances import ProcedureActionFailed, start_term
    from client.connection import connect

    client = client or await connect(settings)
    started = []
    for term in terms:
        try:
            await start_term(client, settings, term.state)
            started.append(term)
        except ProcedureActionFailed:
            continue  # started by an earlier import
    return started


@app.command("import-provincial")
def import_provincial_command(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="CSV of provincial alliances"
    ),
) -> None:
    """第十三条: register provincial alliances recognised by Liaoning before 2016-08-23."""
    from rich.progress import Progress

    from admin.provincial_import import ImportFileInvalid, import_provincial_csv
    from domain.settings import get_settings

    settings = get_settings()
    with Progress(console=console) as progress:
        task = progress.add_task("导入 (importing)", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            report = import_provincial_csv(
                settings.registry_url(), path, on_progress=advance, rules=settings.term_rules
            )
        except ImportFileInvalid as invalid:
            progress.stop()
            raise refuse(str(invalid)) from invalid
    try:
        started = asyncio.run(start_terms(settings, report.terms)) if report.terms else []
    except RuntimeError as unreachable:  # the client could not connect
        console.print(
            f"[red]已写入登记库，但无法连接流程服务 {settings.temporal_address}，认定期流程未启动；"
            f"服务恢复后重新运行本命令即可 (registry written; Temporal unreachable, terms not"
            f" started: run this command again once it is up)[/red] {unreachable}"
        )
        raise typer.Exit(3) from unreachable
    console.print(
        f"导入 {report.imported} 个，已存在跳过 {report.skipped} 个，"
        f"拒绝 {len(report.rejected)} 行，启动认定期流程 {len(started)} 个"
        f" (imported {report.imported}, already present {report.skipped},"
        f" rejected {len(report.rejected)}, terms started {len(started)})"
    )
    for term in started:
        console.print(f"  第 {term.line} 行 (line {term.line}): {term.summary}", markup=False)
    for line, reason in report.rejected:
        console.print(f"  [red]第 {line} 行 (line {line}):[/red] {reason}")
    if report.rejected:
        raise typer.Exit(2)


@app.command("demo")
def demo_command(
    path: Path = typer.Argument(SAMPLE, exists=True, dir_okay=False, help="application file"),
    folder: Path = typer.Option(
        PROJECT_ROOT / "data" / "demo", help="where the demo keeps its registry, mail and PDF"
    ),
    holidays: list[Path] = typer.Option(
        [], exists=True, dir_okay=False, help="holiday file of a year the package lacks"
    ),
) -> None:
    """演示: take an application to a certificate in seconds on simulated time."""
    from admin.demo import main as run_demo
    from admin.simulation import SimulationStopped
    from domain.settings import get_settings
    from registry.calendar_store import CalendarFileInvalid

    application = load_application_or_exit(path)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    settings = get_settings().model_copy(
        update={"data_dir": folder, "database_url": "", "smtp_port": free_port()}
    )
    try:
        run_demo(application, settings, holidays)
    except (SimulationStopped, CalendarFileInvalid) as stopped:
        raise refuse(str(stopped)) from stopped


@app.command("simulate")
def simulate_command(
    scenario: list[str] = typer.Option(
        [],
        parser=EnumValue("admin.rehearsal", "Scenario"),
        help="scenarios to rehearse side by side (default: all): on-time, late-report,"
        " rectified, revoked, final-failed, final-after-recheck, renewed, second-alliance",
    ),
    path: Path = typer.Option(SAMPLE, exists=True, dir_okay=False, help="application file"),
    folder: Path = typer.Option(
        PROJECT_ROOT / "data" / "rehearsal", help="where the rehearsal keeps registry and mail"
    ),
) -> None:
    """演练: recognition and five simulated years per scenario, as a dated timeline."""
    # The simulation's activity process (admin.simulation.ActivityProcess) starts first,
    # so that it imports the system while this process does.
    paths = [str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    activity_process = subprocess.Popen(
        [sys.executable, "-m", "admin.simulation"],
        stdin=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
    )
    try:
        from admin.rehearsal import SCENARIO_ZH, Scenario, rehearse
        from admin.simulation import ActivityProcess
        from domain.settings import get_settings

        activities = ActivityProcess(activity_process)
        chosen_scenarios = scenario or list(Scenario)
        application = load_application_or_exit(path)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        settings = get_settings().model_copy(
            update={"data_dir": folder, "database_url": "", "smtp_port": free_port()}
        )
        for number, chosen in enumerate(chosen_scenarios, start=1):
            console.print(f"演练{number}: {chosen.value} — {SCENARIO_ZH[chosen]}")
        rehearsal = rehearse(application, chosen_scenarios, settings, activities=activities)
        asyncio.run(rehearsal)
    finally:
        with suppress(BrokenPipeError):  # it ends, if the rehearsal did not end it
            activity_process.stdin.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    """The console script: run the commands, then exit without teardown (see run_and_exit)."""
    run_and_exit(app)


if __name__ == "__main__":
    main()
