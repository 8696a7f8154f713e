"""Rehearsal time: wall time of the whole `starter.py simulate` process, start to exit.

.venv/bin/python -m bench.simulate_time              # every scenario, 3 runs
.venv/bin/python -m bench.simulate_time --runs 5 --scenario revoked
.venv/bin/python -m bench.simulate_time --bytecode   # with Python's bytecode caches

Each run is a new process, as an operator starts it: imports, the registry, the
time-skipping test server, the worker (its activities in a second process), recognition
and five simulated years per scenario, and the printed timeline. Its registry and mail go
to a temporary folder. One run first, not counted, leaves what later runs reuse as an
operator's do: the migrated registry in the user's cache folder and, with `--bytecode`,
Python's bytecode caches. This environment sets PYTHONDONTWRITEBYTECODE=1, so without the
option every run compiles the project's sources again; with it the runs write and read
caches in a temporary folder. The median, fastest and slowest are printed with the exact
command, the load average before and after (other work on the machine slows every run),
the CPU seconds of the runs (the processes and the test server; less sensitive to load
than wall time), and whether bytecode caches were used.
Requirement (issue 12): median ≤ 8 s on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_SECONDS = 8.0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenario", action="append", default=[], help="default: all")
    parser.add_argument(
        "--bytecode", action="store_true", help="with Python's bytecode caches (a temporary folder)"
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="simulate-time-") as folder,
        tempfile.TemporaryDirectory(prefix="simulate-time-pycache-") as pycache,
    ):
        command = [sys.executable, str(ROOT / "starter.py"), "simulate", "--folder", folder]
        for scenario in args.scenario:
            command += ["--scenario", scenario]
        env = {**os.environ, "COLUMNS": "200"}
        if args.bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = pycache
        subprocess.run(command, env=env, cwd=ROOT, capture_output=True, check=True)
        bytecode = "off" if env.get("PYTHONDONTWRITEBYTECODE") else "on"
        load_before = os.getloadavg()[0]
        seconds, cpu = [], []
        for _ in range(args.runs):
            cpu_before = children_cpu()
            started = time.perf_counter()
            done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
            seconds.append(time.perf_counter() - started)
            cpu.append(children_cpu() - cpu_before)
            if done.returncode != 0:
                raise SystemExit(
                    f"{shlex.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
                )
    median = statistics.median(seconds)
    verdict = "ok" if median <= REQUIRED_SECONDS else "OVER"
    shown = shlex.join([Path(sys.executable).name, "starter.py", *command[2:3], *command[5:]])
    print(
        f"simulate median {median:5.2f} s  (min {min(seconds):.2f}, max {max(seconds):.2f};"
        f" CPU median {statistics.median(cpu):.2f} s; required ≤ {REQUIRED_SECONDS:g} s:"
        f" {verdict})  {shown} --folder TMP\n"
        f"  {args.runs} runs; load {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
        f" on {os.cpu_count()} CPUs; bytecode cache {bytecode}",
        flush=True,
    )


if __name__ == "__main__":
    main()
