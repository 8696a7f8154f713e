"""Console at scale: the staff pages with N alliances in the registry, their workflows running.

Everything is real and local, each part in its own process: the Temporal CLI dev server
(local_stack's command, SQLite file), the system's worker (`alliance worker`), an SMTP
server (`bench.smtp_sink`), and the web console (`alliance web`, uvicorn) on a SQLite
registry. The registry is seeded with `admin.seed` (N alliances, ~5 N members, ~2.7 N
annual reports) and the workflows of those still running are started from the same
state. Then one client, signed in as bureau staff, requests each page one after the
other (`--requests` times, after two warm-up requests) and the benchmark prints p50/p95,
the page size and the CPU a request costs the web process and the dev server per page,
and the time to export every alliance to Excel (`--pages` picks what to measure).

    .venv/bin/python -m bench.console_load              # N = 10,000
    .venv/bin/python -m bench.console_load --dir /tmp/console-10k --keep   # seed once …
    .venv/bin/python -m bench.console_load --dir /tmp/console-10k --keep   # … measure again
    .venv/bin/python -m bench.console_load --dir /tmp/console-10k --pages inbox  # one page
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from admin.seed import plan, running, seed_registry, start_workflows
from bench.deadline_storm import (
    SmtpSink,
    cpu_seconds,
    free_port,
    start_dev_server,
    stop_process,
)
from domain.procedure import Role
from domain.settings import Settings
from local_stack import prepare_registry, wait_for_temporal
from registry.staff_accounts import create_user

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench-console-1"
# In the work dir, N and the seeding instant: once the registry is seeded, and once every
# workflow has run its first task (a run interrupted between the two starts the rest).
REGISTRY_SEEDED, SEEDED = "registry-seeded.txt", "seeded.txt"
PAGES = ["dashboard", "inbox", "list", "alliance", "xlsx"]


@dataclass
class PageFigures:
    name: str
    seconds: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)
    # CPU ms a request of the web process and of the dev server: less bent by other work
    # on the machine than the wall times are
    cpu_ms: dict[str, float] = field(default_factory=dict)

    def pct(self, q: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def settings_for(folder: Path, ports: dict[str, int]) -> Settings:
    return Settings(
        data_dir=folder,
        database_url="",
        temporal_address=f"127.0.0.1:{ports['temporal']}",
        temporal_ui_port=ports["ui"],
        smtp_host="127.0.0.1",
        smtp_port=ports["smtp"],
        smtp_tls=False,
        smtp_starttls=False,
        web_host="127.0.0.1",
        web_port=ports["web"],
    )


def environment(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "ALLIANCE_DATA_DIR": str(settings.data_dir),
        "ALLIANCE_TEMPORAL_ADDRESS": settings.temporal_address,
        "ALLIANCE_SMTP_HOST": settings.smtp_host,
        "ALLIANCE_SMTP_PORT": str(settings.smtp_port),
        "ALLIANCE_SMTP_TLS": "false",
        "ALLIANCE_SMTP_STARTTLS": "false",
        "ALLIANCE_WEB_HOST": settings.web_host,
        "ALLIANCE_WEB_PORT": str(settings.web_port),
        "ALLIANCE_LOG_LEVEL": "WARNING",
    }


def start_part(command: str, settings: Settings, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(BIN / "alliance"), command],
            cwd=ROOT,
            env=environment(settings),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def wait_for_web(base: str, web: subprocess.Popen) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(240):
            if web.poll() is not None:
                raise SystemExit("the web console exited at start; see web.log")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.25)
    raise SystemExit("the web console did not answer within 60 s")


async def wait_for_first_tasks(settings: Settings, expected: int, say) -> None:
    """Until every started workflow has run its first task (it sets AllianceStatus)."""
    from client.connection import connect

    client = await connect(settings)
    query = "ExecutionStatus = 'Running' AND AllianceStatus IS NOT NULL"
    began = time.monotonic()
    while True:
        done = (await client.count_workflows(query)).count
        if done >= expected or time.monotonic() - began > 1800:
            say(f"  {done}/{expected} workflows have run their first task")
            return
        say(f"  {done}/{expected} workflows have run their first task …")
        await asyncio.sleep(10)


async def wait_for_registry_limits(settings: Settings, expected: int, say) -> None:
    """Until every running workflow has written its time limit to the registry (the inbox
    reads it there), as they do with their first effects."""
    from sqlmodel import col, func, select

    from registry.database import session_scope
    from registry.tables import Alliance

    began = time.monotonic()
    while True:
        with session_scope(settings.registry_url()) as session:
            written = session.exec(
                select(func.count()).where(col(Alliance.deadline_as_of).is_not(None))
            ).one()
        if written >= expected or time.monotonic() - began > 600:
            say(f"  {written}/{expected} workflows have written their limit to the registry")
            return
        say(f"  {written}/{expected} workflows have written their limit to the registry …")
        await asyncio.sleep(10)


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    page = await client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if not csrf:
        raise SystemExit("the sign-in page has no CSRF field")
    answer = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf.group(1), "next": "/"},
    )
    if answer.status_code != 303:
        raise SystemExit(f"could not sign in: {answer.status_code} {answer.text[:300]}")


async def measure(
    client: httpx.AsyncClient,
    figures: PageFigures,
    paths: list[str],
    processes: dict[str, subprocess.Popen],
) -> None:
    for path in paths[:2]:  # warm-up: templates compiled, connections open
        await client.get(path)
    cpu = {name: cpu_seconds(process.pid) for name, process in processes.items()}
    for path in paths:
        began = time.perf_counter()
        answer = await client.get(path)
        figures.seconds.append(time.perf_counter() - began)
        figures.sizes.append(len(answer.content))
        figures.statuses.add(answer.status_code)
    for name, process in processes.items():
        figures.cpu_ms[name] = (cpu_seconds(process.pid) - cpu[name]) / len(paths) * 1000


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min, {os.cpu_count()} CPUs)"


async def run(args) -> None:
    def say(text: str) -> None:
        print(text, flush=True)

    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="bench-console-"))
    folder.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in ("temporal", "ui", "smtp", "web")}
    settings = settings_for(folder, ports)
    marker, halfway = folder / SEEDED, folder / REGISTRY_SEEDED
    say(f"work dir {folder}")
    server = worker = web = None
    mail = SmtpSink(settings.smtp_port, folder)
    pages: list[PageFigures] = []
    export: list[tuple[float, int]] = []
    loads = [load()]
    n = args.n
    try:
        mail.start()
        server = start_dev_server(settings, folder, [])
        await wait_for_temporal(settings, server)
        worker = start_part("worker", settings, folder / "worker.log")
        if marker.exists():
            n_text, instant = marker.read_text().split()
            n, seeded_at = int(n_text), datetime.fromisoformat(instant)
            say(f"reusing the {n} alliances seeded at {seeded_at.isoformat()}")
            prepare_registry(settings)  # a registry seeded by older code: the newest schema
        else:
            if halfway.exists():  # the registry is seeded; its workflows were being started
                n_text, instant = halfway.read_text().split()
                n, seeded_at = int(n_text), datetime.fromisoformat(instant)
                say(f"resuming: the workflows of the {n} alliances seeded at {instant}")
            else:
                seeded_at = datetime.now(UTC)
                prepare_registry(settings)
                create_user(settings.registry_url(), "bench", "基准员", PASSWORD, Role.BUREAU_STAFF)
                say(f"seeding {n} alliances")
                counts = seed_registry(settings.registry_url(), n, seeded_at, say)
                say(
                    f"registry: {counts.members} members, {counts.reports} reports, "
                    f"{counts.seconds:.1f} s"
                )
                halfway.write_text(f"{n} {seeded_at.isoformat()}\n")
            if args.workflows:
                began = time.monotonic()
                started = await start_workflows(settings, n, seeded_at, say=say)
                say(f"{started} workflows running, started in {time.monotonic() - began:.1f} s")
                await wait_for_first_tasks(settings, started, say)
                await wait_for_registry_limits(settings, started, say)
            marker.write_text(f"{n} {seeded_at.isoformat()}\n")
        web = start_part("web", settings, folder / "web.log")
        base = f"http://{settings.web_host}:{settings.web_port}"
        await wait_for_web(base, web)
        seeds = list(plan(n, seeded_at))
        alive = [s.code for s in running(seeds)]
        step = max(1, len(alive) // args.requests)
        codes = alive[::step][: args.requests]
        loads.append(load())
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            await sign_in(client, "bench")
            for page, name, paths in (
                ("dashboard", "dashboard /", ["/"] * args.requests),
                ("inbox", "inbox /inbox", ["/inbox"] * args.requests),
                ("list", "list /alliances (50)", ["/alliances"] * args.requests),
                ("alliance", "alliance /alliances/CODE", [f"/alliances/{c}" for c in codes]),
            ):
                if page not in args.pages:
                    continue
                figures = PageFigures(name)
                say(f"measuring {name}")
                await measure(client, figures, paths, {"web": web, "temporal": server})
                pages.append(figures)
            if "xlsx" in args.pages:
                say("measuring the Excel export of every alliance")
                for _ in range(args.exports):
                    began = time.perf_counter()
                    answer = await client.get("/alliances.xlsx")
                    export.append((time.perf_counter() - began, len(answer.content)))
        loads.append(load())
    finally:
        for part in (web, worker, server):
            stop_process(part)
        mail.stop()
        report(args, n, pages, export, loads)
        if args.keep or args.dir:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def report(args, n: int, pages: list[PageFigures], export, loads: list[str]) -> None:
    command = f"cd {shlex.quote(str(ROOT))} && .venv/bin/python -m bench.console_load " + (
        shlex.join(sys.argv[1:])
    )
    print("\n=== console at scale ===")
    print(f"command : {command}")
    print(
        f"N       : {n} alliances; workflows {'running' if args.workflows else 'not started'};"
        " SQLite registry; one web process (alliance web)"
    )
    print(
        f"load    : at start {loads[0]}; before measuring {loads[1] if len(loads) > 1 else '-'};"
        f" after {loads[-1]}"
    )
    header = (
        f"{'page':<28} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'size KB':>8}"
        f" {'CPU ms a request: web':>22} {'Temporal':>8}  HTTP"
    )
    print(header)
    print("-" * len(header))
    for page in pages:
        size = statistics.median(page.sizes) / 1024 if page.sizes else 0
        print(
            f"{page.name:<28} {len(page.seconds):>4} {page.pct(0.5):>8.0f} {page.pct(0.95):>8.0f}"
            f" {max(page.seconds) * 1000:>8.0f} {size:>8.1f} {page.cpu_ms['web']:>22.0f}"
            f" {page.cpu_ms['temporal']:>8.0f}  {sorted(page.statuses)}"
        )
    if export:
        times = ", ".join(f"{s:.2f}" for s, _ in export)
        print(
            f"xlsx /alliances.xlsx (all {n}): {min(s for s, _ in export):.2f} s best of "
            f"{len(export)} ({times}); {export[0][1] / 1024:.0f} KB"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the staff console with N alliances")
    parser.add_argument("--n", type=int, default=10_000, help="alliances to seed")
    parser.add_argument("--requests", type=int, default=50, help="measured requests per page")
    parser.add_argument("--exports", type=int, default=3, help="Excel exports measured")
    parser.add_argument(
        "--no-workflows",
        dest="workflows",
        action="store_false",
        help="registry rows only, no workflows on Temporal",
    )
    parser.add_argument(
        "--dir", default="", help="work dir; seeded once, measured again on later runs"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp work dir")
    parser.add_argument(
        "--pages",
        nargs="+",
        choices=PAGES,
        default=PAGES,
        help="what to measure (default: every page and the export)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
