"""How a decision of the article-9 procedure is kept: the stage it moves to, the decision
record, the registry event and the notices that announce it. Everything is queued in the
outbox; nothing here waits on I/O.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from workflows.alliance import Addressing, AllianceWorkflow
from workflows.common import STATUS

with workflow.unsafe.imports_passed_through():
    from domain.events import ProcedureEvent
    from domain.notices import Purpose
    from domain.procedure import FINAL_STAGES, STAGE_ZH, ActionResult, Actor, Decision, Stage


class ProcedureRecords(AllianceWorkflow):
    """The recognition workflow's records; `self.s` is its `ProcedureState`."""

    def _result(self) -> ActionResult:
        return ActionResult(stage=self.s.stage, message=STAGE_ZH[self.s.stage])

    def _decide(
        self,
        from_stage: Stage,
        to_stage: Stage,
        outcome: str,
        actor: Actor,
        reasons: str,
        detail: dict | None = None,
        **event_fields: Any,
    ) -> None:
        action = f"{from_stage.value}.{outcome}"
        now = workflow.now()
        self.s.decisions.append(
            Decision(
                stage=from_stage,
                action=action,
                actor=actor,
                at=now,
                reasons=reasons,
                detail=detail or {},
            )
        )
        self._enter(to_stage)
        if to_stage in FINAL_STAGES:
            event_fields.update(self._notice_closed())
        self._record_event(
            action,
            actor,
            reasons=reasons,
            detail={"decided_stage": from_stage.value, **(detail or {})},
            is_decision=True,
            **event_fields,
        )

    def _reject(
        self, from_stage: Stage, outcome: str, actor: Actor, reasons: str, **event_fields: Any
    ) -> None:
        self._decide(from_stage, Stage.REJECTED, outcome, actor, reasons, **event_fields)
        self._notify(
            Purpose.REJECTED,
            "rejected",
            to_alliance=True,
            stage_name=STAGE_ZH[from_stage],
            reasons=reasons,
        )

    def _enter(self, stage: Stage) -> None:
        self.s.stage = stage
        self.s.stage_entered_at = workflow.now()
        self.s.clock = None
        self.s.stage_visit += 1
        self._search(STATUS.value_set(stage.value))
        self._set_next_deadline(None)

    def _notice_closed(self) -> dict[str, Any]:
        """The public notice, if there was one, is shown closed once the procedure ends."""
        return {} if self.s.notice is None else {"notice": self.s.notice, "notice_status": "closed"}

    def _record_event(self, action: str, actor: Actor, **fields: Any) -> None:
        self.s.events_recorded += 1
        workflow_id = workflow.info().workflow_id
        self._record(
            ProcedureEvent(
                key=f"{workflow_id}:{self._chain()}:{self.s.events_recorded}",
                alliance_code=self.s.alliance_code,
                workflow_id=workflow_id,
                actor=actor,
                action=action,
                at=workflow.now(),
                stage=self.s.stage,
                **fields,
            )
        )

    def _receipt(self) -> None:
        version = self.s.application_version
        self._notify(
            Purpose.APPLICATION_RECEIVED,
            f"v{version}",
            to_alliance=True,
            version=version,
            submitted_at=workflow.now().isoformat(),
        )

    def _notify_progress(self, passed: Stage, next_stage: Stage) -> None:
        self._notify(
            Purpose.PROGRESS,
            f"{passed.value}.{self.s.stage_visit}",
            to_alliance=True,
            stage_name=STAGE_ZH[passed],
            next_stage_name=STAGE_ZH[next_stage],
        )

    def _addressing(self) -> Addressing:
        app = self.s.application
        return Addressing(
            key_scope=self._chain(),
            alliance_name=app.alliance_name,
            emails=app.recipient_emails(),
            district=app.district,
        )

    def _chain(self) -> str:
        """Tells this application apart from an earlier one of the same alliance."""
        return self.s.submitted_at.strftime("%Y%m%dT%H%M%S")
