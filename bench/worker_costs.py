"""What one notice costs inside the worker, piece by piece, without a Temporal server.

Complements `bench.deadline_storm`: the storm's worker spends CPU per notice on the workflow
task (payload decoding, `milestones`) and on the `send_notice` activity (template, two
registry transactions, the SMTP session). This measures each piece alone, on the same
registry (SQLite, Alembic schema) and SMTP sink the storm uses:

    .venv/bin/python -m bench.worker_costs --n 300
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from bench.deadline_storm import SmtpSink, free_port, register_alliances, storm_state
from domain.districts import DISTRICT_ZH
from domain.notices import DeliveryStatus, Notice, Purpose
from domain.settings import Settings
from domain.term import TermState, milestones
from notifications.render import render
from registry.database import upgrade_schema
from workflows.term import TermInput


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def notice_for(state: TermState, tag: str) -> Notice:
    """The notice TermWorkflow._report_notice builds for a report reminder."""
    year = state.reports[-1].year
    return Notice(
        key=f"{state.alliance_code}:term{state.term_no}-{state.term_start}:report_reminder:"
        f"report:{year}:reminder:{tag}",
        alliance_code=state.alliance_code,
        purpose=Purpose.REPORT_REMINDER,
        to_emails=state.recipient_emails(),
        district=state.district,
        context={
            "alliance_name": state.alliance_name,
            "alliance_code": state.alliance_code,
            "district": state.district.value,
            "district_name": DISTRICT_ZH[state.district],
            "term_no": state.term_no,
            "term_start": state.term_start.isoformat(),
            "term_end": state.term_end.isoformat(),
            "year": year,
            "due": f"{year}-12-31T23:59:59+08:00",
            "days_left": 30,
        },
    )


def per_call(label: str, fn, repeat: int) -> None:
    fn()
    began_wall, began_cpu = time.perf_counter(), cpu()
    for _ in range(repeat):
        fn()
    wall = (time.perf_counter() - began_wall) / repeat * 1000
    used = (cpu() - began_cpu) / repeat * 1000
    print(f"  {label:<46} {wall:8.2f} ms wall {used:8.2f} ms CPU  (x{repeat})")


async def timed(label: str, n: int, concurrency: int, one) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def run(i: int) -> None:
        async with gate:
            await one(i)

    began_wall, began_cpu = time.perf_counter(), cpu()
    await asyncio.gather(*(run(i) for i in range(n)))
    wall = time.perf_counter() - began_wall
    used = cpu() - began_cpu
    print(
        f"  {label:<46} {wall / n * 1000:8.2f} ms wall {used / n * 1000:8.2f} ms CPU per notice;"
        f" {n / wall:7.1f}/s  (n={n}, {concurrency} at a time)"
    )


async def run(args) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-costs-"))
    settings = Settings(data_dir=folder, database_url="", smtp_port=free_port())
    url = settings.registry_url()
    upgrade_schema(url)
    now = datetime.now(UTC)
    instant = now + timedelta(minutes=5)
    states = [storm_state(i, now, instant.replace(microsecond=0), "timer") for i in range(args.n)]
    register_alliances(url, states)
    sink = SmtpSink(settings.smtp_port, folder)
    sink.start()
    try:
        print(f"per notice, this process (Python, GIL), N={args.n}")
        state = states[0]
        per_call("milestones(state)", lambda: milestones(state), 500)
        converter = pydantic_data_converter.payload_converter
        payloads = converter.to_payloads([TermInput(state=state, announced=True)])
        per_call(
            "TermInput payload decode (workflow input)",
            lambda: converter.from_payloads(payloads, [TermInput]),
            500,
        )
        per_call(
            "TermInput payload encode (continue-as-new)",
            lambda: converter.to_payloads([TermInput(state=state, announced=True)]),
            500,
        )
        notice = notice_for(state, "x")
        per_call(
            "render report_reminder template (zh-CN)",
            lambda: render(notice.purpose, "zh-CN", {"alliance_code": "x", **notice.context}),
            300,
        )

        email = EmailActivities(settings)
        env = ActivityEnvironment()  # activity.info() for the registry's timestamps
        env.info = dataclasses.replace(env.info, current_attempt_scheduled_time=now)

        async def registry_only(i: int, tag: str) -> None:
            n = notice_for(states[i], tag)
            await asyncio.to_thread(email._begin, n, False, now)
            await asyncio.to_thread(email._finish, n, DeliveryStatus.SENT, {}, "")

        for concurrency in (1, args.concurrency):
            await timed(
                f"registry: 2 transactions, the message composed ({concurrency} at a time)",
                args.n,
                concurrency,
                lambda i, tag=f"registry{concurrency}": env.run(registry_only, i, tag),
            )

        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = "secretariat@alliance.example"
        message["Subject"] = "年度报告提醒"
        message.set_content("正文" * 200)

        async def smtp_session(i: int) -> None:
            client = aiosmtplib.SMTP(hostname="127.0.0.1", port=settings.smtp_port, timeout=30)
            await client.connect()
            await client.send_message(message)
            await client.quit()

        await timed("SMTP: connect + send + quit per message", args.n, 1, smtp_session)
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=settings.smtp_port, timeout=30)
        await client.connect()

        async def smtp_reused(i: int) -> None:
            await client.send_message(message)

        await timed("SMTP: one kept connection, send only", args.n, 1, smtp_reused)
        await client.quit()

        for concurrency in (1, args.concurrency):

            async def activity(i: int, tag: str = f"c{concurrency}") -> None:
                delivery = await env.run(email.send_notice, notice_for(states[i], tag))
                assert delivery.status == "sent", delivery

            await timed(
                f"send_notice activity ({concurrency} at a time)",
                args.n,
                concurrency,
                activity,
            )
    finally:
        sink.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="per-notice costs inside the worker")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
