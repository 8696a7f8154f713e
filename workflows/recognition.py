"""The recognition procedure of article 9, one workflow per alliance (`alliance-<code>`).

Read top to bottom it is the regulation: submission (9.1), district review (9.2), expert
review (9.3), director's office meeting and five-working-day public notice (9.4), and
recognition with approval document, certificate and plaque (9.5). Each waiting stage has
a time limit in working days (`workflows.stage_clock`). Staff act through updates whose
validators refuse a wrong-state, wrong-role or malformed action before it touches
history; a handler decides, records and queues its effects, and answers at once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import workflow

from workflows.alliance import Addressing
from workflows.common import DISTRICT, SHORT, STATUS, refuse_unless, wait_until
from workflows.stage_clock import StageClocks
from workflows.term import TermInput, TermWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from domain import actions
    from domain.application import Application
    from domain.certificate import CertificateRequest
    from domain.districts import DISTRICT_ZH
    from domain.effects import Effect, Outbox
    from domain.events import ProcedureEvent
    from domain.notices import Purpose
    from domain.procedure import (
        FINAL_STAGES,
        STAGE_ACTORS,
        STAGE_ZH,
        SYSTEM_ACTOR,
        Actor,
        Decision,
        DistrictReview,
        ExpertReview,
        MeetingDecision,
        NoticeWindow,
        Objection,
        ObjectionFiling,
        ObjectionResolution,
        ObjectionStatus,
        ProcedureState,
        Recognition,
        Resubmission,
        ReviewOutcome,
        Role,
        Stage,
        Withdrawal,
    )
    from domain.rules import ProcedureRules
    from domain.shanghai_time import end_of_day, local_date
    from domain.term import TermState
    from domain.term_rules import TermRules
    from domain.working_days import PublicNoticeRequest


class RecognitionInput(BaseModel):
    application: Application
    submitted_by: Actor
    first_version: int = 1  # continues the numbering of an earlier, ended application
    rules: ProcedureRules = ProcedureRules()
    term_rules: TermRules = TermRules()
    state: ProcedureState | None = None  # set when continuing as new
    outbox: Outbox | None = None


class ActionResult(BaseModel):
    stage: Stage
    message: str


class RecognitionResult(BaseModel):
    alliance_code: str
    stage: Stage
    recognition: Recognition | None = None


@workflow.defn
class RecognitionWorkflow(StageClocks):
    @workflow.init
    def __init__(self, inp: RecognitionInput) -> None:
        now = workflow.now()
        self.s = inp.state or ProcedureState(
            alliance_code=inp.application.alliance_code(),
            application=inp.application,
            application_version=inp.first_version,
            submitted_at=now,
            stage_entered_at=now,
            rules=inp.rules,
            term_rules=inp.term_rules,
        )
        self.submitted_by = inp.submitted_by
        self.calendar_signalled = False
        self._open_outbox(inp.outbox)
        if inp.state is None:
            self._submit()

    # ------------------------------------------------------------------ the procedure

    @workflow.run
    async def run(self, inp: RecognitionInput) -> RecognitionResult:
        workflow.upsert_search_attributes(
            [
                STATUS.value_set(self.s.stage.value),
                DISTRICT.value_set(self.s.application.district.value),
            ]
        )
        self._start_drain()
        while self.s.stage not in FINAL_STAGES:
            if self.s.stage == Stage.PUBLIC_NOTICE:
                await self._public_notice()
            else:
                await self._wait_for_action()
            if workflow.info().is_continue_as_new_suggested() and self.s.stage not in FINAL_STAGES:
                await self._settle()
                workflow.continue_as_new(
                    RecognitionInput(
                        application=self.s.application,
                        submitted_by=self.submitted_by,
                        state=self.s,
                        outbox=self.effects.outbox,
                    )
                )
        if self.s.stage == Stage.RECOGNISED:
            # Article 11: once the certificate is issued the same id carries the term.
            await workflow.wait_condition(lambda: self.s.recognition is not None)
            await self._settle()
            workflow.continue_as_new(
                TermInput(
                    state=term_state_after(self.s, workflow.now()), outbox=self.effects.outbox
                ),
                workflow=TermWorkflow.run,
            )
        await self._finish_effects()
        return RecognitionResult(
            alliance_code=self.s.alliance_code, stage=self.s.stage, recognition=self.s.recognition
        )

    def _submit(self) -> None:
        """9.1: the lead unit's application opens the procedure; a receipt goes out."""
        self._record_event(
            "submitted",
            self.submitted_by,
            application=self.s.application,
            application_version=self.s.application_version,
        )
        self._receipt()

    async def _wait_for_action(self) -> None:
        """Wait for the action of this stage, reminding and escalating on its time limit."""
        stage, visit = self.s.stage, self.s.stage_visit
        clock = await self._stage_clock(stage, visit)
        if clock is not None:
            await self._run_clock(clock, lambda: self.s.stage_visit != visit, STAGE_ACTORS[stage])

    async def _public_notice(self) -> None:
        """9.4: five working days of public notice; then every objection must be resolved."""
        visit = self.s.stage_visit
        left = lambda: self.s.stage_visit != visit  # noqa: E731
        if self.s.notice is None:
            window = await self._plan_with_calendar("公示", left, self._notice_window)
            if window is None or left():
                return
            self.s.notice = window
            self._set_next_deadline(end_of_day(window.end))
            self._record_event("public_notice.published", SYSTEM_ACTOR, notice=window)
            self._notify(
                Purpose.NOTICE_PUBLISHED,
                "notice",
                to_alliance=True,
                notice_start=window.start.isoformat(),
                notice_end=window.end.isoformat(),
            )
        # The window closes at 23:59:59 of its last day; decide only once it has fully ended.
        notice_end = end_of_day(self.s.notice.end) + timedelta(seconds=1)
        if await wait_until(notice_end, left):
            return
        if self.s.open_objections():
            clock = await self._stage_clock(
                Stage.PUBLIC_NOTICE,
                visit,
                start=notice_end,
                working_days=self.s.rules.objection_resolution_days,
            )
            if clock is None:
                return
            done = lambda: left() or not self.s.open_objections()  # noqa: E731
            await self._run_clock(clock, done, frozenset({Role.BUREAU_STAFF}))
        if not left():
            self._recognise()

    def _recognise(self) -> None:
        """9.5: recognised; the certificate's numbers come back through `_certificate_issued`."""
        app = self.s.application
        self._enter(Stage.RECOGNISED)
        self._issue_certificate(
            CertificateRequest(
                alliance_code=self.s.alliance_code,
                alliance_name=app.alliance_name,
                lead_unit=app.lead_unit,
                members=[m.name for m in app.members],
                district_name=DISTRICT_ZH[app.district],
                recognised_on=local_date(workflow.now()),
            )
        )

    def _certificate_issued(self, effect: Effect, recognition: Recognition) -> None:
        """Approval document, certificate and plaque: the alliance and its district are told."""
        self.s.recognition = recognition
        self._record_event(
            "recognised", SYSTEM_ACTOR, recognition=recognition, **self._notice_closed()
        )
        self._notify(
            Purpose.RECOGNISED,
            "term1",
            to_alliance=True,
            to_roles=[Role.DISTRICT_REVIEWER],
            attachments=[recognition.certificate_document_id],
            approval_document_number=recognition.approval_document_number,
            certificate_serial=recognition.certificate_serial,
            plaque_number=recognition.plaque_number,
            recognised_on=recognition.recognised_on.isoformat(),
            valid_until=recognition.valid_until.isoformat(),
        )

    # ------------------------------------------------------------------ staff actions

    @workflow.update
    def district_review(self, action: DistrictReview) -> ActionResult:
        """9.2 审查推荐: recommend, return for correction, or reject."""
        self._accept(action.request_id, lambda: actions.check_district_review(self.s, action))
        stage = Stage.DISTRICT_REVIEW
        if action.outcome == ReviewOutcome.RECOMMEND:
            self._decide(stage, Stage.EXPERT_REVIEW, "recommend", action.actor, "")
            self._notify_progress(stage, Stage.EXPERT_REVIEW)
        elif action.outcome == ReviewOutcome.RETURN:
            self._decide(stage, Stage.CORRECTION, "return", action.actor, action.reasons)
        else:
            self._reject(stage, "reject", action.actor, action.reasons)
        return self._result()

    @district_review.validator
    def _validate_district_review(self, action: DistrictReview) -> None:
        refuse_unless(lambda: actions.check_district_review(self.s, action))

    @workflow.update
    def resubmit(self, action: Resubmission) -> ActionResult:
        """The applicant's corrected application; both versions are kept."""
        self._accept(action.request_id, lambda: actions.check_resubmission(self.s, action))
        self.s.application = action.application
        self.s.application_version += 1
        self._decide(
            Stage.CORRECTION,
            Stage.DISTRICT_REVIEW,
            "resubmitted",
            action.actor,
            action.note,
            application=action.application,
            application_version=self.s.application_version,
        )
        self._receipt()
        return self._result()

    @resubmit.validator
    def _validate_resubmit(self, action: Resubmission) -> None:
        refuse_unless(lambda: actions.check_resubmission(self.s, action))

    @workflow.update
    def expert_review(self, action: ExpertReview) -> ActionResult:
        """9.3 专家评审 by the commissioned third party: panel, scores, opinions, pass or fail."""
        self._accept(action.request_id, lambda: actions.check_expert_review(self.s, action))
        stage = Stage.EXPERT_REVIEW
        scores = [e.score for e in action.panel]
        detail = {
            "organisation": action.organisation,
            "panel": [e.model_dump() for e in action.panel],
            "average_score": round(sum(scores) / len(scores), 2),
            "necessity_opinion": action.necessity_opinion,
            "feasibility_opinion": action.feasibility_opinion,
        }
        if action.passed:
            self._decide(stage, Stage.DIRECTOR_MEETING, "pass", action.actor, "", detail=detail)
            self._notify_progress(stage, Stage.DIRECTOR_MEETING)
        else:
            reasons = f"{action.necessity_opinion}；{action.feasibility_opinion}"
            self._reject(stage, "fail", action.actor, reasons, detail=detail)
        return self._result()

    @expert_review.validator
    def _validate_expert_review(self, action: ExpertReview) -> None:
        refuse_unless(lambda: actions.check_expert_review(self.s, action))

    @workflow.update
    def meeting_decision(self, action: MeetingDecision) -> ActionResult:
        """9.4 局长办公会: approval opens the public notice; rejection ends the procedure."""
        now = workflow.now()
        self._accept(action.request_id, lambda: actions.check_meeting_decision(self.s, action, now))
        stage = Stage.DIRECTOR_MEETING
        detail = {
            "meeting_number": action.meeting_number,
            "meeting_date": action.meeting_date.isoformat(),
            "notice_start": action.notice_start.isoformat() if action.notice_start else None,
        }
        if action.approved:
            self._decide(stage, Stage.PUBLIC_NOTICE, "approve", action.actor, "", detail=detail)
        else:
            self._reject(stage, "reject", action.actor, action.reasons, detail=detail)
        return self._result()

    @meeting_decision.validator
    def _validate_meeting_decision(self, action: MeetingDecision) -> None:
        refuse_unless(lambda: actions.check_meeting_decision(self.s, action, workflow.now()))

    @workflow.update
    def file_objection(self, filing: ObjectionFiling) -> int:
        """A written, real-name objection during the notice; returns its number."""
        now = workflow.now()
        self._accept(filing.request_id, lambda: actions.check_objection(self.s, filing, now))
        objection = Objection(
            number=len(self.s.objections) + 1,
            name=filing.name,
            organisation=filing.organisation,
            contact=filing.contact,
            text=filing.text,
            filed_at=now,
        )
        self.s.objections.append(objection)
        public = Actor(name=filing.name, role=Role.PUBLIC)
        self._record_event("objection.filed", public, objection=objection)
        self._notify(
            Purpose.OBJECTION_RECEIVED,
            f"objection{objection.number}",
            to_roles=[Role.BUREAU_STAFF],
            objection_no=objection.number,
            objector_name=filing.name,
            objector_organisation=filing.organisation,
            objection_text=filing.text,
            notice_end=self.s.notice.end.isoformat() if self.s.notice else None,
        )
        return objection.number

    @file_objection.validator
    def _validate_file_objection(self, filing: ObjectionFiling) -> None:
        refuse_unless(lambda: actions.check_objection(self.s, filing, workflow.now()))

    @workflow.update
    def resolve_objection(self, action: ObjectionResolution) -> ActionResult:
        """Staff uphold an objection (the application is rejected) or dismiss it."""
        self._accept(action.request_id, lambda: actions.check_objection_resolution(self.s, action))
        objection = next(o for o in self.s.objections if o.number == action.objection_no)
        objection.status = ObjectionStatus.UPHELD if action.upheld else ObjectionStatus.DISMISSED
        objection.resolution = action.reason
        self._record_event(
            f"objection.{objection.status.value}",
            action.actor,
            reasons=action.reason,
            objection=objection,
        )
        self._notify(
            Purpose.OBJECTION_RESOLVED,
            f"objection{objection.number}",
            to_alliance=True,
            to_roles=[Role.BUREAU_STAFF],
            objection_no=objection.number,
            upheld=action.upheld,
            reason=action.reason,
        )
        if action.upheld:
            self._reject(Stage.PUBLIC_NOTICE, "objection_upheld", action.actor, action.reason)
        return self._result()

    @resolve_objection.validator
    def _validate_resolve_objection(self, action: ObjectionResolution) -> None:
        refuse_unless(lambda: actions.check_objection_resolution(self.s, action))

    @workflow.update
    def withdraw(self, action: Withdrawal) -> ActionResult:
        """The applicant may withdraw at any stage before recognition."""
        self._accept(action.request_id, lambda: actions.check_withdrawal(self.s, action))
        from_stage = self.s.stage
        self._decide(from_stage, Stage.WITHDRAWN, "withdraw", action.actor, action.reason)
        self._notify(
            Purpose.WITHDRAWN,
            "withdrawn",
            to_alliance=True,
            to_roles=[Role.BUREAU_STAFF, Role.DISTRICT_REVIEWER],
            reason=action.reason,
            stage_name=STAGE_ZH[from_stage],
        )
        return self._result()

    @withdraw.validator
    def _validate_withdraw(self, action: Withdrawal) -> None:
        refuse_unless(lambda: actions.check_withdrawal(self.s, action))

    @workflow.signal
    def calendar_loaded(self) -> None:
        """An operator loaded a holiday year: a step waiting for it re-checks now."""
        self.calendar_signalled = True

    @workflow.query
    def state(self) -> ProcedureState:
        return self.s

    # ------------------------------------------------------------------ decisions and records

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
        workflow.upsert_search_attributes([STATUS.value_set(stage.value)])
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

    async def _notice_window(self) -> NoticeWindow:
        approval = self.s.decisions[-1]
        requested = approval.detail.get("notice_start")
        tomorrow = local_date(workflow.now()) + timedelta(days=1)
        # A requested start already behind us (the calendar was missing) moves to tomorrow.
        earliest = max(date.fromisoformat(requested), tomorrow) if requested else tomorrow
        return await workflow.execute_activity_method(
            CalendarActivities.plan_public_notice,
            PublicNoticeRequest(earliest_start=earliest),
            start_to_close_timeout=SHORT,
        )


def term_state_after(procedure: ProcedureState, now: datetime) -> TermState:
    """The first term of a just-recognised alliance: five years from recognition."""
    app, recognition = procedure.application, procedure.recognition
    assert recognition is not None  # the run waits for the certificate before the term
    return TermState(
        alliance_code=procedure.alliance_code,
        alliance_name=app.alliance_name,
        district=app.district,
        lead_unit=app.lead_unit,
        members=app.members,
        contacts=app.contacts,
        term_start=recognition.recognised_on,
        term_end=recognition.valid_until,
        tracking_from=now,
        rules=procedure.term_rules,
    )
