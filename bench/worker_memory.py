"""Worker memory per cached term workflow: RSS growth of the real worker process / N.

Everything is real and local: the Temporal CLI dev server (local_stack's command, on free
loopback ports, SQLite file in a temp dir), `worker.py` in its own process with the shipped
defaults except its workflow cache, which is set to hold all N (ALLIANCE_WORKER_MAX_CACHED_
WORKFLOWS = N + 100), and its /metrics port on (to read the SDK's sticky cache size).

Steps: the worker starts and takes the calendar watch; a warm-up of 20 term workflows
(first imports, first sandbox, pools) is cached; the worker's RSS is read; N term workflows
(`bench.deadline_storm.storm_state`: two years into a term, next milestone two hours away,
so each sleeps on its timer after its first workflow task) are started and taken into the
cache; once the SDK reports them all cached and a few seconds have passed, RSS is read again.
Printed: (RSS after - RSS before) / N, the worker's CPU per first workflow task, the load.

`--workflow skeleton` measures the floor under that figure: the same steps with the storm's
skeleton workflow (`bench.skeleton`: one timer, nothing else) in a worker process that runs
only it with the same options (`bench.skeleton_worker`), so what the SDK and Temporal Core
keep for any cached workflow is told apart from the term workflow's own state.

    .venv/bin/python -m bench.worker_memory --n 10000
    .venv/bin/python -m bench.worker_memory --n 10000 --workflow skeleton
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.deadline_storm import (
    cpu_seconds,
    free_port,
    start_all,
    start_dev_server,
    stop_process,
    storm_state,
)
from bench.skeleton import SkeletonWorkflow
from domain.settings import Settings
from local_stack import prepare_registry, wait_for_temporal
from workflows.term import TermInput, TermWorkflow

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 20
CACHE_GAUGE = "temporal_sticky_cache_size"


def rss_bytes(pid: int) -> tuple[int, int]:
    """Resident set size and its peak (VmRSS, VmHWM) of a process, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return found["VmRSS"], found["VmHWM"]


def cached_runs(port: int) -> int:
    """The worker's sticky cache size from its /metrics (-1 before the SDK reports it)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            text = answer.read().decode()
    except OSError:
        return -1
    values = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(CACHE_GAUGE) and not line.startswith("#")
    ]
    return int(sum(values)) if values else -1


async def wait_cached(port: int, at_least: int, timeout: float, say) -> int:
    deadline = time.monotonic() + timeout
    last_said = time.monotonic()
    while True:
        cached = cached_runs(port)
        if cached >= at_least:
            return cached
        if time.monotonic() > deadline:
            raise SystemExit(f"only {cached} workflows cached after {timeout:.0f} s")
        if time.monotonic() - last_said > 15:
            last_said = time.monotonic()
            say(f"  cached {cached}/{at_least}")
        await asyncio.sleep(1)


def start_worker(
    settings: Settings, cache: int, health_port: int, log: Path, program: list[str]
) -> subprocess.Popen:
    env = {
        **os.environ,
        "ALLIANCE_DATA_DIR": str(settings.data_dir),
        "ALLIANCE_TEMPORAL_ADDRESS": settings.temporal_address,
        "ALLIANCE_TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "ALLIANCE_TASK_QUEUE": settings.task_queue,
        "ALLIANCE_SMTP_PORT": str(settings.smtp_port),
        "ALLIANCE_WORKER_MAX_CACHED_WORKFLOWS": str(cache),
        "ALLIANCE_WORKER_HEALTH_PORT": str(health_port),
        "ALLIANCE_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, *program],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def run(args) -> None:
    say = lambda text: print(text, flush=True)  # noqa: E731
    folder = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    settings = Settings(
        data_dir=folder,
        database_url="",
        temporal_address=f"127.0.0.1:{free_port()}",
        temporal_ui_port=free_port(),
        temporal_namespace="default",
        task_queue="alliance",
        smtp_port=free_port(),
    )
    load_before = os.getloadavg()
    health_port = free_port()
    cache = args.n + WARM_UP + 100
    server = worker = None
    figures: dict[str, float] = {}
    try:
        prepare_registry(settings)
        server = start_dev_server(settings, folder, [])
        client = await wait_for_temporal(settings, server)
        skeleton = args.workflow == "skeleton"
        program = ["-m", "bench.skeleton_worker"] if skeleton else ["worker.py"]
        worker = start_worker(settings, cache, health_port, folder / "worker.log", program)
        now = datetime.now(UTC)
        instant = (now + timedelta(hours=2)).replace(microsecond=0)

        def starter(i: int):
            if skeleton:
                return lambda: client.start_workflow(
                    SkeletonWorkflow.run,
                    instant.isoformat(),
                    id=f"skeleton-{i:05d}",
                    task_queue=settings.task_queue,
                )
            state = storm_state(i, now, instant, "timer")

            async def start():
                await client.start_workflow(
                    TermWorkflow.run,
                    TermInput(state=state, announced=True),
                    id=f"alliance-{state.alliance_code}",
                    task_queue=settings.task_queue,
                )

            return start

        say(f"work dir {folder}; worker pid {worker.pid}; warm-up {WARM_UP} workflows")
        # The system's worker first takes the calendar watch; the skeleton's has no workflow.
        baseline_cached = 0 if skeleton else await wait_cached(health_port, 1, 120, say)
        await start_all([starter(i) for i in range(WARM_UP)], args.concurrency)
        warm = await wait_cached(health_port, baseline_cached + WARM_UP, 300, say)
        await asyncio.sleep(args.settle)
        rss_before, _ = rss_bytes(worker.pid)
        cpu_before = cpu_seconds(worker.pid)
        say(f"cached {warm}; RSS {rss_before / 2**20:.1f} MiB; starting {args.n} more")
        began = time.monotonic()
        await start_all([starter(i) for i in range(WARM_UP, WARM_UP + args.n)], args.concurrency)
        started = time.monotonic() - began
        cached = await wait_cached(health_port, warm + args.n, args.timeout, say)
        took = time.monotonic() - began
        cpu_used = cpu_seconds(worker.pid) - cpu_before
        await asyncio.sleep(args.settle)
        rss_after, peak = rss_bytes(worker.pid)
        figures = {
            "cached": cached,
            "rss_before": rss_before,
            "rss_after": rss_after,
            "peak": peak,
            "started": started,
            "took": took,
            "cpu": cpu_used,
        }
    finally:
        stop_process(worker)
        stop_process(server)
        print_results(args, figures, cache, load_before, os.getloadavg())
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def print_results(args, figures: dict, cache: int, load_before, load_after) -> None:
    command = f"cd {shlex.quote(str(ROOT))} && .venv/bin/python -m bench.worker_memory " + (
        shlex.join(sys.argv[1:])
    )
    print("\n=== worker memory per cached workflow ===")
    print(f"command : {command}")
    print(
        f"worker  : {'bench.skeleton_worker' if args.workflow == 'skeleton' else 'worker.py'},"
        f" shipped defaults, ALLIANCE_WORKER_MAX_CACHED_WORKFLOWS={cache}"
        f"; load average before {load_before[0]:.2f}, after {load_after[0]:.2f}"
    )
    if not figures:
        print("no figures (the run stopped early)")
        return
    n = args.n
    growth = figures["rss_after"] - figures["rss_before"]
    print(
        f"cached  : {figures['cached']} workflow runs ({n} {args.workflow} workflows measured,"
        f" after a warm-up of {WARM_UP}"
        f"{'' if args.workflow == 'skeleton' else ' and the calendar watch'})"
    )
    print(
        f"RSS     : {figures['rss_before'] / 2**20:.1f} MiB -> {figures['rss_after'] / 2**20:.1f}"
        f" MiB (peak {figures['peak'] / 2**20:.1f} MiB)"
    )
    print(f"per cached workflow: {growth / n / 1024:.1f} KiB (RSS growth / N)")
    print(
        f"starts  : {n} in {figures['started']:.1f} s; all cached {figures['took']:.1f} s after"
        f" the first start; worker CPU {figures['cpu']:.1f} s"
        f" = {figures['cpu'] / n * 1000:.1f} ms per workflow (start + first workflow task)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="worker RSS per cached term workflow")
    parser.add_argument("--n", type=int, default=10000, help="term workflows to cache")
    parser.add_argument(
        "--workflow",
        choices=("term", "skeleton"),
        default="term",
        help="term: the system's worker.py and TermWorkflow; skeleton: the floor (one timer)",
    )
    parser.add_argument("--concurrency", type=int, default=50, help="starts in flight")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds allowed to start and cache N"
    )
    parser.add_argument("--settle", type=float, default=5, help="seconds before each RSS reading")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args(argv)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
