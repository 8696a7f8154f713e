"""The five-year term of a recognised alliance (articles 11 and 12), same workflow id.

The term sleeps until its next milestone (a report reminder, a December-31 deadline, the
year-3 or year-5 assessment, a rectification deadline, the end of the term), computed from
the state by `domain.term.milestones`, and wakes early when a message changes the state.
It continues as new at every New Year and into each renewed term, so no history grows
without bound.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel
from temporalio import workflow

from workflows.common import (
    DISTRICT,
    LEAD_UNIT,
    STATUS,
    TERM_END,
    Alarm,
    validate_with,
    wait_until,
)
from workflows.term_records import STAFF, TermRecords

with workflow.unsafe.imports_passed_through():
    from domain import term_actions as checks
    from domain.certificate import renewed_certificate
    from domain.effects import Effect, Outbox
    from domain.notices import Purpose
    from domain.procedure import SYSTEM_ACTOR, Actor, Recognition, Role, Withdrawal
    from domain.shanghai_time import end_of_day, local_date, start_of_day
    from domain.term import (
        ASSESSMENT_ZH,
        ENDED,
        GRADE_ZH,
        REVOCATION_GROUND_EN,
        REVOCATION_GROUND_ZH,
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
        PlaqueHandover,
        PlaqueHandoverRecord,
        RecheckResult,
        Rectification,
        RectificationExtension,
        RectificationRecheck,
        RectificationReport,
        ReportRecord,
        ReportStatus,
        Revocation,
        RevocationGround,
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
    from domain.term_notices import milestone_notice


class TermInput(BaseModel):
    state: TermState
    announced: bool = False  # the alliance has been told of this term's start
    outbox: Outbox | None = None


class TermResult(BaseModel):
    alliance_code: str
    status: TermStatus
    term_no: int


@workflow.defn
class TermWorkflow(TermRecords):
    @workflow.init
    def __init__(self, inp: TermInput) -> None:
        self.s = inp.state
        self.announced = inp.announced
        self._open_outbox(inp.outbox)
        self._alarm = Alarm()

    @workflow.run
    async def run(self, inp: TermInput) -> TermResult:
        self._search(
            STATUS.value_set(self.s.status.value),
            DISTRICT.value_set(self.s.district.value),
            LEAD_UNIT.value_set(self.s.lead_unit_code()),
            TERM_END.value_set(end_of_day(self.s.term_end)),
        )
        self._start_drain()
        if not self.announced:
            self._announce_term()
        run_year = local_date(workflow.now()).year
        while self.s.status not in ENDED:
            # Only the next step is kept across the wait: the whole list of what is to
            # come would stay in memory for every cached term.
            step = milestones(self.s)[0]
            boundary = start_of_day(date(local_date(workflow.now()).year + 1, 1, 1))
            self._set_next_deadline(step.due or step.at)
            seen = self.s.handled_requests[-1:]
            changed = lambda seen=seen: self.s.handled_requests[-1:] != seen  # noqa: E731
            if self.lean:
                if await self._alarm.wait(step.at, changed):
                    continue  # an action changed the state: recompute what comes next
                if local_date(workflow.now()).year > run_year:
                    # The term's first step in a new year starts a fresh history, carrying
                    # its state; the new run takes the step. One timer spans the New Year.
                    return await self._continue(self.s, announced=True)
            elif await wait_until(min(step.at, boundary), changed):
                continue  # an action changed the state: recompute what comes next
            elif step.at > boundary:
                # Every New Year the term starts a fresh history, carrying its state.
                return await self._continue(self.s, announced=True)
            if step.key in self.s.done:
                continue
            self.s.done = [*self.s.done, step.key]
            renewed = await self._on_milestone(step)
            if renewed is not None:
                return await self._continue(renewed, announced=False)
            if workflow.info().is_continue_as_new_suggested():
                return await self._continue(self.s, announced=True)
        await self._finish_effects()
        return TermResult(
            alliance_code=self.s.alliance_code, status=self.s.status, term_no=self.s.term_no
        )

    async def _continue(self, state: TermState, announced: bool) -> TermResult:
        """Hand the state and the effects still to do to a new run."""
        await self._settle()
        workflow.continue_as_new(
            TermInput(state=state, announced=announced, outbox=self.effects.outbox)
        )

    def _announce_term(self) -> None:
        """Tell the alliance its term and what falls due; skip what an import left behind
        (an assessment not yet held still opens, at once if its day is past)."""
        skip_past(self.s, workflow.now())
        self._record_event("term.started", SYSTEM_ACTOR)
        for held in self.s.assessments:  # held before an article 13 import
            self._record_event(
                f"assessment.{held.kind.value}.imported", SYSTEM_ACTOR, assessment=held
            )
        self._notify(
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
        if step.kind == MilestoneKind.ASSESSMENT_OPEN and step.assessment is not None:
            self._open_assessment(step.assessment)
        elif step.kind == MilestoneKind.TERM_END:
            return await self._end_term()
        elif notice := milestone_notice(step, local_date(workflow.now())):
            self._notify(
                notice.purpose,
                step.key,
                to_alliance=notice.to_alliance,
                to_roles=STAFF if notice.to_staff else (),
                **notice.context,
            )
            if notice.record:
                self._record_event(notice.record, SYSTEM_ACTOR, detail=notice.detail)
        return None

    def _open_assessment(self, kind: AssessmentKind) -> None:
        """Article 12: the year-3 or year-5 assessment opens; materials are due in N days."""
        due = end_of_day(
            local_date(workflow.now()) + timedelta(days=self.s.rules.assessment_materials_days)
        )
        record = AssessmentRecord(kind=kind, materials_due=due)
        self.s.assessments = [*self.s.assessments, record]
        self._record_event(f"assessment.{kind.value}.opened", SYSTEM_ACTOR, assessment=record)
        self._notify(
            Purpose.ASSESSMENT_OPENED,
            f"{kind.value}.opened",
            to_alliance=True,
            assessment=kind.value,
            assessment_name=ASSESSMENT_ZH[kind],
            materials_due=due.isoformat(),
        )

    async def _end_term(self) -> TermState | None:
        """The term runs out: renew after a passed final assessment, else it expires."""
        final = self.s.assessment(AssessmentKind.FINAL)
        if final is not None and final.grade is not None and final.grade != Grade.POOR:
            # The renewed certificate is an effect; the next term starts once it is issued.
            await workflow.wait_condition(lambda: self.s.renewal is not None)
            return next_term(self.s)
        self._finish(TermStatus.EXPIRED, "expired", SYSTEM_ACTOR, "", "expired")
        self._notify(Purpose.EXPIRED, "expired", to_alliance=True, to_roles=STAFF, reason="")
        return None

    # ------------------------------------------------------------------ the alliance's actions

    @workflow.update
    def submit_annual_report(self, action: AnnualReportSubmission) -> ReportRecord:
        """Article 11: summary, next year's plan and the innovation resource statistics."""
        self._accept(action.request_id, lambda: checks.check_report_submission(self.s, action))
        now = workflow.now()
        previous = self.s.report(action.year)
        record = ReportRecord(
            year=action.year,
            status=ReportStatus.SUBMITTED,
            submitted_at=now,
            late=now > report_due(action.year),
            versions=(previous.versions if previous else 0) + 1,
            summary=action.summary,
            next_year_plan=action.next_year_plan,
            statistics=action.statistics,
        )
        self.s.reports = [r for r in self.s.reports if r.year != record.year] + [record]
        self._record_event("report.submitted", action.actor, report=record)
        self._notify(
            Purpose.REPORT_RECEIVED,
            f"report:{action.year}:received:{record.versions}",
            to_alliance=True,
            year=action.year,
            submitted_at=now.isoformat(),
            late=record.late,
        )
        return record

    validate_with(submit_annual_report, checks.check_report_submission)

    @workflow.update
    def submit_assessment_materials(self, action: AssessmentMaterials) -> AssessmentRecord:
        now = workflow.now()
        self._accept(
            action.request_id, lambda: checks.check_assessment_materials(self.s, action, now)
        )
        record = self.s.assessment(action.kind)
        assert record is not None  # the check found the open assessment
        record.materials_submitted_at = now
        record.materials = action.summary
        self._record_event(
            f"assessment.{action.kind.value}.materials", action.actor, assessment=record
        )
        return record

    validate_with(submit_assessment_materials, checks.check_assessment_materials, dated=True)

    @workflow.update
    def submit_rectification_report(self, action: RectificationReport) -> Rectification:
        self._accept(action.request_id, lambda: checks.check_rectification_report(self.s, action))
        rectification = self.s.rectification
        assert rectification is not None  # the check found the rectification under way
        rectification.report_submitted_at = workflow.now()
        rectification.report = action.report
        self._record_event("rectification.report", action.actor)
        return rectification

    validate_with(submit_rectification_report, checks.check_rectification_report)

    @workflow.update
    def withdraw(self, action: Withdrawal) -> TermStatus:
        """The alliance gives up its status (自愿放弃); its certificate no longer holds."""
        self._accept(action.request_id, lambda: checks.check_withdrawal(self.s, action))
        self._finish(TermStatus.WITHDRAWN, "withdrawn", action.actor, action.reason, "withdrawn")
        self._notify(
            Purpose.STATUS_RENOUNCED,
            "renounced",
            to_alliance=True,
            to_roles=STAFF,
            reason=action.reason,
            renounced_on=local_date(workflow.now()).isoformat(),
        )
        return self.s.status

    validate_with(withdraw, checks.check_withdrawal)

    @workflow.update
    def change_membership(self, action: MembershipChange) -> TermStatus:
        """Members or contacts change; article 8 must still hold."""
        self._accept(action.request_id, lambda: checks.check_membership_change(self.s, action))
        self.s.members = action.members
        self.s.contacts = action.contacts
        self._record_event(
            "membership.changed",
            action.actor,
            reasons=action.note,
            members=action.members,
            contacts=action.contacts,
        )
        self._notify(
            Purpose.MEMBERSHIP_CHANGED,
            f"membership:{self.s.events_recorded}",
            to_alliance=True,
            to_roles=STAFF,
            members=[m.name for m in action.members],
            note=action.note,
        )
        return self.s.status

    validate_with(change_membership, checks.check_membership_change)

    # ------------------------------------------------------------------ the bureau's actions

    @workflow.update
    def review_annual_report(self, action: AnnualReportReview) -> ReportRecord:
        """Staff accept a report or send it back; a returned report is due again in N days."""
        self._accept(action.request_id, lambda: checks.check_report_review(self.s, action))
        record = self.s.report(action.year)
        assert record is not None  # the check found the submitted report
        record.review = action.reasons
        if action.accepted:
            record.status = ReportStatus.ACCEPTED
            self._record_event("report.accepted", action.actor, report=record)
            self._notify(
                Purpose.REPORT_ACCEPTED,
                f"report:{action.year}:accepted",
                to_alliance=True,
                year=action.year,
            )
        else:
            days = self.s.rules.report_resubmission_days
            record.status = ReportStatus.RETURNED
            record.resubmit_by = end_of_day(local_date(workflow.now()) + timedelta(days=days))
            self._record_event(
                "report.returned", action.actor, reasons=action.reasons, report=record
            )
            self._notify(
                Purpose.REPORT_RETURNED,
                f"report:{action.year}:returned:{record.versions}",
                to_alliance=True,
                year=action.year,
                reasons=action.reasons,
                resubmit_by=record.resubmit_by.isoformat(),
            )
        return record

    validate_with(review_annual_report, checks.check_report_review)

    @workflow.update
    def record_assessment(self, action: AssessmentResult) -> TermStatus:
        """Article 12: record a grade; a poor mid-term warns and orders rectification,
        a passed final renews the certificate, a failed final revokes the status."""
        now = workflow.now()
        self._accept(action.request_id, lambda: checks.check_assessment_result(self.s, action, now))
        record = self.s.assessment(action.kind)
        if record is None:  # an imported term whose assessment opened before the import
            record = AssessmentRecord(kind=action.kind, materials_due=now)
            self.s.assessments = [*self.s.assessments, record]
        record.grade, record.opinion, record.recorded_at = action.grade, action.opinion, now
        self._record_event(
            f"assessment.{action.kind.value}.{action.grade.value}",
            action.actor,
            reasons=action.opinion,
            assessment=record,
        )
        self._notify(
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
            self._order_rectification(action.opinion)
        elif action.kind == AssessmentKind.FINAL and poor:
            self._revoke(action.actor, RevocationGround.FINAL_FAILED, action.opinion)
        elif action.kind == AssessmentKind.FINAL:  # a renewed certificate for five more years
            if self.s.status == TermStatus.RECTIFICATION:  # a failed re-check: the final decides
                self.s.status = TermStatus.ACTIVE
                self._search(STATUS.value_set(self.s.status.value))
            self._issue_certificate(renewed_certificate(self.s))
        return self.s.status

    validate_with(record_assessment, checks.check_assessment_result, dated=True)

    @workflow.update
    def recheck_rectification(self, action: RectificationRecheck) -> TermStatus:
        """Staff re-check the rectification: pass restores the alliance; a fail leaves
        staff to revoke, or to extend the deadline once."""
        self._accept(action.request_id, lambda: checks.check_rectification_recheck(self.s, action))
        rectification = self.s.rectification
        assert rectification is not None  # the check found the rectification under way
        rectification.result = RecheckResult.PASSED if action.passed else RecheckResult.FAILED
        rectification.reason = action.reason
        if action.passed:
            self.s.status = TermStatus.ACTIVE
            self._search(STATUS.value_set(self.s.status.value))
        self._record_event(
            f"rectification.{rectification.result.value}", action.actor, reasons=action.reason
        )
        self._notify(
            Purpose.RECTIFICATION_RESULT,
            f"rectification:{rectification.extensions}:result",
            to_alliance=True,
            to_roles=STAFF,
            passed=action.passed,
            reason=action.reason,
            extended_due=None,
        )
        return self.s.status

    validate_with(recheck_rectification, checks.check_rectification_recheck)

    @workflow.update
    def extend_rectification(self, action: RectificationExtension) -> Rectification:
        self._accept(
            action.request_id, lambda: checks.check_rectification_extension(self.s, action)
        )
        due = end_of_day(local_date(workflow.now()) + timedelta(days=action.days))
        previous = self.s.rectification
        assert previous is not None  # the check found the rectification under way
        self.s.rectification = Rectification(
            due=due, extended=True, extensions=previous.extensions + 1
        )
        self._record_event("rectification.extended", action.actor, reasons=action.reason)
        self._notify(
            Purpose.RECTIFICATION_RESULT,
            f"rectification:extension:{self.s.rectification.extensions}",
            to_alliance=True,
            to_roles=STAFF,
            passed=False,
            reason=action.reason,
            extended_due=due.isoformat(),
        )
        return self.s.rectification

    validate_with(extend_rectification, checks.check_rectification_extension)

    @workflow.update
    def revoke(self, action: Revocation) -> TermStatus:
        """Staff revoke the status (取消资格) on one ground from the fixed list."""
        self._accept(action.request_id, lambda: checks.check_revocation(self.s, action))
        self._revoke(action.actor, action.ground, action.reason, action.legal_basis)
        return self.s.status

    validate_with(revoke, checks.check_revocation)

    @workflow.update
    def extend_term(self, action: TermExtension) -> TermStatus:
        """Staff keep the status beyond the term while the final result is outstanding."""
        now = workflow.now()
        self._accept(action.request_id, lambda: checks.check_term_extension(self.s, action, now))
        self.s.extended_until = action.until
        self.s.term_extensions += 1
        until = {"until": action.until.isoformat()}
        self._record_event("term.extended", action.actor, reasons=action.reason, detail=until)
        self._notify(
            Purpose.TERM_EXTENDED,
            f"extended:{action.until.isoformat()}",
            to_alliance=True,
            to_roles=STAFF,
            extended_until=action.until.isoformat(),
            reason=action.reason,
        )
        return self.s.status

    validate_with(extend_term, checks.check_term_extension, dated=True)

    @workflow.update
    def record_plaque_handover(self, action: PlaqueHandover) -> PlaqueHandoverRecord:
        """9.5 牌匾: staff record when the plaque was handed over, and to whom; once."""
        now = workflow.now()
        self._accept(action.request_id, lambda: checks.check_plaque_handover(self.s, action, now))
        record = PlaqueHandoverRecord(
            handed_over_on=action.handed_over_on,
            received_by=action.received_by,
            recorded_by=action.actor.name,
        )
        self.s.plaque_handed_over = record
        detail = record.model_dump(mode="json", include={"handed_over_on", "received_by"})
        self._record_event("plaque.handed_over", action.actor, detail=detail)
        return record

    validate_with(record_plaque_handover, checks.check_plaque_handover, dated=True)

    @workflow.query
    def state(self) -> TermState:
        return self.s

    # ------------------------------------------------------------------ transitions

    def _order_rectification(self, opinion: str) -> None:
        """Article 12: a poor mid-term is warned and ordered to rectify, in one notice
        (告诫及限期整改通知)."""
        days = self.s.rules.rectification_days
        due = end_of_day(local_date(workflow.now()) + timedelta(days=days))
        self.s.rectification = Rectification(due=due)
        self.s.status = TermStatus.RECTIFICATION
        self._search(STATUS.value_set(self.s.status.value))
        self._record_event("rectification.ordered", SYSTEM_ACTOR, reasons=opinion)
        self._notify(
            Purpose.RECTIFICATION_NOTICE,
            "rectification",
            to_alliance=True,
            to_roles=STAFF,
            assessment_name=ASSESSMENT_ZH[AssessmentKind.MIDTERM],
            opinion=opinion,
            rectification_due=due.isoformat(),
        )

    def _revoke(
        self, actor: Actor, ground: RevocationGround, reason: str, legal_basis: str = ""
    ) -> None:
        self.s.revocation_ground = ground
        self._finish(
            TermStatus.REVOKED,
            "revoked",
            actor,
            reason,
            "revoked",
            detail={"ground": ground.value, "legal_basis": legal_basis},
        )
        self._notify(
            Purpose.REVOKED,
            "revoked",
            to_alliance=True,
            to_roles=STAFF,
            ground=ground.value,
            ground_zh=REVOCATION_GROUND_ZH[ground],
            ground_en=REVOCATION_GROUND_EN[ground],
            legal_basis=legal_basis,
            reason=reason,
            revoked_on=local_date(workflow.now()).isoformat(),
        )

    def _certificate_issued(self, effect: Effect, recognition: Recognition) -> None:
        self.s.renewal = recognition
        start = recognition.recognised_on
        self._record_event(
            "renewed",
            SYSTEM_ACTOR,
            detail={"certificate": recognition.certificate_serial, "from": start.isoformat()},
        )
        self._notify(
            Purpose.RENEWED,
            f"renewed:term{self.s.term_no + 1}",
            to_alliance=True,
            to_roles=[Role.DISTRICT_REVIEWER],
            attachments=[recognition.certificate_document_id],
            new_term_start=start.isoformat(),
            new_term_end=recognition.valid_until.isoformat(),
            certificate_serial=recognition.certificate_serial,
            approval_document_number=recognition.approval_document_number,
        )
