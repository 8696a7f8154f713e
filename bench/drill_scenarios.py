"""The drills of issue 7, each one fault played on the running system.

Each function starts the system in separate processes (`harness.running_system`), places
N notices due at one instant, plays its fault and returns what a user would notice: which
notices arrived and with which Message-ID, how long staff waited for an answer, what the
registry and the workflows' queries say. `tests/drills` asserts on these results;
`bench/drills.py` runs the same drills with a larger N and prints the figures.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import yaml
from sqlmodel import select

from bench.deadline_storm import register_alliances, storm_state
from bench.drill_harness import (
    PASSWORD,
    STAFF,
    Answer,
    Arrival,
    MailTally,
    Storm,
    System,
    csrf_of,
    running_system,
    sleep_until,
)
from client.alliances import alliance_code_of, open_procedure
from domain.application_file import load_application_file
from domain.effects import Incident, Outbox
from domain.notices import Purpose
from domain.procedure import Role
from domain.settings import PROJECT_ROOT
from registry.alliance_codes import codes_assigned_to
from registry.database import session_scope
from registry.staff_accounts import create_user
from registry.tables import Alliance
from registry.tables import EmailMessage as EmailRow
from workflows.recognition import RecognitionWorkflow

SAMPLE_APPLICATION = PROJECT_ROOT / "samples" / "application-sample.yaml"
RESUBMISSION = Purpose.REPORT_RESUBMISSION_OVERDUE.value
Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def storm_notices(storm: Storm) -> dict[str, set[str]]:
    return {code: {RESUBMISSION} for code in storm.codes}


def _merge(*parts: dict[str, set[str]]) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for part in parts:
        for code, purposes in part.items():
            merged.setdefault(code, set()).update(purposes)
    return merged


async def _at(moment: float, action: Callable[[], None]) -> float:
    """Do `action` at `moment` (unix time); returns when it was done."""
    await sleep_until(moment)
    action()
    return time.time()


# ---------------------------------------------------------------------------- staff actions


class StaffActions:
    """The four staff actions from the command line that the fault drills time, on four
    alliances of the storm; the alliances' own report submissions go first (updates).

    They start once every workflow of the storm has acted on its milestone (a few seconds
    for N = 100 on two cores): until then an update waits its turn behind N timer tasks,
    which is the deadline storm's figure (`bench/deadline_storm.py`), not the fault's.
    """

    def __init__(self, system: System, storm: Storm, timeout: float) -> None:
        self.system = system
        self.storm = storm
        self.timeout = timeout
        self.codes = storm.codes[:4]
        self.at_peak: str | None = None

    async def submit_reports(self) -> list[Answer]:
        """Alliances 3 and 4 hand in their overdue report, so staff can review them."""
        return [await self._submit(code) for code in self.codes[2:4]]

    async def submit_report_at_peak(self) -> Answer:
        """Alliance 5 hands in its report while the storm's timer tasks are still queued."""
        self.at_peak = self.storm.codes[4]
        return await self._submit(self.at_peak)

    async def _submit(self, code: str) -> Answer:
        return await self.system.update(
            f"update submit_annual_report ({code})",
            code,
            "submit_annual_report",
            self.system.report_submission(self.storm.year),
            self.timeout,
        )

    async def from_the_command_line(self) -> list[Answer]:
        c0, c1, c2, c3 = self.codes
        year = str(self.storm.year)
        until = (self.storm.states[0].term_end + timedelta(days=180)).isoformat()
        staff = ["--as", STAFF.name]
        extend = ["--until", until, "--reason", "期末评估材料尚在补充"]
        accept = ["report", "review", c2, year, *staff, "--accept"]
        give_back = ["report", "review", c3, year, *staff, "--return", "--reasons", "缺佐证材料"]
        commands = [
            ("alliance-admin extend-term", ["extend-term", c0, *staff, *extend]),
            (
                "alliance-admin revoke",
                ["revoke", c1, *staff, "--ground", "dissolved", "--reason", "联盟已停止运行"],
            ),
            ("alliance-admin report review --accept", accept),
            ("alliance-admin report review --return", give_back),
        ]
        return [await self.system.admin(label, args, self.timeout) for label, args in commands]

    def notices(self) -> dict[str, set[str]]:
        """What the alliances are told once the actions have taken effect."""
        c0, c1, c2, c3 = self.codes
        told = {
            c0: {Purpose.TERM_EXTENDED.value},
            c1: {Purpose.REVOKED.value},
            c2: {Purpose.REPORT_RECEIVED.value, Purpose.REPORT_ACCEPTED.value},
            c3: {Purpose.REPORT_RECEIVED.value, Purpose.REPORT_RETURNED.value},
        }
        if self.at_peak:
            told[self.at_peak] = {Purpose.REPORT_RECEIVED.value}
        return told

    def recorded(self) -> dict[str, list[str]]:
        """Audit actions each acted-on alliance should have in the registry afterwards."""
        c0, c1, c2, c3 = self.codes
        return {
            c0: ["term.extended"],
            c1: ["revoked"],
            c2: ["report.submitted", "report.accepted"],
            c3: ["report.submitted", "report.returned"],
        }

    def missing_records(self) -> list[str]:
        missing = []
        for code, actions in self.recorded().items():
            found = self.system.audit_actions(code)
            missing += [f"{code} {a}" for a in actions if a not in found]
        return missing


# ---------------------------------------------------------------------------- 1. SMTP down


@dataclass
class OutageResult:
    n: int
    outage_seconds: float
    smtp_down_at: float
    smtp_back_at: float
    storm_taken: float  # seconds from the instant until every workflow acted on its milestone
    at_peak: Answer  # an update 3 s after the instant, behind the storm's timer tasks
    submissions: list[Answer]
    commands: list[Answer]
    console_review: Answer
    mail: MailTally
    missing_records: list[str]

    @property
    def last_notice_after_back(self) -> float | None:
        last = self.mail.last_expected_arrival()
        return None if last is None else last - self.smtp_back_at


async def _sample_in_district_review(system: System) -> str:
    """The sample application submitted and waiting for its district's review, with a
    reviewer account for the console; returns the alliance code."""
    application = load_application_file(SAMPLE_APPLICATION)
    handle = await open_procedure(system.client, system.settings, application)
    code = alliance_code_of(handle.id)
    create_user(
        system.url, "reviewer", "王审查", PASSWORD, Role.DISTRICT_REVIEWER, application.district
    )
    handle = system.client.get_workflow_handle(f"alliance-{code}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = await handle.query(RecognitionWorkflow.state)
        with session_scope(system.url) as session:
            registered = session.get(Alliance, code) is not None
        if state.stage.value == "district_review" and state.clock is not None and registered:
            return code
        await asyncio.sleep(0.25)
    raise AssertionError(f"the sample application did not reach district review: {state.stage}")


async def _console_district_review(system: System, code: str, timeout: float) -> Answer:
    """The reviewer's recommendation POSTed in the web console; timed from POST to reply."""
    assert system.console is not None, "start the system with console=True"
    browser = await system.console.signed_in("reviewer")
    try:
        page = await browser.get(f"/alliances/{code}")
        began = time.monotonic()
        try:
            response = await browser.post(
                f"/alliances/{code}/actions/district_review",
                data={
                    "csrf": csrf_of(page.text),
                    "outcome": "recommend",
                    "reasons": "符合认定条件",
                    "confirmed": "1",  # the step after the clerk has checked the summary
                },
                timeout=timeout,
            )
            ok, output = response.status_code == 303, f"HTTP {response.status_code}"
        except Exception as err:  # a timeout or a dropped connection is the finding
            ok, output = False, f"no answer: {type(err).__name__} {err}"
        seconds = time.monotonic() - began
        return Answer("console district review POST", seconds, seconds, ok, output, time.time())
    finally:
        await browser.aclose()


async def smtp_outage(
    n: int, outage_seconds: float, *, wait_seconds: float = 180, say: Say = _quiet
) -> OutageResult:
    """N notices fall due while SMTP is down; staff act from the command line and the
    console during the outage; then SMTP comes back and every notice must arrive."""
    async with running_system("smtp-outage", console=True) as system:
        say(f"smtp outage: N={n}, SMTP down {outage_seconds:.0f} s")
        application_code = await _sample_in_district_review(system)
        storm = await system.place_storm(n)
        actions = StaffActions(system, storm, timeout=outage_seconds + 60)
        down_at = await _at(storm.instant.timestamp() - 2, system.smtp.stop)
        await sleep_until(storm.instant + timedelta(seconds=3))
        at_peak = await actions.submit_report_at_peak()
        taken = await system.storm_taken(storm)
        say(f"  the {n} workflows acted on their milestone within {taken:.1f} s")
        submissions = await actions.submit_reports()
        commands = await actions.from_the_command_line()
        review = await _console_district_review(system, application_code, outage_seconds + 60)
        say("  actions: " + ", ".join(f"{a.action} {a.seconds:.2f} s" for a in commands))
        # The outage lasts `outage_seconds`, and at least until every action has been
        # taken: on a slow machine the storm and the commands' start-up can outlast it.
        planned = storm.instant.timestamp() + outage_seconds
        if time.time() > planned:
            say(f"  SMTP stayed down {time.time() - planned:.1f} s longer, until the last action")
        back_at = await _at(planned, system.smtp.start)
        say(f"  SMTP back after {back_at - down_at:.0f} s")
        expected = _merge(
            # The alliance that handed in its report at the peak may have made its
            # overdue notice moot before its timer task ran: it is not expected.
            {c: p for c, p in storm_notices(storm).items() if c != actions.at_peak},
            actions.notices(),
            {application_code: {Purpose.APPLICATION_RECEIVED.value, Purpose.PROGRESS.value}},
        )
        mail = await system.wait_for_mail(expected, wait_seconds, say=say)
        return OutageResult(
            n=n,
            outage_seconds=outage_seconds,
            smtp_down_at=down_at,
            smtp_back_at=back_at,
            storm_taken=taken,
            at_peak=at_peak,
            submissions=submissions,
            commands=commands,
            console_review=review,
            mail=mail,
            missing_records=actions.missing_records(),
        )


# ---------------------------------------------------------------------------- 2. kill -9


@dataclass
class KillResult:
    n: int
    arrived_before_kill: int
    killed_at: float
    restarted_at: float
    mail: MailTally

    @property
    def recovery_seconds(self) -> float | None:
        """From the kill until every notice had arrived and every email row was settled."""
        return None if self.mail.settled_at is None else self.mail.settled_at - self.killed_at

    @property
    def duplicate_rate(self) -> float:
        return self.mail.copies / self.n


async def worker_kill(
    n: int, *, data_delay: float = 0.25, wait_seconds: float = 180, say: Say = _quiet
) -> KillResult:
    """SIGKILL the worker while it is sending the N notices, start it again at once."""
    async with running_system("worker-kill") as system:
        say(f"worker kill -9: N={n}, the SMTP server answers DATA after {data_delay} s")
        system.smtp.configure(data_delay=data_delay)
        storm = await system.place_storm(n)
        await sleep_until(storm.instant)
        codes = set(storm.codes)

        def arrived() -> int:
            return len({a.key for a in system.smtp.arrivals() if a.alliance_code in codes})

        # Kill once a third of the notices reached the SMTP server, the rest in flight.
        give_up = time.monotonic() + 120
        while arrived() < max(1, n // 3) and time.monotonic() < give_up:
            await asyncio.sleep(0.05)
        before = arrived()
        killed_at = time.time()
        system.worker.kill()
        say(f"  killed the worker with {before}/{n} notices arrived")
        system.worker.start()
        await system.worker.ready(system.client)
        restarted_at = time.time()
        mail = await system.wait_for_mail(storm_notices(storm), wait_seconds, say=say)
        return KillResult(n, before, killed_at, restarted_at, mail)


# ---------------------------------------------------------------------------- 3. registry down


@dataclass
class RegistryBlockResult:
    n: int
    block_seconds: float
    unblocked_at: float
    storm_taken: float
    submissions: list[Answer]
    commands: list[Answer]
    mail: MailTally
    missing_records: list[str]

    @property
    def last_notice_after_unblock(self) -> float | None:
        last = self.mail.last_expected_arrival()
        return None if last is None else last - self.unblocked_at


async def registry_block(
    n: int, block_seconds: float, *, wait_seconds: float = 180, say: Say = _quiet
) -> RegistryBlockResult:
    """The registry database refuses every connection while N notices fall due and staff
    act; once it is back, every notice and every staff decision must be in it."""
    async with running_system("registry-block") as system:
        say(f"registry blocked: N={n}, {block_seconds:.0f} s")
        storm = await system.place_storm(n)
        actions = StaffActions(system, storm, timeout=block_seconds + 60)
        await _at(storm.instant.timestamp() - 1, system.registry.block)
        try:
            await sleep_until(storm.instant)
            taken = await system.storm_taken(storm)
            say(f"  the {n} workflows acted on their milestone within {taken:.1f} s")
            submissions = await actions.submit_reports()
            commands = await actions.from_the_command_line()
            say("  actions: " + ", ".join(f"{a.action} {a.seconds:.2f} s" for a in commands))
            # The fault lasts `block_seconds`, and at least until every action has been
            # taken: on a slow machine the storm and the commands' start-up can outlast it.
            late = time.time() - (storm.instant.timestamp() + block_seconds)
            if late > 0:
                say(f"  the registry stayed blocked {late:.1f} s longer, until the last action")
            unblocked_at = await _at(
                storm.instant.timestamp() + block_seconds, system.registry.unblock
            )
        finally:
            system.registry.unblock()
        mail = await system.wait_for_mail(
            _merge(storm_notices(storm), actions.notices()), wait_seconds, say=say
        )
        return RegistryBlockResult(
            n=n,
            block_seconds=block_seconds,
            unblocked_at=unblocked_at,
            storm_taken=taken,
            submissions=submissions,
            commands=commands,
            mail=mail,
            missing_records=actions.missing_records(),
        )


# ---------------------------------------------------------------------------- 4. one refused


@dataclass
class RefusalResult:
    refused_address: str
    status: str  # of the refused notice's email row
    refused: dict  # its refused column: address -> SMTP reply
    delivered_to: list[str]  # recipients of the copies that arrived before the retry
    outbox_failed: Answer  # alliance-admin outbox --failed
    incident: Incident | None
    resent_to_refused: bool  # after the address was accepted again and staff retried
    mail: MailTally


async def _outbox(system: System, code: str) -> Outbox:
    handle = system.client.get_workflow_handle(f"alliance-{code}")
    return await handle.query("outbox", result_type=Outbox)


async def _incident_of(system: System, code: str, purpose: str, timeout: float):
    """The first incident of a notice of this purpose, waiting up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        outbox = await _outbox(system, code)
        for incident in outbox.incidents:
            notice = incident.effect.notice
            if notice is not None and notice.purpose.value == purpose:
                return incident, outbox
        if time.monotonic() > deadline:
            return None, outbox
        await asyncio.sleep(0.25)


async def _retry(system: System, code: str, incident: Incident) -> Answer:
    """Staff re-queue the incident from the command line."""
    return await system.admin(
        "alliance-admin incidents retry",
        ["incidents", "retry", code, str(incident.number), "--as", STAFF.name],
        60,
    )


def _row(system: System, code: str, purpose: str) -> EmailRow | None:
    with session_scope(system.url) as session:
        return session.exec(
            select(EmailRow).where(EmailRow.alliance_code == code, EmailRow.purpose == purpose)
        ).first()


async def _arrival_to(system: System, address: str, key: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(a.key == key and address in a.recipients for a in system.smtp.arrivals()):
            return True
        await asyncio.sleep(0.25)
    return False


async def refused_recipient(n: int = 5, *, say: Say = _quiet) -> RefusalResult:
    """One alliance's address is refused with 550 while the staff copy is accepted."""
    async with running_system("refused-recipient") as system:
        storm = await system.place_storm(n)
        code = storm.codes[0]
        address = storm.states[0].contacts[0].email
        system.smtp.configure(refuse=[address])
        say(f"refused recipient: {address} answered 550, N={n}")
        mail = await system.wait_for_mail(
            storm_notices(storm), 120, settled=("sent", "partly_failed", "failed")
        )
        row = _row(system, code, RESUBMISSION)
        listed = await system.admin(
            "alliance-admin outbox --failed", ["outbox", "--failed"], 60, marker=None
        )
        incident, _ = await _incident_of(system, code, RESUBMISSION, 30)
        resent = False
        if incident is not None and row is not None:
            system.smtp.configure(refuse=[])
            await _retry(system, code, incident)
            resent = await _arrival_to(system, address, row.key, 60)
        return RefusalResult(
            refused_address=address,
            status=row.status if row else "no email row",
            refused=dict(getattr(row, "refused", None) or {}),
            delivered_to=sorted(
                {r for a in mail.arrivals if a.alliance_code == code for r in a.recipients}
            ),
            outbox_failed=listed,
            incident=incident,
            resent_to_refused=resent,
            mail=mail,
        )


# ---------------------------------------------------------------------------- 5. never succeeds


@dataclass
class PermanentFailureResult:
    door: Answer  # starter.py submit of an application whose name holds U+0000
    door_started_workflow: bool
    door_registered: bool
    incident: Incident | None
    incident_seconds: float | None  # from the workflow's start to the incident
    incidents: list[Incident]  # all of them once the drill is over
    listed: Answer  # alliance-admin incidents list <code>, after the incident
    alerts: list[Arrival]  # the alert emails (purpose incident) that arrived
    staff_address: str  # where alerts go
    later_step: Answer  # a staff action after the incident
    later_recorded: bool  # ... its decision reached the registry
    later_notice: bool  # ... and its notice reached bureau staff
    retried: Answer | None
    retried_delivered: bool


def _nul_application(system: System):
    """The sample application as JSON, its name holding U+0000 (escaped as \\u0000)."""
    data = yaml.safe_load(SAMPLE_APPLICATION.read_text(encoding="utf-8"))
    data["alliance_name"] = "鞍山市菱镁\u0000新材料产业技术创新战略联盟"
    path = system.folder / "application-nul.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path, load_application_file(SAMPLE_APPLICATION).lead_unit_code()


async def permanent_failures(*, say: Say = _quiet) -> PermanentFailureResult:
    """A NUL in an application is refused at the door; a notice every recipient refuses
    becomes an incident with one alert to staff, and the workflow goes on."""
    async with running_system("incident") as system:
        path, lead_code = _nul_application(system)
        door = await system.starter("starter.py submit", ["submit", str(path)], 60)
        # No alliance code was assigned to its lead unit, so no row and no workflow id.
        registered = started = bool(codes_assigned_to(system.url, lead_code))
        say(f"NUL application: exit {'0' if door.ok else 'non-zero'}")

        # A term whose start notice goes to the alliance alone, at an address refused 550.
        now = datetime.now(UTC)
        [state] = _term_states(system, now, 1)
        address = state.contacts[0].email
        system.smtp.configure(refuse=[address])
        began = time.monotonic()
        await system.start_term(state, announced=False)
        code = state.alliance_code
        incident, _ = await _incident_of(system, code, Purpose.TERM_STARTED.value, 90)
        incident_seconds = time.monotonic() - began if incident else None
        say(f"  incident after {incident_seconds} s" if incident else "  no incident")
        staff = system.settings.staff_emails[0]

        def alerts() -> list[Arrival]:
            return [
                a
                for a in system.smtp.arrivals()
                if a.alliance_code == code and a.is_purpose(Purpose.INCIDENT.value)
            ]

        if incident is not None:
            await _wait_for(alerts, 60)
        listed = await system.admin(
            "alliance-admin incidents list", ["incidents", "list", code], 60, marker=None
        )
        until = (state.term_end + timedelta(days=180)).isoformat()
        later = await system.admin(
            "alliance-admin extend-term",
            ["extend-term", code, "--as", STAFF.name, "--until", until, "--reason", "材料补充"],
            60,
        )
        extended = await _wait_for(
            lambda: [
                a
                for a in system.smtp.arrivals()
                if a.alliance_code == code
                and a.is_purpose(Purpose.TERM_EXTENDED.value)
                and staff in a.recipients
            ],
            60,
        )
        recorded = bool(await _wait_for(lambda: "term.extended" in system.audit_actions(code), 60))
        retried, delivered = None, False
        if incident is not None:
            system.smtp.configure(refuse=[])
            retried = await _retry(system, code, incident)
            delivered = await _arrival_to(system, address, incident.effect.key, 60)
        outbox = await _outbox(system, code)
        return PermanentFailureResult(
            door=door,
            door_started_workflow=started,
            door_registered=registered,
            incident=incident,
            incident_seconds=incident_seconds,
            incidents=outbox.incidents,
            listed=listed,
            alerts=alerts(),
            staff_address=staff,
            later_step=later,
            later_recorded=recorded,
            later_notice=bool(extended),
            retried=retried,
            retried_delivered=delivered,
        )


def _term_states(system: System, now: datetime, n: int):
    """Registered term alliances whose next milestone is a day away (nothing falls due)."""
    states = [storm_state(i, now, now + timedelta(days=1), "timer") for i in range(n)]
    register_alliances(system.url, states)
    return states


async def _wait_for(found: Callable, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        result = found()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.25)
