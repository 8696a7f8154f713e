"""What both workflows of an alliance share: the outbox, requests acted on once, notices.

`RecognitionWorkflow` and `TermWorkflow` derive from `AllianceWorkflow`. A handler checks
the action, records the decision in the state and puts its effects in the outbox; it
never waits on I/O, so staff get their answer whatever the state of SMTP or the registry.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

from workflows.common import NEXT_DEADLINE, refuse_unless, remember_request
from workflows.effects import EffectQueue

with workflow.unsafe.imports_passed_through():
    from domain.certificate import CertificateRequest
    from domain.districts import DISTRICT_ZH, District
    from domain.effects import (
        EFFECT_KIND_ZH,
        DeadlineRecord,
        Effect,
        EffectKind,
        Incident,
        IncidentRetry,
        Outbox,
        check_incident_retry,
    )
    from domain.events import ProcedureEvent, TermEvent
    from domain.notices import Notice, Purpose
    from domain.procedure import Recognition, Role


# Since 1.1: effects queued together share one activity, search attributes are set once
# per workflow task, and the term keeps one timer across the New Year.
FEWER_ACTIONS = "fewer-actions"
# Since 1.2: the staff's time limit goes to the registry with the step's effects (the
# inbox reads it there).
DEADLINES_IN_REGISTRY = "deadlines-in-registry"


@dataclass
class Addressing:
    """Who an alliance's notices go to, and what every notice of this run says."""

    key_scope: str  # tells this run's notices apart from an earlier application's or term's
    alliance_name: str
    emails: list[str]
    district: District
    context: dict[str, Any] = field(default_factory=dict)


class AllianceWorkflow:
    """Subclasses set `self.s` (their state), call `_open_outbox` in `__init__` and give
    `_addressing` and `_certificate_issued`."""

    s: Any  # ProcedureState or TermState: alliance_code, handled_requests, next_deadline
    effects: EffectQueue
    lean: bool  # this run takes the 1.1 commands (`FEWER_ACTIONS`)
    registry_deadlines: bool  # and the 1.2 ones (`DEADLINES_IN_REGISTRY`)
    _addressing: Callable[[], Addressing]
    _certificate_issued: Callable[[Effect, Recognition], None]

    def _open_outbox(self, outbox: Outbox | None) -> None:
        # A run begun before 1.1 replays and goes on with the commands it was begun with.
        self.lean = workflow.patched(FEWER_ACTIONS)
        self.registry_deadlines = self.lean and workflow.patched(DEADLINES_IN_REGISTRY)
        self._search_pending: dict[str, SearchAttributeUpdate] = {}
        self.effects = EffectQueue(
            outbox or Outbox(),
            alert=self._incident_alert,
            readdress=self._readdress,
            certificate_issued=self._certificate_issued,
            batched=self.lean,
        )

    def _start_drain(self) -> None:
        self._drain = asyncio.create_task(self.effects.drain())  # kept: a task needs a holder
        if self.lean:
            self._searcher = asyncio.create_task(self._write_search_attributes())

    # ------------------------------------------------------------------ search attributes

    def _search(self, *updates: SearchAttributeUpdate) -> None:
        """Set search attributes. A lean run gathers what one workflow task changes into
        one upsert (one billable action) and leaves out values that are already set, such
        as those a continued run inherits."""
        if not self.lean:
            workflow.upsert_search_attributes(list(updates))
            return
        for update in updates:
            self._search_pending[update.key.name] = update

    async def _write_search_attributes(self) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self._search_pending))
            self._flush_search()

    def _flush_search(self) -> None:
        current = workflow.info().typed_search_attributes
        changes = [u for u in self._search_pending.values() if current.get(u.key) != u.value]
        self._search_pending = {}
        if changes:
            workflow.upsert_search_attributes(changes)

    async def _settle(self) -> None:
        """Before the run continues as new: no message half-handled and every queued effect
        done, so an action's answer and its effects belong to the run that took it."""
        await workflow.wait_condition(
            lambda: self.effects.idle() and workflow.all_handlers_finished()
        )
        if self.lean:
            self._flush_search()

    async def _finish_effects(self) -> None:
        """Before the workflow ends: every effect done, no handler running, and open
        incidents given time to be retried (a closed workflow takes no retry)."""
        await self._settle()
        if self.effects.outbox.open_incidents():
            hold = timedelta(days=self.effects.outbox.rules.ended_incident_days)
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: not self.effects.outbox.open_incidents(), timeout=hold
                )
            await self._settle()

    # ------------------------------------------------------------------ messages

    @workflow.query
    def outbox(self) -> Outbox:
        """Effects still to do, and the incidents staff must look at."""
        return self.effects.outbox

    @workflow.update
    def retry_incident(self, action: IncidentRetry) -> int:
        """Staff re-queue an incident's effect after correcting its data or address."""
        self._accept(action.request_id, lambda: self._check_retry(action))
        self.effects.retry(action.incident_no, action.actor.name)
        return len(self.effects.outbox.pending)

    @retry_incident.validator
    def _validate_retry_incident(self, action: IncidentRetry) -> None:
        refuse_unless(lambda: self._check_retry(action))

    def _check_retry(self, action: IncidentRetry) -> None:
        check_incident_retry(self.s.handled_requests, self.effects.outbox, action)

    # ------------------------------------------------------------------ for subclasses

    def _accept(self, request_id: str, check: Callable[[], None]) -> None:
        """Check once more as the handler runs, then remember the request: it acts once."""
        refuse_unless(check)
        self.s.handled_requests = remember_request(self.s.handled_requests, request_id)

    def _record(self, event: ProcedureEvent | TermEvent) -> None:
        kind = (
            EffectKind.RECORD_EVENT
            if isinstance(event, ProcedureEvent)
            else EffectKind.RECORD_TERM_EVENT
        )
        self.effects.put(
            Effect(
                key=event.key,
                kind=kind,
                queued_at=workflow.now(),
                event=event if isinstance(event, ProcedureEvent) else None,
                term_event=event if isinstance(event, TermEvent) else None,
            )
        )

    def _notify(self, purpose: Purpose, period: str, **options: Any) -> None:
        """Queue one notice; its key (alliance, run, purpose, period) makes it go out once."""
        self.effects.put(self._notice(purpose, period, **options))

    def _notice(
        self,
        purpose: Purpose,
        period: str,
        *,
        to_alliance: bool = False,
        to_roles: Sequence[Role] = (),
        attachments: Sequence[int] = (),
        **context: Any,
    ) -> Effect:
        about = self._addressing()
        notice = Notice(
            key=f"{self.s.alliance_code}:{about.key_scope}:{purpose.value}:{period}",
            alliance_code=self.s.alliance_code,
            purpose=purpose,
            to_emails=about.emails if to_alliance else [],
            to_roles=list(to_roles),
            district=about.district,
            attachment_document_ids=list(attachments),
            context={
                "alliance_name": about.alliance_name,
                "alliance_code": self.s.alliance_code,
                "district": about.district.value,
                "district_name": DISTRICT_ZH[about.district],
                **about.context,
                **context,
            },
        )
        return Effect(
            key=notice.key,
            kind=EffectKind.SEND_NOTICE,
            queued_at=workflow.now(),
            notice=notice,
            to_alliance=to_alliance,
        )

    def _issue_certificate(self, request: CertificateRequest) -> None:
        key = f"{request.alliance_code}:certificate:term{request.term}"
        self._put(key, EffectKind.ISSUE_CERTIFICATE, certificate=request)

    def _put(self, key: str, kind: EffectKind, **payload: Any) -> None:
        self.effects.put(Effect(key=key, kind=kind, queued_at=workflow.now(), **payload))

    def _set_next_deadline(self, deadline: datetime | None, on_staff: bool = True) -> None:
        """Keep the AllianceNextDeadline search attribute in step with the state, and (1.2)
        the registry's limit for the inbox: the same, or none when it binds no one on the
        staff (`on_staff` False: the public notice's end, the system numbering the
        approval document)."""
        changed = deadline != self.s.next_deadline
        if changed:
            self.s.next_deadline = deadline
            self._search(
                NEXT_DEADLINE.value_set(deadline) if deadline else NEXT_DEADLINE.value_unset()
            )
        if self.registry_deadlines and (changed or not self.s.deadline_recorded):
            # A run carrying a limit from a run begun before 1.2 writes it once, too.
            record = DeadlineRecord(
                alliance_code=self.s.alliance_code,
                deadline=deadline if on_staff else None,
                as_of=workflow.now(),
            )
            key = f"{self.s.alliance_code}:deadline:{workflow.now().isoformat()}:{deadline}"
            self._put(key, EffectKind.RECORD_DEADLINE, deadline=record)
            self.s.deadline_recorded = True

    # ------------------------------------------------------------------ incidents

    def _incident_alert(self, incident: Incident) -> Effect:
        return self._notice(
            Purpose.INCIDENT,
            f"incident{incident.number}",
            to_roles=[Role.BUREAU_STAFF],
            incident_no=incident.number,
            effect_name=EFFECT_KIND_ZH[incident.effect.kind],
            effect_summary=incident.effect.summary(),
            effect_summary_en=incident.effect.summary_en(),
            error=incident.error,
        )

    def _readdress(self, effect: Effect) -> Effect:
        if effect.notice is None or not effect.to_alliance:
            return effect
        notice = effect.notice.model_copy(update={"to_emails": self._addressing().emails})
        return effect.model_copy(update={"notice": notice})
