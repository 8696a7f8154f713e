"""The queue of pending effects: every side effect of a workflow, carried out in order.

Handlers and the main loop only `put` effects; one drain per run executes them as
activities, head first (since 1.1 several effects queued together share one activity:
`activities.effects`). Faults that may pass (a connection, a 4xx, a database that is
down) are retried by Temporal with a capped interval, so delivery resumes promptly once
the fault is over, and nothing waits on them but the effects behind. An effect that can
never succeed becomes an incident: staff get one alert, and the drain goes on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.common import OPEN_INCIDENTS

with workflow.unsafe.imports_passed_through():
    from activities.certificate import CertificateActivities
    from activities.effects import EffectActivities
    from activities.email import EmailActivities
    from activities.registry import RegistryActivities
    from domain.effects import (
        Effect,
        EffectBatch,
        EffectKind,
        EffectOutcome,
        Incident,
        IncidentStatus,
        Outbox,
        next_batch,
    )
    from domain.notices import DeliveryStatus, Purpose
    from domain.procedure import Recognition


class EffectQueue:
    def __init__(
        self,
        outbox: Outbox,
        *,
        alert: Callable[[Incident], Effect],
        readdress: Callable[[Effect], Effect],
        certificate_issued: Callable[[Effect, Recognition], None],
        batched: bool = False,
    ) -> None:
        self.outbox = outbox
        self._alert = alert  # the one email to staff about a new incident
        self._readdress = readdress  # a retried notice goes to the alliance's current contacts
        self._certificate_issued = certificate_issued
        self._batched = batched  # runs from 1.1 on: effects queued together, one activity
        rules = outbox.rules
        self._retry = RetryPolicy(maximum_interval=timedelta(seconds=rules.retry_max_seconds))

    def put(self, effect: Effect) -> None:
        self.outbox.pending.append(effect)

    def idle(self) -> bool:
        return not self.outbox.pending

    async def drain(self) -> None:
        """Carry out the effects for as long as the run lives, head of the queue first."""
        while True:
            await workflow.wait_condition(lambda: bool(self.outbox.pending))
            if self._batched:
                await self._carry_out_batch()
                continue
            effect = self.outbox.pending[0]
            try:
                await self._carry_out(effect)
            except ActivityError as err:
                self._fail(effect, _reason(err))
            self.outbox.pending.pop(0)

    def retry(self, number: int, actor_name: str) -> None:
        """Put an incident's effect back in the queue, under its own key."""
        incident = self.outbox.incident(number)
        assert incident is not None  # the update's validator checked it
        incident.status = IncidentStatus.RETRIED
        incident.retried_by = actor_name
        incident.retried_at = workflow.now()
        self.put(self._readdress(incident.effect))
        self._count_incidents()

    async def _carry_out_batch(self) -> None:
        """The effects at the head of the queue in one activity; each outcome is then
        taken as the effect's own activity's would have been."""
        batch = next_batch(self.outbox.pending)
        has_notice = any(e.notice is not None for e in batch)
        try:
            outcomes = await workflow.execute_activity_method(
                EffectActivities.carry_out_effects,
                EffectBatch(effects=batch),
                start_to_close_timeout=sum((self._timeout(e) for e in batch), timedelta()),
                heartbeat_timeout=(
                    timedelta(seconds=self.outbox.rules.heartbeat_seconds) if has_notice else None
                ),
                retry_policy=self._retry,
            )
        except ActivityError as err:  # not retried: every effect of the batch is an incident
            outcomes = [EffectOutcome(key=e.key, error=_reason(err)) for e in batch]
        for effect, outcome in zip(batch, outcomes, strict=True):
            if outcome.error:
                self._fail(effect, outcome.error)
            elif outcome.recognition is not None:
                self._certificate_issued(effect, outcome.recognition)
        del self.outbox.pending[: len(batch)]

    def _timeout(self, effect: Effect) -> timedelta:
        rules = self.outbox.rules
        if effect.notice is not None:
            seconds = rules.email_timeout_seconds
        elif effect.certificate is not None:
            seconds = rules.certificate_timeout_seconds
        else:
            seconds = rules.registry_timeout_seconds
        return timedelta(seconds=seconds)

    async def _carry_out(self, effect: Effect) -> None:
        rules = self.outbox.rules
        if effect.kind == EffectKind.SEND_NOTICE and effect.notice is not None:
            delivery = await workflow.execute_activity_method(
                EmailActivities.send_notice,
                effect.notice,
                start_to_close_timeout=timedelta(seconds=rules.email_timeout_seconds),
                heartbeat_timeout=timedelta(seconds=rules.heartbeat_seconds),
                retry_policy=self._retry,
            )
            if delivery.status in (DeliveryStatus.FAILED, DeliveryStatus.PARTLY_FAILED):
                self._fail(effect, delivery.error)
        elif effect.event is not None:
            await self._write(RegistryActivities.record_event, effect.event)
        elif effect.term_event is not None:
            await self._write(RegistryActivities.record_term_event, effect.term_event)
        elif effect.deadline is not None:  # queued only by runs that batch (1.2)
            await self._write(RegistryActivities.record_deadline, effect.deadline)
        elif effect.kind == EffectKind.ISSUE_CERTIFICATE and effect.certificate is not None:
            recognition = await workflow.execute_activity_method(
                CertificateActivities.issue_certificate,
                effect.certificate,
                start_to_close_timeout=timedelta(seconds=rules.certificate_timeout_seconds),
                retry_policy=self._retry,
            )
            self._certificate_issued(effect, recognition)

    async def _write(self, record: Callable[[Any, Any], Awaitable[bool]], event: Any) -> None:
        """A registry write: the audit entry and read-model rows of one event, or a limit."""
        await workflow.execute_activity_method(
            record,
            event,
            start_to_close_timeout=timedelta(seconds=self.outbox.rules.registry_timeout_seconds),
            retry_policy=self._retry,
        )

    def _fail(self, effect: Effect, error: str) -> None:
        incident = Incident(
            number=len(self.outbox.incidents) + 1,
            effect=effect,
            error=error,
            failed_at=workflow.now(),
        )
        self.outbox.incidents.append(incident)
        self._count_incidents()
        workflow.logger.warning(
            "effect %s became incident %s: %s", effect.key, incident.number, error
        )
        if not _is_alert(effect):  # an alert that fails is listed, never alerted about again
            self.put(self._alert(incident))

    def _count_incidents(self) -> None:
        """AllianceOpenIncidents lets the console list the alliances that need a person."""
        workflow.upsert_search_attributes(
            [OPEN_INCIDENTS.value_set(len(self.outbox.open_incidents()))]
        )


def _is_alert(effect: Effect) -> bool:
    return effect.notice is not None and effect.notice.purpose == Purpose.INCIDENT


def _reason(err: ActivityError) -> str:
    cause = err.cause
    if isinstance(cause, ApplicationError):
        return f"{cause.type or 'error'}: {cause.message}"
    return str(cause or err)
