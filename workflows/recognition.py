"""The recognition procedure of article 9, one workflow per alliance (`alliance-<code>`).

Read top to bottom it is the regulation: submission (9.1), district review (9.2), expert
review (9.3), director's office meeting and five-working-day public notice (9.4), and
recognition (9.5): staff record the approval document, dated a working day after the
notice, and the certificate and plaque follow with its number. Each waiting stage has
a time limit in working days (`workflows.stage_clock`). Staff act through updates whose
validators refuse a wrong-state, wrong-role or malformed action before it touches
history; a handler decides, records and queues its effects, and answers at once.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel
from temporalio import workflow

from workflows.common import DISTRICT, LEAD_UNIT, STATUS, validate_with, wait_until
from workflows.stage_clock import StageClocks
from workflows.term import TermInput, TermWorkflow

with workflow.unsafe.imports_passed_through():
    from domain import actions
    from domain.application import Application
    from domain.certificate import first_certificate
    from domain.effects import Effect, Outbox
    from domain.notices import Purpose
    from domain.procedure import (
        FINAL_STAGES,
        STAGE_ACTORS,
        STAGE_ZH,
        SYSTEM_ACTOR,
        ActionResult,
        Actor,
        ApprovalDocument,
        DistrictReview,
        ExpertReview,
        MeetingDecision,
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
    from domain.shanghai_time import at_local, end_of_day
    from domain.term import first_term
    from domain.term_rules import TermRules
    from domain.working_days import REMINDER_HOUR


class RecognitionInput(BaseModel):
    application: Application
    submitted_by: Actor
    first_version: int = 1  # continues the numbering of an earlier, ended application
    alliance_code: str  # 联盟编号, assigned by the registry (registry.alliance_codes)
    rules: ProcedureRules = ProcedureRules()
    term_rules: TermRules = TermRules()
    state: ProcedureState | None = None  # set when continuing as new
    outbox: Outbox | None = None


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
            alliance_code=inp.alliance_code,
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
        self._search(
            STATUS.value_set(self.s.stage.value),
            DISTRICT.value_set(self.s.application.district.value),
            LEAD_UNIT.value_set(self.s.application.lead_unit_code()),
        )
        self._start_drain()
        while self.s.stage not in FINAL_STAGES:
            if self.s.stage == Stage.PUBLIC_NOTICE:
                await self._public_notice()
            elif self.s.stage == Stage.APPROVAL:
                await self._approval()
            else:
                await self._wait_for_action()
            if workflow.info().is_continue_as_new_suggested() and self.s.stage not in FINAL_STAGES:
                await self._settle()
                workflow.continue_as_new(
                    RecognitionInput(
                        alliance_code=self.s.alliance_code,
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
                TermInput(state=first_term(self.s, workflow.now()), outbox=self.effects.outbox),
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
            self._set_next_deadline(end_of_day(window.end), on_staff=False)
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
            self._enter(Stage.APPROVAL)
            self._record_event("public_notice.ended", SYSTEM_ACTOR, **self._notice_closed())

    async def _approval(self) -> None:
        """9.5 下达批复文件: staff record the approval document (`record_approval`), dated a
        working day after the notice; or, when the rules say so, the system numbers it at
        09:00 on the first working day after the notice, with nobody deciding."""
        visit = self.s.stage_visit
        left = lambda: self.s.stage_visit != visit  # noqa: E731
        plan = self.s.approval_plan
        if plan is None or self.calendar_signalled:
            # Read again when a holiday year is loaded: later dates can then be checked.
            plan = await self._plan_with_calendar(
                STAGE_ZH[Stage.APPROVAL], left, self._approval_plan
            )
            if plan is None or left():
                return
            self.s.approval_plan = plan
        if self.s.rules.approval_numbered_by_system:
            numbering_at = at_local(plan.numbering_day, REMINDER_HOUR)
            self._set_next_deadline(numbering_at, on_staff=False)
            if not await wait_until(numbering_at, left):
                self._numbered_by_system(plan.numbering_day)
            return
        clock = await self._stage_clock(Stage.APPROVAL, visit)
        if clock is not None:
            done = lambda: left() or self.calendar_signalled  # noqa: E731
            await self._run_clock(clock, done, STAGE_ACTORS[Stage.APPROVAL])

    def _numbered_by_system(self, on: date) -> None:
        """9.5: the counter numbers an approval document of day `on`; the certificate's
        numbers come back through `_certificate_issued`."""
        self._enter(Stage.RECOGNISED)
        self._issue_certificate(first_certificate(self.s, on))

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
            approval_document_date=recognition.recognised_on.isoformat(),
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
            self._decide(stage, Stage.EXPERT_REVIEW, "recommend", action.actor, action.reasons)
            self._notify_progress(stage, Stage.EXPERT_REVIEW)
        elif action.outcome == ReviewOutcome.RETURN:
            self._decide(stage, Stage.CORRECTION, "return", action.actor, action.reasons)
        else:
            self._reject(stage, "reject", action.actor, action.reasons)
        return self._result()

    validate_with(district_review, actions.check_district_review)

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

    validate_with(resubmit, actions.check_resubmission)

    @workflow.update
    def expert_review(self, action: ExpertReview) -> ActionResult:
        """9.3 专家评审 by the commissioned third party: panel, scores, opinions, pass or fail."""
        self._accept(action.request_id, lambda: actions.check_expert_review(self.s, action))
        stage, detail = Stage.EXPERT_REVIEW, action.detail()
        if action.passed:
            self._decide(stage, Stage.DIRECTOR_MEETING, "pass", action.actor, "", detail=detail)
            self._notify_progress(stage, Stage.DIRECTOR_MEETING)
        else:
            reasons = f"{action.necessity_opinion}；{action.feasibility_opinion}"
            self._reject(stage, "fail", action.actor, reasons, detail=detail)
        return self._result()

    validate_with(expert_review, actions.check_expert_review)

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
            self._decide(
                stage, Stage.PUBLIC_NOTICE, "approve", action.actor, action.reasons, detail=detail
            )
        else:
            self._reject(stage, "reject", action.actor, action.reasons, detail=detail)
        return self._result()

    validate_with(meeting_decision, actions.check_meeting_decision, dated=True)

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
            tracking_number=filing.tracking_number,
            letter=filing.letter,
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

    validate_with(file_objection, actions.check_objection, dated=True)

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

    validate_with(resolve_objection, actions.check_objection_resolution)

    @workflow.update
    def record_approval(self, action: ApprovalDocument) -> ActionResult:
        """9.5 批复文件: staff record its number and date. The certificate and plaque follow
        with that number; the alliance is recognised, and its term starts, on that date."""
        now = workflow.now()
        self._accept(action.request_id, lambda: actions.check_approval(self.s, action, now))
        detail = {
            "document_number": action.document_number,
            "document_date": action.document_date.isoformat(),
        }
        self._decide(Stage.APPROVAL, Stage.RECOGNISED, "recorded", action.actor, "", detail=detail)
        self._issue_certificate(
            first_certificate(self.s, action.document_date, action.document_number)
        )
        return self._result()

    validate_with(record_approval, actions.check_approval, dated=True)

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

    validate_with(withdraw, actions.check_withdrawal)

    @workflow.signal
    def calendar_loaded(self) -> None:
        """An operator loaded a holiday year: a step waiting for it re-checks now."""
        self.calendar_signalled = True

    @workflow.query
    def state(self) -> ProcedureState:
        return self.s
