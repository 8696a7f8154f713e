"""How a step of the five-year term is kept: its registry event, the end of the term's
status, and who its notices go to. Everything is queued in the outbox; nothing here
waits on I/O.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from workflows.alliance import Addressing, AllianceWorkflow
from workflows.common import STATUS

with workflow.unsafe.imports_passed_through():
    from domain.events import TermEvent
    from domain.procedure import Actor, Role
    from domain.term import TermStatus

STAFF = (Role.BUREAU_STAFF,)


class TermRecords(AllianceWorkflow):
    """The term workflow's records; `self.s` is its `TermState`."""

    def _finish(
        self,
        status: TermStatus,
        action: str,
        actor: Actor,
        reason: str,
        certificate: str,
        **fields: Any,
    ) -> None:
        self.s.status = status
        self._search(STATUS.value_set(status.value))
        self._set_next_deadline(None)
        self._record_event(action, actor, reasons=reason, certificate_status=certificate, **fields)

    def _record_event(self, action: str, actor: Actor, **fields: Any) -> None:
        self.s.events_recorded += 1
        workflow_id = workflow.info().workflow_id
        self._record(
            TermEvent(
                key=f"{workflow_id}:term{self.s.term_no}:{self.s.term_start}:"
                f"{self.s.events_recorded}",
                alliance_code=self.s.alliance_code,
                workflow_id=workflow_id,
                actor=actor,
                action=action,
                at=workflow.now(),
                status=self.s.status,
                term_no=self.s.term_no,
                term_start=self.s.term_start,
                term_end=self.s.term_end,
                **fields,
            )
        )

    def _addressing(self) -> Addressing:
        return Addressing(
            key_scope=f"term{self.s.term_no}-{self.s.term_start}",
            alliance_name=self.s.alliance_name,
            emails=self.s.recipient_emails(),
            district=self.s.district,
            context={
                "term_no": self.s.term_no,
                "term_start": self.s.term_start.isoformat(),
                "term_end": self.s.term_end.isoformat(),
            },
        )
