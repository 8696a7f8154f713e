"""Issue 7's drills: faults played against the real system in separate processes.

Each test starts the dev server, the worker, an SMTP server and a PostgreSQL registry of
its own (`bench.drill_harness.running_system`), so the whole set takes a few minutes; run
them alone with `pytest tests/drills -s` to see the figures. `DRILL_N` sets how many
notices fall due at once (default 100; `bench/drills.py` runs 300).

The assertions are what a user would notice: the messages that arrived and their
Message-IDs, the registry's rows, the workflows' queries, the commands' exit codes and
output, and that staff got their answer while the fault still lasted. How long each
answer took is printed, not asserted; `bench/drills.py` sets it against the required 2 s.
"""

from __future__ import annotations

import os

from bench.drill_harness import Answer, MailTally
from bench.drill_scenarios import (
    permanent_failures,
    refused_recipient,
    registry_block,
    smtp_outage,
    worker_kill,
)

N = int(os.environ.get("DRILL_N", "100"))


def say(text: str) -> None:
    print(text, flush=True)


def secs(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def assert_answered_during_fault(answers: list[Answer], fault_ended_at: float) -> None:
    late = [
        f"{a.action}: {'answered' if a.ok else 'failed'} after {a.seconds:.2f} s"
        f" ({'during' if a.during(fault_ended_at) else 'after'} the fault)\n{a.output[-600:]}"
        for a in answers
        if not a.ok or not a.during(fault_ended_at)
    ]
    assert not late, "staff waited:\n" + "\n".join(late)


def assert_nothing_lost(mail: MailTally) -> None:
    assert not mail.missing, f"{len(mail.missing)} notices never arrived, e.g. {mail.missing[:5]}"
    assert not mail.sent_never_arrived, (
        f"recorded as sent, never arrived: {mail.sent_never_arrived}"
    )
    assert not mail.mixed_message_ids, (
        f"copies of one notice with different Message-IDs: {mail.mixed_message_ids}"
    )
    unsettled = {k: s for k, s in mail.rows.items() if s != "sent"}
    assert not unsettled, f"email rows not sent: {unsettled}"


async def test_staff_act_while_smtp_is_down_and_every_notice_arrives_once_it_is_back():
    result = await smtp_outage(N, outage_seconds=40, wait_seconds=120, say=say)
    say(
        f"SMTP outage, N={N}: answers "
        + ", ".join(
            f"{a.action} {a.seconds:.2f} s (whole {a.total:.2f} s)" for a in result.commands
        )
        + f"; console POST {result.console_review.seconds:.2f} s"
        + f"; an update at the storm's peak {result.at_peak.seconds:.2f} s"
        + f"; last notice {secs(result.last_notice_after_back)} after SMTP came back"
        + f"; {result.mail.copies} copies"
    )
    assert_answered_during_fault(
        [*result.submissions, *result.commands, result.console_review], result.smtp_back_at
    )
    assert result.at_peak.ok, result.at_peak.output  # answered, however long the storm took
    assert_nothing_lost(result.mail)
    assert not result.missing_records, f"decisions not in the registry: {result.missing_records}"


async def test_a_killed_worker_loses_no_notice_and_repeats_one_only_with_its_message_id():
    result = await worker_kill(N, wait_seconds=150, say=say)
    say(
        f"worker kill -9, N={N}: {result.arrived_before_kill} arrived before the kill;"
        f" every notice delivered and recorded {secs(result.recovery_seconds)} after the kill;"
        f" duplicates {result.mail.copies} ({result.duplicate_rate:.1%})"
    )
    assert result.arrived_before_kill < N, "the worker was killed after every send was done"
    assert_nothing_lost(result.mail)


async def test_staff_act_while_the_registry_is_blocked_and_nothing_is_lost():
    result = await registry_block(N, block_seconds=25, wait_seconds=120, say=say)
    say(
        f"registry blocked, N={N}: answers "
        + ", ".join(f"{a.action} {a.seconds:.2f} s" for a in result.commands)
        + f"; last notice {secs(result.last_notice_after_unblock)} after the registry came back"
    )
    assert_answered_during_fault([*result.submissions, *result.commands], result.unblocked_at)
    assert_nothing_lost(result.mail)
    assert not result.missing_records, f"decisions not in the registry: {result.missing_records}"


async def test_one_refused_recipient_is_partly_failed_listed_and_sent_again_once_accepted():
    result = await refused_recipient(say=say)
    address = result.refused_address
    assert result.status == "partly_failed"
    assert result.refused.get(address, "").startswith("550"), result.refused
    assert result.delivered_to and address not in result.delivered_to
    listed = result.outbox_failed
    assert listed.ok, listed.output
    assert address in listed.output and "partly_failed" in listed.output, listed.output
    assert result.incident is not None, "the refusal is not an incident staff can retry"
    assert result.resent_to_refused, "retried, the notice did not reach the accepted address"
    assert not result.mail.missing


async def test_a_nul_is_refused_at_the_door_and_a_notice_that_cannot_go_becomes_an_incident():
    result = await permanent_failures(say=say)
    door = result.door
    assert not door.ok and "alliance_name" in door.output, door.output
    assert "Traceback" not in door.output, door.output
    assert not result.door_started_workflow and not result.door_registered

    incident = result.incident
    assert incident is not None, "a notice every recipient refuses did not become an incident"
    assert incident.effect.notice is not None and "550" in incident.error, incident.error
    say(f"incident {incident.number} after {secs(result.incident_seconds)}: {incident.error}")
    listed = result.listed
    assert listed.ok and "550" in listed.output, listed.output
    alerted = {a.key for a in result.alerts}
    assert len(alerted) == len(result.incidents), (alerted, result.incidents)
    assert all(result.staff_address in a.recipients for a in result.alerts)

    assert result.later_step.ok, result.later_step.output
    assert result.later_recorded and result.later_notice, "the workflow stopped at the incident"
    assert result.retried is not None and result.retried.ok, result.retried
    assert result.retried_delivered
    first = next(i for i in result.incidents if i.number == incident.number)
    assert first.status == "retried"
