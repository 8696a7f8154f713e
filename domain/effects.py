"""A workflow's side effects as data: the queue of pending effects and its incidents.

A staff action decides and records its decision in the workflow state; what must happen
outside (a registry write, an email, a certificate) becomes an `Effect` in the workflow's
outbox, carried out in order by the workflow's own drain. An effect that can never succeed
(a data error, every recipient refused, a template that does not render) becomes an
`Incident` for staff, who re-queue it once the data or address is corrected.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.certificate import CertificateRequest
from domain.checks import require_new_request, require_role
from domain.events import ProcedureEvent, TermEvent
from domain.notices import PURPOSE_ZH, Notice
from domain.procedure import ActionRefused, Actor, Recognition, Role


class EffectRules(BaseModel):
    """How effects are retried; operators change them through `ALLIANCE_EFFECTS__…`."""

    retry_max_seconds: int = Field(
        30, ge=1, description="longest wait between two attempts of a failing effect"
    )
    email_timeout_seconds: int = Field(
        30, ge=5, description="one email attempt, connection to accepted message"
    )
    heartbeat_seconds: int = Field(
        10, ge=1, description="a send whose worker stops heartbeating is retried after this"
    )
    registry_timeout_seconds: int = Field(15, ge=1, description="one registry write attempt")
    certificate_timeout_seconds: int = Field(60, ge=5, description="one certificate attempt")
    ended_incident_days: int = Field(
        30, ge=0, description="an ended workflow stays open this long for its incidents' retry"
    )


class EffectKind(StrEnum):
    RECORD_EVENT = "record_event"  # the recognition procedure's audit entry and rows
    RECORD_TERM_EVENT = "record_term_event"  # the five-year term's audit entry and rows
    SEND_NOTICE = "send_notice"
    ISSUE_CERTIFICATE = "issue_certificate"  # 证书: its numbers come back to the workflow
    RECORD_DEADLINE = "record_deadline"  # the staff's time limit, for the inbox (since 1.2)


EFFECT_KIND_ZH = {
    EffectKind.RECORD_EVENT: "登记办理记录",
    EffectKind.RECORD_TERM_EVENT: "登记办理记录",
    EffectKind.SEND_NOTICE: "发送邮件通知",
    EffectKind.ISSUE_CERTIFICATE: "制发证书",
    EffectKind.RECORD_DEADLINE: "登记办理期限",
}
EFFECT_KIND_EN = {
    EffectKind.RECORD_EVENT: "registry record",
    EffectKind.RECORD_TERM_EVENT: "registry record",
    EffectKind.SEND_NOTICE: "email notice",
    EffectKind.ISSUE_CERTIFICATE: "certificate",
    EffectKind.RECORD_DEADLINE: "registry deadline",
}


class DeadlineRecord(BaseModel):
    """The time limit the alliance's inbox items show, as the workflow set it at `as_of`
    (None: no limit on staff, as while the public notice runs). An older record never
    replaces a newer one, so a re-queued incident cannot bring back a passed limit."""

    alliance_code: str
    deadline: datetime | None
    as_of: datetime


class Effect(BaseModel):
    """One side effect; its key makes a repeat of it do nothing."""

    key: str
    kind: EffectKind
    queued_at: datetime
    event: ProcedureEvent | None = None
    term_event: TermEvent | None = None
    notice: Notice | None = None
    certificate: CertificateRequest | None = None
    deadline: DeadlineRecord | None = None
    to_alliance: bool = False  # a notice to the alliance's contacts: re-addressed on retry

    def summary(self) -> str:
        """What it does, in Chinese: 发送邮件通知：受理回执."""
        what = PURPOSE_ZH[self.notice.purpose] if self.notice else self._action()
        return f"{EFFECT_KIND_ZH[self.kind]}：{what}" if what else EFFECT_KIND_ZH[self.kind]

    def summary_en(self) -> str:
        """What it does, in English: email notice: application received."""
        what = (self.notice.purpose.value if self.notice else self._action()).replace("_", " ")
        return f"{EFFECT_KIND_EN[self.kind]}: {what}" if what else EFFECT_KIND_EN[self.kind]

    def _action(self) -> str:
        event = self.event or self.term_event
        return event.action if event else ""


MAX_BATCH = 20  # effects carried out by one activity


def next_batch(pending: list[Effect]) -> list[Effect]:
    """The effects at the head of the queue that one activity carries out, in order: up to
    MAX_BATCH of them with at most one notice, because a retried attempt learns from the
    activity's heartbeat whether the relay already took the message, and a heartbeat can
    say that of one message only. A registry write and the notice queued with it go
    together; so does a certificate queued behind them."""
    batch: list[Effect] = []
    for effect in pending[:MAX_BATCH]:
        if effect.notice is not None and any(e.notice is not None for e in batch):
            break
        batch.append(effect)
    return batch


def execution_order(batch: list[Effect]) -> list[Effect]:
    """The order one activity carries out a batch in: between two certificates, the
    registry writes (events, time limits) before the notice, each group as queued.

    A step's notice is queued before the next step's time limit, which must not wait on
    the relay: an SMTP outage then holds up the email, not the inbox. A certificate is
    never passed: a later step's write (a withdrawal marking the certificates) must find
    the certificate issued before it."""
    ordered: list[Effect] = []
    held: list[Effect] = []  # the notices since the last certificate
    for effect in batch:
        if effect.kind == EffectKind.ISSUE_CERTIFICATE:
            ordered += [*held, effect]
            held = []
        elif effect.notice is not None:
            held.append(effect)
        else:
            ordered.append(effect)
    return ordered + held


class EffectBatch(BaseModel):
    """The effects one activity carries out, head of the queue first."""

    effects: list[Effect]


class EffectOutcome(BaseModel):
    """What became of one effect of a batch; `error` says why it can never succeed."""

    key: str
    error: str = ""  # set: the effect becomes an incident
    recognition: Recognition | None = None  # an issued certificate's numbers


class IncidentStatus(StrEnum):
    OPEN = "open"  # 待处理
    RETRIED = "retried"  # 已重新排队


INCIDENT_STATUS_ZH = {IncidentStatus.OPEN: "待处理", IncidentStatus.RETRIED: "已重新排队"}


class Incident(BaseModel):
    """故障: an effect that stopped retrying, for staff to correct and re-queue."""

    number: int
    effect: Effect
    error: str
    failed_at: datetime
    status: IncidentStatus = IncidentStatus.OPEN
    retried_by: str = ""
    retried_at: datetime | None = None


class Outbox(BaseModel):
    """A workflow's effects still to do and its incidents, handed whole to continue-as-new."""

    rules: EffectRules = EffectRules()
    pending: list[Effect] = []
    incidents: list[Incident] = []

    def open_incidents(self) -> list[Incident]:
        return [i for i in self.incidents if i.status == IncidentStatus.OPEN]

    def incident(self, number: int) -> Incident | None:
        return next((i for i in self.incidents if i.number == number), None)


class IncidentRetry(BaseModel):
    """Staff re-queue an incident's effect once its data or address is corrected."""

    request_id: str
    actor: Actor
    incident_no: int


def check_incident_retry(
    handled_requests: list[str], outbox: Outbox, action: IncidentRetry
) -> None:
    """Bureau staff re-queue an open incident; it runs again under its own key."""
    require_new_request(handled_requests, action.request_id)
    require_role(action.actor, Role.BUREAU_STAFF, Role.ADMINISTRATOR)
    incident = outbox.incident(action.incident_no)
    if incident is None:
        raise ActionRefused(
            f"没有编号为 {action.incident_no} 的故障", f"there is no incident {action.incident_no}"
        )
    if incident.status != IncidentStatus.OPEN:
        raise ActionRefused(
            f"故障 {action.incident_no} 已重新排队，不必再次重试",
            f"incident {action.incident_no} was already re-queued",
        )
