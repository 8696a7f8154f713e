"""How long a person waits for the command line: wall time from start to exit.

.venv/bin/python -m bench.cli_latency            # --help, read and action commands
.venv/bin/python -m bench.cli_latency --no-action   # without a dev server and worker

Each command runs `--runs` times (default 5) as a new process, the way an operator starts
it, and the median, fastest and slowest are printed with the exact command, the median
CPU time of the process (user + system: less swayed than wall time by other work on the
machine) and the load average when the command's runs ended. The read
commands run on a SQLite registry brought to the current schema by `alliance-admin migrate`
in a temporary data folder. For the action, a Temporal dev server and a worker start in
that folder, `starter.py submit` opens the sample application's procedure, and the district
review is sent every time with the same request id: the first run records it, the others
are answered with the recorded result, as a repeated command is; each is one full update
round trip through the worker. `show` reads the registry and queries the running workflow.
Requirements (issue 12): `--help` ≤ 0.3 s, a read ≤ 0.8 s, an action ≤ 1.2 s, quiet machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ADMIN = str(BIN / "alliance-admin")
ALLIANCE = str(BIN / "alliance")
PYTHON = sys.executable
SAMPLE = ROOT / "samples" / "application-sample.yaml"
REQUIRED = {"help": 0.3, "read": 0.8, "action": 1.2}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def timed(command: list[str], env: dict[str, str], runs: int) -> list[tuple[float, float]]:
    """Wall and CPU seconds of each run; a failing run stops the benchmark with its output."""
    seconds = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        seconds.append((wall, cpu))
        if done.returncode != 0:
            raise SystemExit(
                f"{shlex.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
    return seconds


def report(kind: str, command: list[str], seconds: list[tuple[float, float]]) -> None:
    walls = [wall for wall, _ in seconds]
    median = statistics.median(walls)
    cpu = statistics.median(cpu for _, cpu in seconds)
    verdict = "ok" if median <= REQUIRED[kind] else "OVER"
    print(
        f"{kind:6} median {median:5.2f} s  (min {min(walls):.2f}, max {max(walls):.2f};"
        f" required ≤ {REQUIRED[kind]} s: {verdict}; cpu {cpu:.2f} s;"
        f" load {os.getloadavg()[0]:.2f})  {shlex.join(_shown(command))}",
        flush=True,
    )


def _shown(command: list[str]) -> list[str]:
    return [
        Path(part).relative_to(ROOT).as_posix() if part.startswith(str(ROOT)) else part
        for part in command
    ]


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise SystemExit(f"{what} did not happen within {seconds:.0f} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def action_commands(env: dict[str, str], folder: Path, runs: int) -> None:
    """A dev server and a worker in `folder`, the sample submitted, then the timed commands."""
    from domain.settings import Settings
    from local_stack import dev_server_command

    settings = Settings(
        data_dir=folder, temporal_address=env["ALLIANCE_TEMPORAL_ADDRESS"], temporal_ui_port=0
    )
    command = dev_server_command(settings)
    command[command.index("--log-level") + 1] = "error"
    command.append("--headless")
    logs = folder / "logs"
    logs.mkdir()
    server = subprocess.Popen(
        command,
        stdout=(logs / "temporal.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = None
    try:
        worker = subprocess.Popen(
            [ALLIANCE, "worker"],
            env=env,
            cwd=ROOT,
            stdout=(logs / "worker.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        submit = [PYTHON, str(ROOT / "starter.py"), "submit", str(SAMPLE)]
        deadline = time.monotonic() + 90
        while True:  # the dev server takes a few seconds to listen
            done = subprocess.run(submit, env=env, cwd=ROOT, capture_output=True, text=True)
            if done.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(1)
        if done.returncode != 0:
            raise SystemExit(f"submit failed:\n{done.stdout}\n{done.stderr}")
        code = done.stdout.split("(alliance code):")[1].split()[0]
        show = [ADMIN, "show", code]
        wait_until(
            lambda: (
                "district_review"
                in subprocess.run(show, env=env, cwd=ROOT, capture_output=True, text=True).stdout
            ),
            60,
            f"{code} in district review",
        )
        review = [
            ADMIN,
            "review",
            code,
            "recommend",
            "--as",
            "测评",
            "--district",
            "high_tech_zone",
            "--reasons",
            "材料齐全",
            "--request-id",
            "bench-cli-latency",
        ]
        report("action", review, timed(review, env, runs))
        report("read", show, timed(show, env, runs))
    finally:
        if worker is not None:
            stop(worker)
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-action", action="store_true", help="skip the dev server part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cli-latency-") as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "ALLIANCE_DATA_DIR": str(folder),
            "ALLIANCE_DATABASE_URL": "",
            "ALLIANCE_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "ALLIANCE_SMTP_PORT": str(free_port()),  # nothing listens: mail is not measured
            "COLUMNS": "120",
        }
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} cores,"
            f" load {os.getloadavg()[0]:.2f}; {args.runs} runs each",
            flush=True,
        )
        for command in (
            [ADMIN, "--help"],
            [PYTHON, str(ROOT / "starter.py"), "--help"],
            [ALLIANCE, "--help"],
        ):
            report("help", command, timed(command, env, args.runs))
        timed([ADMIN, "migrate"], env, 1)
        for command in ([ADMIN, "list"], [ADMIN, "outbox"]):
            report("read", command, timed(command, env, args.runs))
        if not args.no_action:
            action_commands(env, folder, args.runs)


if __name__ == "__main__":
    main()
