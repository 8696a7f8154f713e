"""Fault drills at benchmark size: the drills of `tests/drills` with N = 300 notices due at
once, SMTP down 5 minutes and the registry blocked 90 s; prints a Markdown table of what
was measured against what issue 7 requires.

Each drill starts its own dev server, worker process, SMTP server and PostgreSQL registry
(PostgreSQL at 127.0.0.1:5432, or ALLIANCE_TEST_POSTGRES_DSN), so the drills do not
disturb one another. A drill that fails shows its error in the table; the others still run.

    .venv/bin/python -m bench.drills                       # about 12 minutes
    .venv/bin/python -m bench.drills --n 100 --outage 30 --block 25 --only kill
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable

from bench.deadline_storm import ROOT, machine_notes
from bench.drill_harness import Answer
from bench.drill_scenarios import (
    KillResult,
    OutageResult,
    PermanentFailureResult,
    RefusalResult,
    RegistryBlockResult,
    permanent_failures,
    refused_recipient,
    registry_block,
    smtp_outage,
    worker_kill,
)

DRILLS = ("outage", "kill", "registry", "refusal", "permanent")


def say(text: str) -> None:
    print(text, flush=True)


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def _answers(answers: list[Answer], fault_ended_at: float) -> str:
    parts = []
    for a in answers:
        where = "" if a.during(fault_ended_at) else ", after the fault"
        state = "" if a.ok else ", FAILED"
        parts.append(f"{a.seconds:.2f} s{where}{state}")
    return " / ".join(parts)


def _start_up(answers: list[Answer]) -> str:
    whole = [a.total for a in answers]
    return f"{min(whole):.1f}–{max(whole):.1f} s" if whole else "—"


def _lost(mail) -> str:
    lost = len(mail.missing) + len(mail.sent_never_arrived)
    mixed = len(mail.mixed_message_ids)
    text = f"{mail.notices - len(mail.missing)}/{mail.notices} notices arrived, {lost} lost"
    return text + (f", {mixed} copies with another Message-ID" if mixed else "")


def outage_rows(r: OutageResult) -> list[tuple[str, str, str]]:
    back = r.smtp_back_at
    return [
        (
            f"SMTP down {r.outage_seconds:.0f} s; 4 staff actions from the CLI",
            f"{_answers(r.commands, back)} (from request to answer; whole commands with"
            f" Python start-up {_start_up(r.commands)}); alliances' report submissions"
            f" {_answers(r.submissions, back)}; acted once the {r.n} workflows had taken"
            f" their milestone, {r.storm_taken:.1f} s after the instant",
            "each ≤ 2 s while SMTP is still down",
        ),
        (
            f"(informative) an update 3 s after the {r.n} notices fell due, SMTP down",
            f"{_answers([r.at_peak], back)}: it waits its turn behind the storm's timer tasks,"
            f" all taken {r.storm_taken:.1f} s after the instant",
            "—",
        ),
        (
            "district-review POST in the console during the SMTP outage",
            f"{_answers([r.console_review], back)} ({r.console_review.output})",
            "≤ 2 s",
        ),
        (
            "last notice after SMTP comes back",
            f"{_seconds(r.last_notice_after_back)}; {_lost(r.mail)}; {r.mail.copies} copies"
            + (f"; decisions missing {r.missing_records}" if r.missing_records else ""),
            "≤ 60 s",
        ),
    ]


def kill_rows(r: KillResult) -> list[tuple[str, str, str]]:
    mixed = len(r.mail.mixed_message_ids)
    return [
        (
            "worker `kill -9` with sends in flight (restarted at once)",
            f"recovery {_seconds(r.recovery_seconds)} (kill → every notice arrived and"
            f" recorded; {r.arrived_before_kill}/{r.n} had arrived at the kill);"
            f" duplicates {r.mail.copies} ({r.duplicate_rate:.0%}),"
            f" {'all' if not mixed else f'{mixed} NOT'} with the same Message-ID;"
            f" {_lost(r.mail)}",
            "recovery ≤ 40 s; duplicates carry the same Message-ID",
        )
    ]


def registry_rows(r: RegistryBlockResult) -> list[tuple[str, str, str]]:
    return [
        (
            f"registry (PostgreSQL) blocked {r.block_seconds:.0f} s",
            f"4 staff actions from the CLI {_answers(r.commands, r.unblocked_at)}, report"
            f" submissions {_answers(r.submissions, r.unblocked_at)} (from"
            f" {r.storm_taken:.1f} s after the instant); {_lost(r.mail)};"
            f" last notice {_seconds(r.last_notice_after_unblock)} after the registry came"
            f" back; decisions recorded"
            + (f" except {r.missing_records}" if r.missing_records else ""),
            "staff actions answer; nothing lost",
        )
    ]


def _refusals(refused: dict) -> str:
    return ", ".join(f"{a} → {reply[:3]}" for a, reply in refused.items()) or "none recorded"


def refusal_rows(r: RefusalResult) -> list[tuple[str, str, str]]:
    listed = r.refused_address in r.outbox_failed.output and r.outbox_failed.ok
    return [
        (
            "one recipient refused with 550, others accepted",
            f"status `{r.status}`, refused: {_refusals(r.refused)}; listed by `alliance-admin"
            f" outbox --failed`: {'yes' if listed else 'no'}; an incident:"
            f" {'yes' if r.incident else 'no'}; re-sent once accepted:"
            f" {'yes' if r.resent_to_refused else 'no'}",
            "`partly_failed`, listed by `outbox --failed`, re-sendable",
        )
    ]


def permanent_rows(r: PermanentFailureResult) -> list[tuple[str, str, str]]:
    door = "refused at the door" if not r.door.ok else "ACCEPTED"
    named = "names `alliance_name`" if "alliance_name" in r.door.output else "field not named"
    incident = (
        f"incident {r.incident.number} after {r.incident_seconds:.1f} s"
        f" ({'a 550 refusal' if '550' in r.incident.error else r.incident.error[:60]}),"
        f" {len({a.key for a in r.alerts})} alert email(s) for {len(r.incidents)}"
        " incident(s)"
        if r.incident
        else "no incident"
    )
    later = "later step done" if r.later_step.ok and r.later_recorded else "later step STUCK"
    retried = "retried and delivered" if r.retried_delivered else "not delivered on retry"
    return [
        (
            "an application name containing U+0000; a notice every recipient refuses",
            f"{door} ({named}); {incident}; {later}; {retried}",
            "refused with a clear message; a never-succeeding effect becomes a visible incident",
        )
    ]


async def run_drill(
    name: str, play: Callable[[], Awaitable], rows: Callable, table: list, failures: dict
) -> None:
    say(f"\n--- {name}")
    try:
        table.extend(rows(await play()))
    except Exception as err:  # one drill's failure is a finding, not the end of the run
        failures[name] = "".join(traceback.format_exception(err))
        table.append((name, f"FAILED: {type(err).__name__}: {str(err)[:200]}", ""))


async def run(args) -> None:
    table: list[tuple[str, str, str]] = []
    failures: dict[str, str] = {}
    plays: dict[str, tuple[Callable[[], Awaitable], Callable]] = {
        "outage": (
            lambda: smtp_outage(args.n, args.outage, wait_seconds=args.wait, say=say),
            outage_rows,
        ),
        "kill": (lambda: worker_kill(args.n, wait_seconds=args.wait, say=say), kill_rows),
        "registry": (
            lambda: registry_block(args.n, args.block, wait_seconds=args.wait, say=say),
            registry_rows,
        ),
        "refusal": (lambda: refused_recipient(say=say), refusal_rows),
        "permanent": (lambda: permanent_failures(say=say), permanent_rows),
    }
    for name in args.only or DRILLS:
        play, rows = plays[name]
        await run_drill(name, play, rows, table, failures)
    for name, trace in failures.items():
        print(f"\n=== {name} failed\n{trace}", file=sys.stderr)
    print("\n=== drills")
    print(
        f"command : cd {shlex.quote(str(ROOT))} && .venv/bin/python -m bench.drills "
        + shlex.join(sys.argv[1:])
    )
    for line in machine_notes():
        print(f"machine : {line}")
    print(f"\n| drill ({args.n} notices due at once) | measured | required |")
    print("|---|---|---|")
    for drill, measured, required in table:
        print(f"| {drill} | {measured} | {required} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="notices due at once")
    parser.add_argument("--outage", type=float, default=300, help="seconds SMTP is down")
    parser.add_argument("--block", type=float, default=90, help="seconds the registry is blocked")
    parser.add_argument(
        "--wait", type=float, default=600, help="give up waiting for the notices after this"
    )
    parser.add_argument("--only", action="append", choices=DRILLS, help="run only these drills")
    args = parser.parse_args(argv)
    # SIGTERM ends the run like Ctrl-C, so every drill's processes and database are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
