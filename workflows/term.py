"""The five-year term of a recognised alliance (articles 11 and 12), same workflow id.

The term sleeps until its next milestone (a report reminder, a December-31 deadline, the
year-3 or year-5 assessment, a rectification deadline, the end of the term), computed from
the state by `domain.term.milestones`, and wakes early when a message changes the state.
It continues as new at every New Year and into each renewed term, so no history grows
without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow

from workflows.common import (
    DISTRICT,
    NEXT_DEADLINE,
    SHORT,
    STATUS,
    TERM_END,
    refuse_unless,
    remember_request,
    send,
    wait_until,
)

with workflow.unsafe.imports_passed_through():
    from activities.certificate import CertificateActivities
    from activities.registry import RegistryActivities
    from domain import term_actions as checks
    from domain.certificate import CertificateRequest
    from domain.districts import DISTRICT_ZH
    from domain.events import TermEvent
    from domain.notices import Notice, Purpose
    from domain.procedure import SYSTEM_ACTOR, Actor, Role, Withdrawal
    from domain.shanghai_time import end_of_day, local_date, start_of_day
    from domain.term import (
        ASSESSMENT_ZH,
        ENDED,
        GRADE_ZH,
        TERM_STATUS_ZH,
        AnnualReportReview,
        AnnualReportSubmission,
        AssessmentKind,
        AssessmentMaterials,
        AssessmentRecord,
        AssessmentResult,
        Grade,
        MembershipChange,
        Milestone,
        MilestoneKind,
        Rectification,
        RectificationExtension,
        RectificationRecheck,
        RectificationReport,
        ReportRecord,
        Revocation,
        TermExtension,
        TermState,
        TermStatus,
        assessment_opens,
        milestones,
        next_term,
        report_due,
        report_years,
        skip_past,
    )


class TermInput(BaseModel):
    state: TermState
    announced: bool = False  # the alliance has been told of this term's start


class TermResult(BaseModel):
    alliance_code: str
    status: TermStatus
    term_no: int


@workflow.defn
class TermWorkflow:
    @workflow.init
    def __init__(self, inp: TermInput) -> None:
        self.s = inp.state
        self.announced = inp.announced
        self.lock = asyncio.Lock()
        self.changes = 0  # bumped by every message, so the main loop recomputes its next step

    @workflow.run
    async def run(self, inp: TermInput) -> TermResult:
        workflow.upsert_search_attributes(
            [
                STATUS.value_set(self.s.status.value),
                DISTRICT.value_set(self.s.district.value),
                TERM_END.value_set(end_of_day(self.s.term_end)),
            ]
        )
        if not self.announced:
            await self._announce_term()
        while self.s.status not in ENDED:
            upcoming = milestones(self.s)
            boundary = start_of_day(date(local_date(workflow.now()).year + 1, 1, 1))
            step = upcoming[0]
            self._set_next_deadline(step.due or step.at)
            seen = self.changes
            if await wait_until(min(step.at, boundary), lambda seen=seen: self.changes != seen):
                continue  # a message changed the state: recompute what comes next
            if step.at > boundary:
                # Every New Year the term starts a fresh history, carrying its state.
                return await self._continue(self.s, announced=True)
            async with self.lock:
                if step.key in self.s.done or self.s.status in ENDED:
                    continue
                self.s.done = [*self.s.done, step.key]
                renewed = await self._on_milestone(step)
            if renewed is not None:
                return await self._continue(renewed, announced=False)
            if workflow.info().is_continue_as_new_suggested():
                return await self._continue(self.s, announced=True)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return TermResult(
            alliance_code=self.s.alliance_code, status=self.s.status, term_no=self.s.term_no
        )

    async def _continue(self, state: TermState, announced: bool) -> TermResult:
        """Hand the state to a new run once every message in flight has been handled."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(TermInput(state=state, announced=announced))

    async def _announce_term(self) -> None:
        """Tell the alliance its term and what falls due; skip what an import left behind."""
        async with self.lock:
            skip_past(self.s, workflow.now())
            await self._record("term.started", SYSTEM_ACTOR)
            await self._notify(
                Purpose.TERM_STARTED,
                "started",
                to_alliance=True,
                report_years=[str(y) for y in report_years(self.s)],
                midterm_opens=assessment_opens(self.s, AssessmentKind.MIDTERM).isoformat(),
                final_opens=assessment_opens(self.s, AssessmentKind.FINAL).isoformat(),
            )
            self.announced = True

    # ------------------------------------------------------------------ milestones

    async def _on_milestone(self, step: Milestone) -> TermState | None:
        """Act on one dated step; returns the next term's state when this one renews."""
        kind = step.kind
        if kind == MilestoneKind.REPORT_REMINDER:
            await self._report_notice(Purpose.REPORT_REMINDER, step, days_left=step.days_left)
        elif kind == MilestoneKind.REPORT_OVERDUE:
            await self._report_notice(Purpose.REPORT_OVERDUE, step)
        elif kind == MilestoneKind.REPORT_ESCALATION:
            await self._report_notice(Purpose.REPORT_ESCALATION, step, to_staff=True)
            await self._record("report.escalated", SYSTEM_ACTOR, detail={"year": step.year})
        elif kind == MilestoneKind.REPORT_FINAL_REMINDER:
            await self._report_notice(Purpose.REPORT_FINAL_REMINDER, step)
        elif kind == MilestoneKind.REPORT_RESUBMISSION_OVERDUE:
            await self._notify(
                Purpose.REPORT_RESUBMISSION_OVERDUE,
                step.key,
                to_alliance=True,
                to_staff=True,
                year=step.year,
                resubmit_by=step.due.isoformat(),
            )
        elif kind == MilestoneKind.ASSESSMENT_OPEN:
            await self._open_assessment(step.assessment)
        elif kind in (MilestoneKind.ASSESSMENT_REMINDER, MilestoneKind.ASSESSMENT_OVERDUE):
            overdue = kind == MilestoneKind.ASSESSMENT_OVERDUE
            await self._notify(
                Purpose.ASSESSMENT_OVERDUE if overdue else Purpose.ASSESSMENT_REMINDER,
                step.key,
                to_alliance=True,
                to_staff=overdue,
                assessment=step.assessment.value,
                assessment_name=ASSESSMENT_ZH[step.assessment],
                materials_due=step.due.isoformat(),
                days_left=step.days_left,
            )
        elif kind == MilestoneKind.ASSESSMENT_RESULT_OVERDUE:
            await self._notify(
                Purpose.ASSESSMENT_RESULT_OVERDUE,
                step.key,
                to_staff=True,
                assessment_name=ASSESSMENT_ZH[step.assessment],
                materials_due=step.due.isoformat(),
            )
            await self._record("assessment.result_overdue", SYSTEM_ACTOR)
        elif kind == MilestoneKind.RECTIFICATION_REMINDER:
            await self._notify(
                Purpose.RECTIFICATION_REMINDER,
                step.key,
                to_alliance=True,
                rectification_due=step.due.isoformat(),
                days_left=step.days_left,
            )
        elif kind == MilestoneKind.RECTIFICATION_OVERDUE:
            await self._notify(
                Purpose.RECTIFICATION_OVERDUE,
                step.key,
                to_alliance=True,
                to_staff=True,
                rectification_due=step.due.isoformat(),
            )
            await self._record("rectification.overdue", SYSTEM_ACTOR)
        elif kind == MilestoneKind.TERM_ENDING:
            days_left = (local_date(step.due) - local_date(workflow.now())).days
            await self._notify(Purpose.TERM_ENDING, step.key, to_staff=True, days_left=days_left)
            await self._record("term.ending_without_final_result", SYSTEM_ACTOR)
        elif kind == MilestoneKind.TERM_END:
            return await self._end_term()
        return None

    async def _report_notice(self, purpose: Purpose, step: Milestone, *, to_staff=False, **more):
        await self._notify(
            purpose,
            step.key,
            to_alliance=not to_staff,
            to_staff=to_staff,
            year=step.year,
            due=step.due.isoformat(),
            **more,
        )

    async def _open_assessment(self, kind: AssessmentKind) -> None:
        """Article 12: the year-3 or year-5 assessment opens; materials are due in N days."""
        due = end_of_day(
            local_date(workflow.now()) + timedelta(days=self.s.rules.assessment_materials_days)
        )
        record = AssessmentRecord(kind=kind, materials_due=due)
        self.s.assessments = [*self.s.assessments, record]
        await self._record(f"assessment.{kind.value}.opened", SYSTEM_ACTOR, assessment=record)
        await self._notify(
            Purpose.ASSESSMENT_OPENED,
            f"{kind.value}.opened",
            to_alliance=True,
            assessment=kind.value,
            assessment_name=ASSESSMENT_ZH[kind],
            materials_due=due.isoformat(),
        )

    async def _end_term(self) -> TermState | None:
        """The term runs out: renew after a passed final assessment, else it expires."""
        if self.s.renewal is not None:
            return next_term(self.s)
        await self._finish(TermStatus.EXPIRED, "expired", SYSTEM_ACTOR, "", "expired")
        await self._notify(Purpose.EXPIRED, "expired", to_alliance=True, to_staff=True, reason="")
        return None

    # ------------------------------------------------------------------ the alliance's actions

    @workflow.update
    async def submit_annual_report(self, action: AnnualReportSubmission) -> ReportRecord:
        """Article 11: summary, next year's plan and the innovation resource statistics."""
        async with self._changing():
            refuse_unless(lambda: checks.check_report_submission(self.s, action))
            self._accept(action.request_id)
            now = workflow.now()
            previous = self.s.report(action.year)
            record = ReportRecord(
                year=action.year,
                status="submitted",
                submitted_at=now,
                late=now > report_due(action.year),
                versions=(previous.versions if previous else 0) + 1,
                summary=action.summary,
                next_year_plan=action.next_year_plan,
                statistics=action.statistics,
            )
            self._put_report(record)
            await self._record("report.submitted", action.actor, report=record)
            await self._notify(
                Purpose.REPORT_RECEIVED,
                f"report:{action.year}:received:{record.versions}",
                to_alliance=True,
                year=action.year,
                submitted_at=now.isoformat(),
                late=record.late,
            )
            return record

    @submit_annual_report.validator
    def _check_report(self, action: AnnualReportSubmission) -> None:
        refuse_unless(lambda: checks.check_report_submission(self.s, action))

    @workflow.update
    async def submit_assessment_materials(self, action: AssessmentMaterials) -> AssessmentRecord:
        async with self._changing():
            now = workflow.now()
            refuse_unless(lambda: checks.check_assessment_materials(self.s, action, now))
            self._accept(action.request_id)
            record = self.s.assessment(action.kind)
            record.materials_submitted_at = now
            record.materials = action.summary
            await self._record(
                f"assessment.{action.kind.value}.materials", action.actor, assessment=record
            )
            return record

    @submit_assessment_materials.validator
    def _check_materials(self, action: AssessmentMaterials) -> None:
        now = workflow.now()
        refuse_unless(lambda: checks.check_assessment_materials(self.s, action, now))

    @workflow.update
    async def submit_rectification_report(self, action: RectificationReport) -> Rectification:
        async with self._changing():
            refuse_unless(lambda: checks.check_rectification_report(self.s, action))
            self._accept(action.request_id)
            self.s.rectification.report_submitted_at = workflow.now()
            self.s.rectification.report = action.report
            await self._record("rectification.report", action.actor)
            return self.s.rectification

    @submit_rectification_report.validator
    def _check_rectification_report(self, action: RectificationReport) -> None:
        refuse_unless(lambda: checks.check_rectification_report(self.s, action))

    @workflow.update
    async def withdraw(self, action: Withdrawal) -> TermStatus:
        """The alliance leaves; its status ends and its certificate no longer holds."""
        async with self._changing():
            refuse_unless(lambda: checks.check_withdrawal(self.s, action))
            self._accept(action.request_id)
            await self._finish(
                TermStatus.WITHDRAWN, "withdrawn", action.actor, action.reason, "withdrawn"
            )
            await self._notify(
                Purpose.WITHDRAWN,
                "withdrawn",
                to_alliance=True,
                to_staff=True,
                reason=action.reason,
                stage_name=TERM_STATUS_ZH[TermStatus.ACTIVE],
            )
            return self.s.status

    @withdraw.validator
    def _check_withdraw(self, action: Withdrawal) -> None:
        refuse_unless(lambda: checks.check_withdrawal(self.s, action))

    @workflow.update
    async def change_membership(self, action: MembershipChange) -> TermStatus:
        """Members or contacts change; article 8 must still hold."""
        async with self._changing():
            refuse_unless(lambda: checks.check_membership_change(self.s, action))
            self._accept(action.request_id)
            self.s.members = action.members
            self.s.contacts = action.contacts
            await self._record(
                "membership.changed",
                action.actor,
                reasons=action.note,
                members=action.members,
                contacts=action.contacts,
            )
            await self._notify(
                Purpose.MEMBERSHIP_CHANGED,
                f"membership:{self.s.events_recorded}",
                to_alliance=True,
                to_staff=True,
                members=[m.name for m in action.members],
                note=action.note,
            )
            return self.s.status

    @change_membership.validator
    def _check_membership(self, action: MembershipChange) -> None:
        refuse_unless(lambda: checks.check_membership_change(self.s, action))

    # ------------------------------------------------------------------ the bureau's actions

    @workflow.update
    async def review_annual_report(self, action: AnnualReportReview) -> ReportRecord:
        """Staff accept a report or send it back; a returned report is due again in N days."""
        async with self._changing():
            refuse_unless(lambda: checks.check_report_review(self.s, action))
            self._accept(action.request_id)
            record = self.s.report(action.year)
            record.review = action.reasons
            if action.accepted:
                record.status = "accepted"
                await self._record("report.accepted", action.actor, report=record)
                await self._notify(
                    Purpose.REPORT_ACCEPTED,
                    f"report:{action.year}:accepted",
                    to_alliance=True,
                    year=action.year,
                )
            else:
                days = self.s.rules.report_resubmission_days
                record.status = "returned"
                record.resubmit_by = end_of_day(local_date(workflow.now()) + timedelta(days=days))
                await self._record(
                    "report.returned", action.actor, reasons=action.reasons, report=record
                )
                await self._notify(
                    Purpose.REPORT_RETURNED,
                    f"report:{action.year}:returned:{record.versions}",
                    to_alliance=True,
                    year=action.year,
                    reasons=action.reasons,
                    resubmit_by=record.resubmit_by.isoformat(),
                )
            return record

    @review_annual_report.validator
    def _check_review(self, action: AnnualReportReview) -> None:
        refuse_unless(lambda: checks.check_report_review(self.s, action))

    @workflow.update
    async def record_assessment(self, action: AssessmentResult) -> TermStatus:
        """Article 12: record a grade; a poor mid-term warns and orders rectification,
        a passed final renews the certificate, a failed final revokes the status."""
        async with self._changing():
            now = workflow.now()
            refuse_unless(lambda: checks.check_assessment_result(self.s, action, now))
            self._accept(action.request_id)
            record = self.s.assessment(action.kind)
            if record is None:  # an imported term whose assessment opened before the import
                record = AssessmentRecord(kind=action.kind, materials_due=now)
                self.s.assessments = [*self.s.assessments, record]
            record.grade, record.opinion, record.recorded_at = action.grade, action.opinion, now
            await self._record(
                f"assessment.{action.kind.value}.{action.grade.value}",
                action.actor,
                reasons=action.opinion,
                assessment=record,
            )
            await self._notify(
                Purpose.ASSESSMENT_RESULT,
                f"{action.kind.value}.result",
                to_alliance=True,
                assessment_name=ASSESSMENT_ZH[action.kind],
                grade=action.grade.value,
                grade_name=GRADE_ZH[action.grade],
                opinion=action.opinion,
            )
            poor = action.grade == Grade.POOR
            if action.kind == AssessmentKind.MIDTERM and poor:
                await self._order_rectification(action.opinion)
            elif action.kind == AssessmentKind.FINAL and poor:
                await self._revoke(action.actor, f"期末综合评估未通过：{action.opinion}")
            elif action.kind == AssessmentKind.FINAL:
                await self._renew()
            return self.s.status

    @record_assessment.validator
    def _check_assessment(self, action: AssessmentResult) -> None:
        now = workflow.now()
        refuse_unless(lambda: checks.check_assessment_result(self.s, action, now))

    @workflow.update
    async def recheck_rectification(self, action: RectificationRecheck) -> TermStatus:
        """Staff re-check the rectification: pass restores the alliance; a fail leaves
        staff to revoke, or to extend the deadline once."""
        async with self._changing():
            refuse_unless(lambda: checks.check_rectification_recheck(self.s, action))
            self._accept(action.request_id)
            rectification = self.s.rectification
            rectification.result = "passed" if action.passed else "failed"
            rectification.reason = action.reason
            if action.passed:
                self.s.status = TermStatus.ACTIVE
            await self._record(
                f"rectification.{rectification.result}", action.actor, reasons=action.reason
            )
            await self._notify(
                Purpose.RECTIFICATION_RESULT,
                f"rectification:{'extended' if rectification.extended else 'first'}:result",
                to_alliance=True,
                to_staff=True,
                passed=action.passed,
                reason=action.reason,
                extended_due=None,
            )
            return self.s.status

    @recheck_rectification.validator
    def _check_recheck(self, action: RectificationRecheck) -> None:
        refuse_unless(lambda: checks.check_rectification_recheck(self.s, action))

    @workflow.update
    async def extend_rectification(self, action: RectificationExtension) -> Rectification:
        async with self._changing():
            refuse_unless(lambda: checks.check_rectification_extension(self.s, action))
            self._accept(action.request_id)
            due = end_of_day(local_date(workflow.now()) + timedelta(days=action.days))
            self.s.rectification = Rectification(due=due, extended=True)
            await self._record("rectification.extended", action.actor, reasons=action.reason)
            await self._notify(
                Purpose.RECTIFICATION_RESULT,
                "rectification:extension",
                to_alliance=True,
                to_staff=True,
                passed=False,
                reason=action.reason,
                extended_due=due.isoformat(),
            )
            return self.s.rectification

    @extend_rectification.validator
    def _check_extension(self, action: RectificationExtension) -> None:
        refuse_unless(lambda: checks.check_rectification_extension(self.s, action))

    @workflow.update
    async def revoke(self, action: Revocation) -> TermStatus:
        """Staff revoke the status at any time, with a reason (取消资格)."""
        async with self._changing():
            refuse_unless(lambda: checks.check_revocation(self.s, action))
            self._accept(action.request_id)
            await self._revoke(action.actor, action.reason)
            return self.s.status

    @revoke.validator
    def _check_revoke(self, action: Revocation) -> None:
        refuse_unless(lambda: checks.check_revocation(self.s, action))

    @workflow.update
    async def extend_term(self, action: TermExtension) -> TermStatus:
        """Staff keep the status beyond the term while the final result is outstanding."""
        async with self._changing():
            now = workflow.now()
            refuse_unless(lambda: checks.check_term_extension(self.s, action, now))
            self._accept(action.request_id)
            self.s.extended_until = action.until
            await self._record(
                "term.extended",
                action.actor,
                reasons=action.reason,
                detail={"until": action.until.isoformat()},
            )
            await self._notify(
                Purpose.TERM_EXTENDED,
                f"extended:{action.until.isoformat()}",
                to_alliance=True,
                to_staff=True,
                extended_until=action.until.isoformat(),
                reason=action.reason,
            )
            return self.s.status

    @extend_term.validator
    def _check_term_extension(self, action: TermExtension) -> None:
        now = workflow.now()
        refuse_unless(lambda: checks.check_term_extension(self.s, action, now))

    @workflow.query
    def state(self) -> TermState:
        return self.s

    # ------------------------------------------------------------------ transitions

    async def _order_rectification(self, opinion: str) -> None:
        """告诫 and 限期整改 after a poor mid-term assessment."""
        days = self.s.rules.rectification_days
        due = end_of_day(local_date(workflow.now()) + timedelta(days=days))
        self.s.rectification = Rectification(due=due)
        self.s.status = TermStatus.RECTIFICATION
        await self._record("rectification.ordered", SYSTEM_ACTOR, reasons=opinion)
        context = {"opinion": opinion, "rectification_due": due.isoformat()}
        await self._notify(
            Purpose.WARNING,
            "midterm.warning",
            to_alliance=True,
            to_staff=True,
            assessment_name=ASSESSMENT_ZH[AssessmentKind.MIDTERM],
            **context,
        )
        await self._notify(
            Purpose.RECTIFICATION_NOTICE, "rectification", to_alliance=True, **context
        )

    async def _revoke(self, actor: Actor, reason: str) -> None:
        await self._finish(TermStatus.REVOKED, "revoked", actor, reason, "revoked")
        await self._notify(
            Purpose.REVOKED,
            "revoked",
            to_alliance=True,
            to_staff=True,
            reason=reason,
            revoked_on=local_date(workflow.now()).isoformat(),
        )

    async def _renew(self) -> None:
        """A passed final keeps the status: a renewed certificate for the next five years."""
        start = self.s.term_end + timedelta(days=1)
        renewal = await workflow.execute_activity_method(
            CertificateActivities.issue_certificate,
            CertificateRequest(
                alliance_code=self.s.alliance_code,
                alliance_name=self.s.alliance_name,
                lead_unit=self.s.lead_unit,
                members=[m.name for m in self.s.members],
                district_name=DISTRICT_ZH[self.s.district],
                recognised_on=start,
                term=self.s.term_no + 1,
            ),
            start_to_close_timeout=SHORT,
        )
        self.s.renewal = renewal
        await self._record(
            "renewed",
            SYSTEM_ACTOR,
            detail={"certificate": renewal.certificate_serial, "from": start.isoformat()},
        )
        await self._notify(
            Purpose.RENEWED,
            f"renewed:term{self.s.term_no + 1}",
            to_alliance=True,
            to_district=True,
            attachments=[renewal.certificate_document_id],
            new_term_start=start.isoformat(),
            new_term_end=renewal.valid_until.isoformat(),
            certificate_serial=renewal.certificate_serial,
            approval_document_number=renewal.approval_document_number,
        )

    async def _finish(
        self, status: TermStatus, action: str, actor: Actor, reason: str, certificate: str
    ) -> None:
        self.s.status = status
        workflow.upsert_search_attributes([STATUS.value_set(status.value)])
        self._set_next_deadline(None)
        await self._record(action, actor, reasons=reason, certificate_status=certificate)

    # ------------------------------------------------------------------ helpers

    @contextlib.asynccontextmanager
    async def _changing(self):
        """A message's change, made under the lock; the main loop recomputes once it is whole."""
        async with self.lock:
            try:
                yield
            finally:
                self.changes += 1

    def _accept(self, request_id: str) -> None:
        self.s.handled_requests = remember_request(self.s.handled_requests, request_id)

    def _put_report(self, record: ReportRecord) -> None:
        self.s.reports = [r for r in self.s.reports if r.year != record.year] + [record]

    def _set_next_deadline(self, deadline: datetime | None) -> None:
        if deadline == self.s.next_deadline:
            return
        self.s.next_deadline = deadline
        workflow.upsert_search_attributes(
            [NEXT_DEADLINE.value_set(deadline) if deadline else NEXT_DEADLINE.value_unset()]
        )

    async def _record(self, action: str, actor: Actor, *, reasons: str = "", **fields) -> None:
        self.s.events_recorded += 1
        info = workflow.info()
        await workflow.execute_activity_method(
            RegistryActivities.record_term_event,
            TermEvent(
                key=f"{info.workflow_id}:term{self.s.term_no}:{self.s.term_start}:"
                f"{self.s.events_recorded}",
                alliance_code=self.s.alliance_code,
                workflow_id=info.workflow_id,
                actor=actor,
                action=action,
                at=workflow.now(),
                status=self.s.status,
                term_no=self.s.term_no,
                term_start=self.s.term_start,
                term_end=self.s.term_end,
                reasons=reasons,
                **fields,
            ),
            start_to_close_timeout=SHORT,
        )

    async def _notify(
        self,
        purpose: Purpose,
        period: str,
        *,
        to_alliance: bool = False,
        to_staff: bool = False,
        to_district: bool = False,
        attachments: list[int] | None = None,
        **context,
    ) -> None:
        roles = [Role.BUREAU_STAFF] if to_staff else []
        roles += [Role.DISTRICT_REVIEWER] if to_district else []
        await send(
            Notice(
                key=f"{self.s.alliance_code}:term{self.s.term_no}-{self.s.term_start}:"
                f"{purpose.value}:{period}",
                alliance_code=self.s.alliance_code,
                purpose=purpose,
                to_emails=self.s.recipient_emails() if to_alliance else [],
                to_roles=roles,
                district=self.s.district,
                attachment_document_ids=attachments or [],
                context={
                    "alliance_name": self.s.alliance_name,
                    "alliance_code": self.s.alliance_code,
                    "district": self.s.district.value,
                    "district_name": DISTRICT_ZH[self.s.district],
                    "term_no": self.s.term_no,
                    "term_start": self.s.term_start.isoformat(),
                    "term_end": self.s.term_end.isoformat(),
                    **context,
                },
            )
        )
