"""The recognition procedure of article 9, one workflow per alliance (`alliance-<code>`).

Read top to bottom it is the regulation: submission (9.1), district review (9.2), expert
review (9.3), director's office meeting and five-working-day public notice (9.4), and
recognition with approval document, certificate and plaque (9.5). Each waiting stage has
a time limit in working days with a reminder to whoever must act and escalation to
bureau staff once it has passed. Staff act through updates whose validators refuse a
wrong-state, wrong-role or malformed action before it touches history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.common import (
    DISTRICT,
    NEXT_DEADLINE,
    SHORT,
    STATUS,
    refuse_unless,
    remember_request,
    send,
    wait_until,
)
from workflows.term import TermInput, TermWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from activities.certificate import CertificateActivities
    from activities.registry import RegistryActivities
    from domain import actions
    from domain.application import Application
    from domain.certificate import CertificateRequest
    from domain.districts import DISTRICT_ZH
    from domain.events import ProcedureEvent
    from domain.notices import Notice, Purpose
    from domain.procedure import (
        FINAL_STAGES,
        ROLE_ZH,
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
        ProcedureState,
        Recognition,
        Resubmission,
        ReviewOutcome,
        Role,
        Stage,
        StageClock,
        Withdrawal,
    )
    from domain.rules import ProcedureRules
    from domain.shanghai_time import end_of_day, local_date
    from domain.term import TermState
    from domain.term_rules import TermRules
    from domain.working_days import PublicNoticeRequest, StageClockRequest


CONTINUE_INTO_TERM = "continue-into-term"  # recognised procedures before it just ended


class RecognitionInput(BaseModel):
    application: Application
    submitted_by: Actor
    first_version: int = 1  # continues the numbering of an earlier, ended application
    rules: ProcedureRules = ProcedureRules()
    term_rules: TermRules = TermRules()
    state: ProcedureState | None = None  # set when continuing as new


class ActionResult(BaseModel):
    stage: Stage
    message: str


class RecognitionResult(BaseModel):
    alliance_code: str
    stage: Stage
    recognition: Recognition | None = None


@workflow.defn
class RecognitionWorkflow:
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
        self.lock = asyncio.Lock()
        self.calendar_signalled = False

    # ------------------------------------------------------------------ the procedure

    @workflow.run
    async def run(self, inp: RecognitionInput) -> RecognitionResult:
        workflow.upsert_search_attributes(
            [
                STATUS.value_set(self.s.stage.value),
                DISTRICT.value_set(self.s.application.district.value),
            ]
        )
        if not self.s.submission_recorded:
            await self._submit()
        while self.s.stage not in FINAL_STAGES:
            if self.s.stage == Stage.PUBLIC_NOTICE:
                await self._public_notice()
            else:
                await self._wait_for_action()
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self.s.stage not in FINAL_STAGES:
                    workflow.continue_as_new(
                        RecognitionInput(
                            application=self.s.application,
                            submitted_by=self.submitted_by,
                            state=self.s,
                        )
                    )
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.s.stage == Stage.RECOGNISED and workflow.patched(CONTINUE_INTO_TERM):
            # Article 11: the same workflow id now carries the five-year term.
            workflow.continue_as_new(
                TermInput(state=term_state_after(self.s, workflow.now())),
                workflow=TermWorkflow.run,
            )
        return RecognitionResult(
            alliance_code=self.s.alliance_code, stage=self.s.stage, recognition=self.s.recognition
        )

    async def _submit(self) -> None:
        """9.1: the lead unit's application opens the procedure; a receipt goes out."""
        async with self.lock:
            await self._record(
                "submitted",
                self.submitted_by,
                application=self.s.application,
                version=self.s.application_version,
            )
            await self._notify_alliance(
                Purpose.APPLICATION_RECEIVED,
                f"v{self.s.application_version}",
                version=self.s.application_version,
                submitted_at=workflow.now().isoformat(),
            )
            self.s.submission_recorded = True

    async def _wait_for_action(self) -> None:
        """Wait for the action of this stage, reminding and escalating on its time limit."""
        stage, visit = self.s.stage, self.s.stage_visit
        clock = await self._stage_clock(stage, visit)
        if clock is None:
            return
        await self._run_clock(clock, lambda: self.s.stage_visit != visit, STAGE_ACTORS[stage])

    async def _public_notice(self) -> None:
        """9.4: five working days of public notice; then every objection must be resolved."""
        visit = self.s.stage_visit
        left = lambda: self.s.stage_visit != visit  # noqa: E731
        if self.s.notice is None:
            window = await self._plan_with_calendar("公示", left, lambda: self._notice_window())
            if window is None:
                return
            async with self.lock:
                if left():
                    return
                self.s.notice = window
                self._set_deadline(end_of_day(window.end))
                await self._record("public_notice.published", SYSTEM_ACTOR, notice=window)
                await self._notify_alliance(
                    Purpose.NOTICE_PUBLISHED,
                    "notice",
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
            await self._run_clock(
                clock, lambda: left() or not self.s.open_objections(), {Role.BUREAU_STAFF}
            )
            if left():
                return
        async with self.lock:
            if not left():
                await self._recognise()

    async def _recognise(self) -> None:
        """9.5: approval document, certificate and plaque; the alliance and district are told."""
        app = self.s.application
        recognition = await workflow.execute_activity_method(
            CertificateActivities.issue_certificate,
            CertificateRequest(
                alliance_code=self.s.alliance_code,
                alliance_name=app.alliance_name,
                lead_unit=app.lead_unit,
                members=[m.name for m in app.members],
                district_name=DISTRICT_ZH[app.district],
                recognised_on=local_date(workflow.now()),
            ),
            start_to_close_timeout=SHORT,
        )
        self.s.recognition = recognition
        await self._move_to(
            Stage.RECOGNISED,
            "recognised",
            SYSTEM_ACTOR,
            recognition=recognition,
        )
        await self._notify(
            Purpose.RECOGNISED,
            "term1",
            to_emails=app.recipient_emails(),
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
    async def district_review(self, action: DistrictReview) -> ActionResult:
        """9.2 审查推荐: recommend, return for correction, or reject."""
        await self._submission_recorded()
        async with self.lock:
            refuse_unless(lambda: actions.check_district_review(self.s, action))
            self._handled(action.request_id)
            stage = Stage.DISTRICT_REVIEW
            if action.outcome == ReviewOutcome.RECOMMEND:
                await self._decide(stage, Stage.EXPERT_REVIEW, "recommend", action.actor, "")
                await self._notify_progress(stage, Stage.EXPERT_REVIEW)
            elif action.outcome == ReviewOutcome.RETURN:
                await self._decide(stage, Stage.CORRECTION, "return", action.actor, action.reasons)
            else:
                await self._reject(stage, "reject", action.actor, action.reasons)
            return self._result()

    @district_review.validator
    def _validate_district_review(self, action: DistrictReview) -> None:
        refuse_unless(lambda: actions.check_district_review(self.s, action))

    @workflow.update
    async def resubmit(self, action: Resubmission) -> ActionResult:
        """The applicant's corrected application; both versions are kept."""
        await self._submission_recorded()
        async with self.lock:
            refuse_unless(lambda: actions.check_resubmission(self.s, action))
            self._handled(action.request_id)
            self.s.application = action.application
            self.s.application_version += 1
            version = self.s.application_version
            await self._decide(
                Stage.CORRECTION,
                Stage.DISTRICT_REVIEW,
                "resubmitted",
                action.actor,
                action.note,
                application=action.application,
                version=version,
            )
            await self._notify_alliance(
                Purpose.APPLICATION_RECEIVED,
                f"v{version}",
                version=version,
                submitted_at=workflow.now().isoformat(),
            )
            return self._result()

    @resubmit.validator
    def _validate_resubmit(self, action: Resubmission) -> None:
        refuse_unless(lambda: actions.check_resubmission(self.s, action))

    @workflow.update
    async def expert_review(self, action: ExpertReview) -> ActionResult:
        """9.3 专家评审 by the commissioned third party: panel, scores, opinions, pass or fail."""
        await self._submission_recorded()
        async with self.lock:
            refuse_unless(lambda: actions.check_expert_review(self.s, action))
            self._handled(action.request_id)
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
                await self._decide(
                    stage, Stage.DIRECTOR_MEETING, "pass", action.actor, "", detail=detail
                )
                await self._notify_progress(stage, Stage.DIRECTOR_MEETING)
            else:
                reasons = f"{action.necessity_opinion}；{action.feasibility_opinion}"
                await self._reject(stage, "fail", action.actor, reasons, detail=detail)
            return self._result()

    @expert_review.validator
    def _validate_expert_review(self, action: ExpertReview) -> None:
        refuse_unless(lambda: actions.check_expert_review(self.s, action))

    @workflow.update
    async def meeting_decision(self, action: MeetingDecision) -> ActionResult:
        """9.4 局长办公会: approval opens the public notice; rejection ends the procedure."""
        await self._submission_recorded()
        async with self.lock:
            now = workflow.now()
            refuse_unless(lambda: actions.check_meeting_decision(self.s, action, now))
            self._handled(action.request_id)
            stage = Stage.DIRECTOR_MEETING
            detail = {
                "meeting_number": action.meeting_number,
                "meeting_date": action.meeting_date.isoformat(),
                "notice_start": action.notice_start.isoformat() if action.notice_start else None,
            }
            if action.approved:
                await self._decide(
                    stage, Stage.PUBLIC_NOTICE, "approve", action.actor, "", detail=detail
                )
            else:
                await self._reject(stage, "reject", action.actor, action.reasons, detail=detail)
            return self._result()

    @meeting_decision.validator
    def _validate_meeting_decision(self, action: MeetingDecision) -> None:
        refuse_unless(lambda: actions.check_meeting_decision(self.s, action, workflow.now()))

    @workflow.update
    async def file_objection(self, filing: ObjectionFiling) -> int:
        """A written, real-name objection during the notice; returns its number."""
        await self._submission_recorded()
        async with self.lock:
            now = workflow.now()
            refuse_unless(lambda: actions.check_objection(self.s, filing, now))
            self._handled(filing.request_id)
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
            await self._record("objection.filed", public, objection=objection)
            await self._notify(
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
    async def resolve_objection(self, action: ObjectionResolution) -> ActionResult:
        """Staff uphold an objection (the application is rejected) or dismiss it."""
        await self._submission_recorded()
        async with self.lock:
            refuse_unless(lambda: actions.check_objection_resolution(self.s, action))
            self._handled(action.request_id)
            objection = next(o for o in self.s.objections if o.number == action.objection_no)
            objection.status = "upheld" if action.upheld else "dismissed"
            objection.resolution = action.reason
            await self._record(
                f"objection.{objection.status}",
                action.actor,
                reasons=action.reason,
                objection=objection,
            )
            await self._notify(
                Purpose.OBJECTION_RESOLVED,
                f"objection{objection.number}",
                to_emails=self.s.application.recipient_emails(),
                to_roles=[Role.BUREAU_STAFF],
                objection_no=objection.number,
                upheld=action.upheld,
                reason=action.reason,
            )
            if action.upheld:
                await self._reject(
                    Stage.PUBLIC_NOTICE, "objection_upheld", action.actor, action.reason
                )
            return self._result()

    @resolve_objection.validator
    def _validate_resolve_objection(self, action: ObjectionResolution) -> None:
        refuse_unless(lambda: actions.check_objection_resolution(self.s, action))

    @workflow.update
    async def withdraw(self, action: Withdrawal) -> ActionResult:
        """The applicant may withdraw at any stage before recognition."""
        await self._submission_recorded()
        async with self.lock:
            refuse_unless(lambda: actions.check_withdrawal(self.s, action))
            self._handled(action.request_id)
            from_stage = self.s.stage
            await self._decide(
                from_stage,
                Stage.WITHDRAWN,
                "withdraw",
                action.actor,
                action.reason,
            )
            await self._notify(
                Purpose.WITHDRAWN,
                "withdrawn",
                to_emails=self.s.application.recipient_emails(),
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

    # ------------------------------------------------------------------ helpers

    async def _submission_recorded(self) -> None:
        """An update may arrive before `run` has recorded the submission; act after it."""
        await workflow.wait_condition(lambda: self.s.submission_recorded)

    def _handled(self, request_id: str) -> None:
        self.s.handled_requests = remember_request(self.s.handled_requests, request_id)

    def _result(self) -> ActionResult:
        return ActionResult(stage=self.s.stage, message=STAGE_ZH[self.s.stage])

    async def _decide(
        self,
        from_stage: Stage,
        to_stage: Stage,
        outcome: str,
        actor: Actor,
        reasons: str,
        detail: dict | None = None,
        **event_fields,
    ) -> None:
        self.s.decisions.append(
            Decision(
                stage=from_stage,
                action=f"{from_stage.value}.{outcome}",
                actor=actor,
                at=workflow.now(),
                reasons=reasons,
                detail=detail or {},
            )
        )
        await self._move_to(
            to_stage,
            f"{from_stage.value}.{outcome}",
            actor,
            reasons=reasons,
            detail={"decided_stage": from_stage.value, **(detail or {})},
            is_decision=True,
            **event_fields,
        )

    async def _reject(
        self, from_stage: Stage, outcome: str, actor: Actor, reasons: str, **event_fields
    ) -> None:
        await self._decide(from_stage, Stage.REJECTED, outcome, actor, reasons, **event_fields)
        await self._notify_alliance(
            Purpose.REJECTED, "rejected", stage_name=STAGE_ZH[from_stage], reasons=reasons
        )

    async def _move_to(self, stage: Stage, action: str, actor: Actor, **event_fields) -> None:
        self.s.stage = stage
        self.s.stage_entered_at = workflow.now()
        self.s.clock = None
        self.s.stage_visit += 1
        workflow.upsert_search_attributes([STATUS.value_set(stage.value)])
        self._set_deadline(None)
        if stage in FINAL_STAGES and self.s.notice is not None:
            event_fields.update(notice=self.s.notice, notice_status="closed")
        await self._record(action, actor, **event_fields)

    async def _record(
        self,
        action: str,
        actor: Actor,
        *,
        reasons: str = "",
        application: Application | None = None,
        version: int | None = None,
        **fields,
    ) -> None:
        self.s.events_recorded += 1
        info = workflow.info()
        await workflow.execute_activity_method(
            RegistryActivities.record_event,
            ProcedureEvent(
                key=f"{info.workflow_id}:{self._chain()}:{self.s.events_recorded}",
                alliance_code=self.s.alliance_code,
                workflow_id=info.workflow_id,
                actor=actor,
                action=action,
                at=workflow.now(),
                stage=self.s.stage,
                reasons=reasons,
                application=application,
                application_version=version,
                **fields,
            ),
            start_to_close_timeout=SHORT,
        )

    async def _notify(
        self,
        purpose: Purpose,
        period: str,
        *,
        to_emails: list[str] | None = None,
        to_roles: list[Role] | None = None,
        attachments: list[int] | None = None,
        **context,
    ) -> None:
        app = self.s.application
        notice = Notice(
            key=f"{self.s.alliance_code}:{self._chain()}:{purpose.value}:{period}",
            alliance_code=self.s.alliance_code,
            purpose=purpose,
            to_emails=to_emails or [],
            to_roles=to_roles or [],
            district=app.district,
            attachment_document_ids=attachments or [],
            context={
                "alliance_name": app.alliance_name,
                "alliance_code": self.s.alliance_code,
                "district": app.district.value,
                "district_name": DISTRICT_ZH[app.district],
                **context,
            },
        )
        await send(notice)

    async def _notify_alliance(self, purpose: Purpose, period: str, **context) -> None:
        await self._notify(
            purpose, period, to_emails=self.s.application.recipient_emails(), **context
        )

    async def _notify_progress(self, passed: Stage, next_stage: Stage) -> None:
        await self._notify_alliance(
            Purpose.PROGRESS,
            f"{passed.value}.{self.s.stage_visit}",
            stage_name=STAGE_ZH[passed],
            next_stage_name=STAGE_ZH[next_stage],
        )

    def _chain(self) -> str:
        """Tells this application apart from an earlier one of the same alliance."""
        return self.s.submitted_at.strftime("%Y%m%dT%H%M%S")

    def _set_deadline(self, deadline: datetime | None) -> None:
        """Keep the AllianceNextDeadline search attribute in step with the state."""
        if deadline == self.s.next_deadline:
            return
        self.s.next_deadline = deadline
        workflow.upsert_search_attributes(
            [NEXT_DEADLINE.value_set(deadline) if deadline else NEXT_DEADLINE.value_unset()]
        )

    # ---- time limits in working days

    async def _stage_clock(
        self,
        stage: Stage,
        visit: int,
        start: datetime | None = None,
        working_days: int | None = None,
    ) -> StageClock | None:
        """This stage's limit: computed once on entry and kept in the state."""
        left = lambda: self.s.stage_visit != visit  # noqa: E731
        if self.s.clock is not None and self.s.clock.stage == stage:
            return self.s.clock
        request = StageClockRequest(
            stage=stage,
            entered_at=start or self.s.stage_entered_at,
            working_days=working_days or _stage_days(self.s.rules, stage),
            reminder_working_days_before=self.s.rules.reminder_working_days_before,
        )
        clock = await self._plan_with_calendar(
            STAGE_ZH[stage],
            left,
            lambda: workflow.execute_activity_method(
                CalendarActivities.plan_stage_clock, request, start_to_close_timeout=SHORT
            ),
        )
        if clock is None or left():
            return None
        async with self.lock:
            if left():
                return None
            self.s.clock = clock
            self._set_deadline(clock.deadline)
            await self._announce_stage(stage, clock)
        return clock

    async def _announce_stage(self, stage: Stage, clock: StageClock) -> None:
        """Tell whoever must act that the stage is open and by when."""
        if stage == Stage.CORRECTION:
            await self._notify_alliance(
                Purpose.RETURNED_FOR_CORRECTION,
                f"t{self.s.stage_visit}",
                reasons=self.s.decisions[-1].reasons,
                deadline=clock.deadline.isoformat(),
            )
        elif stage != Stage.PUBLIC_NOTICE:
            await self._notify_actors(
                Purpose.ACTION_REQUESTED, stage, clock, f"t{self.s.stage_visit}"
            )

    async def _run_clock(
        self, clock: StageClock, done: Callable[[], bool], actors: frozenset[Role] | set[Role]
    ) -> None:
        """Remind before the limit, escalate to bureau staff after it, repeat while overdue."""
        repeat = timedelta(days=self.s.rules.escalation_repeat_days)
        while True:
            if clock.reminders_sent == 0 and clock.reminder_at < clock.deadline:
                due = clock.reminder_at
            else:
                due = clock.deadline + repeat * clock.escalations_sent
            if await wait_until(due, done):
                return
            async with self.lock:
                if done():
                    return
                if clock.reminders_sent == 0 and clock.reminder_at < clock.deadline:
                    clock.reminders_sent = 1
                    await self._notify_actors(
                        Purpose.STAGE_REMINDER, clock.stage, clock, f"t{self.s.stage_visit}", actors
                    )
                else:
                    clock.escalations_sent += 1
                    await self._notify(
                        Purpose.STAGE_ESCALATION,
                        f"{clock.stage.value}.t{self.s.stage_visit}.{clock.escalations_sent}",
                        to_roles=[Role.BUREAU_STAFF],
                        stage_name=STAGE_ZH[clock.stage],
                        deadline=clock.deadline.isoformat(),
                        role_names=[ROLE_ZH[r] for r in sorted(actors)],
                        escalation_no=clock.escalations_sent,
                    )
                    await self._record(
                        "escalated",
                        SYSTEM_ACTOR,
                        detail={"stage": clock.stage.value, "count": clock.escalations_sent},
                    )

    async def _notify_actors(
        self,
        purpose: Purpose,
        stage: Stage,
        clock: StageClock,
        period: str,
        actors: frozenset[Role] | set[Role] | None = None,
    ) -> None:
        roles = sorted(actors or STAGE_ACTORS[stage])
        applicant = Role.APPLICANT in roles
        await self._notify(
            purpose,
            f"{stage.value}.{period}",
            to_emails=self.s.application.recipient_emails() if applicant else [],
            to_roles=[r for r in roles if r != Role.APPLICANT],
            stage=stage.value,
            stage_name=STAGE_ZH[stage],
            deadline=clock.deadline.isoformat(),
            role_names=[ROLE_ZH[r] for r in roles],
        )

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

    async def _plan_with_calendar(self, step_name: str, left: Callable[[], bool], plan):
        """Run a calendar look-up; while its holiday year is missing, alert staff and wait.

        Never guesses a working day: the step stays where it is until an operator loads
        the year (the `calendar_loaded` signal) or the periodic re-check finds it.
        """
        while not left():
            self.calendar_signalled = False  # a signal from here on means: look again
            try:
                result = await plan()
                self.s.missing_calendar_year = None
                return result
            except ActivityError as err:
                cause = err.cause
                if not (
                    isinstance(cause, ApplicationError) and cause.type == "CalendarYearMissing"
                ):
                    raise
                year = int(cause.details[0]["year"]) if cause.details else 0
            async with self.lock:
                if left():
                    return None
                first_alert = self.s.missing_calendar_year != year
                self.s.missing_calendar_year = year
                self.s.calendar_alerts += 1
                if first_alert:
                    await self._record(
                        "calendar.missing", SYSTEM_ACTOR, detail={"year": year, "step": step_name}
                    )
                await self._notify(
                    Purpose.CALENDAR_MISSING,
                    f"{year}.{self.s.calendar_alerts}",
                    to_roles=[Role.BUREAU_STAFF],
                    year=year,
                    step_name=step_name,
                    load_command=f"alliance-admin calendar load <{year}年节假日安排文件.yaml>",
                )
            recheck = workflow.now() + timedelta(hours=self.s.rules.calendar_recheck_hours)
            await wait_until(recheck, lambda: self.calendar_signalled or left())
        return None


def _stage_days(rules: ProcedureRules, stage: Stage) -> int:
    return {
        Stage.DISTRICT_REVIEW: rules.district_review_days,
        Stage.CORRECTION: rules.correction_days,
        Stage.EXPERT_REVIEW: rules.expert_review_days,
        Stage.DIRECTOR_MEETING: rules.director_meeting_days,
        Stage.PUBLIC_NOTICE: rules.objection_resolution_days,
    }[stage]


def term_state_after(procedure: ProcedureState, now: datetime) -> TermState:
    """The first term of a just-recognised alliance: five years from recognition."""
    app, recognition = procedure.application, procedure.recognition
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
