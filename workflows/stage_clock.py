"""The working-day clock of a waiting stage of article 9, and the holiday-calendar guard.

A stage's limit is counted in working days on the State Council calendar (调休 included),
computed once on entry and kept in the state. Whoever must act is told when the stage
opens, reminded before the limit and, once it has passed, bureau staff are alerted,
again every few days while it stays overdue. A calendar look-up whose holiday year is
not loaded stops the step with an alert to staff; it never guesses a working day.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.common import SHORT, wait_until
from workflows.procedure_records import ProcedureRecords

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from domain.notices import Purpose
    from domain.procedure import (
        ROLE_ZH,
        STAGE_ACTORS,
        STAGE_ZH,
        SYSTEM_ACTOR,
        ApprovalPlan,
        NoticeWindow,
        Role,
        Stage,
        StageClock,
    )
    from domain.rules import ProcedureRules
    from domain.shanghai_time import local_date
    from domain.working_days import ApprovalPlanRequest, PublicNoticeRequest, StageClockRequest

T = TypeVar("T")


class StageClocks(ProcedureRecords):
    """The recognition workflow's clocks; `calendar_signalled` is set by its signal."""

    calendar_signalled: bool

    async def _stage_clock(
        self,
        stage: Stage,
        visit: int,
        start: datetime | None = None,
        working_days: int | None = None,
    ) -> StageClock | None:
        """This stage's limit, announced to whoever must act; None once the stage is left."""
        if self.s.clock is not None and self.s.clock.stage == stage:
            return self.s.clock
        request = StageClockRequest(
            stage=stage,
            entered_at=start or self.s.stage_entered_at,
            working_days=working_days or _stage_days(self.s.rules, stage),
            reminder_working_days_before=self.s.rules.reminder_working_days_before,
        )
        left = lambda: self.s.stage_visit != visit  # noqa: E731
        clock = await self._plan_with_calendar(
            STAGE_ZH[stage],
            left,
            lambda: workflow.execute_activity_method(
                CalendarActivities.plan_stage_clock, request, start_to_close_timeout=SHORT
            ),
        )
        if clock is None or left():
            return None
        self.s.clock = clock
        self._set_next_deadline(clock.deadline)
        self._announce_stage(stage, clock)
        return clock

    def _announce_stage(self, stage: Stage, clock: StageClock) -> None:
        if stage == Stage.CORRECTION:
            self._notify(
                Purpose.RETURNED_FOR_CORRECTION,
                f"t{self.s.stage_visit}",
                to_alliance=True,
                reasons=self.s.decisions[-1].reasons,
                deadline=clock.deadline.isoformat(),
            )
        elif stage != Stage.PUBLIC_NOTICE:
            self._notify_actors(Purpose.ACTION_REQUESTED, clock, STAGE_ACTORS[stage])

    async def _run_clock(
        self, clock: StageClock, done: Callable[[], bool], actors: frozenset[Role]
    ) -> None:
        """Remind before the limit, escalate to bureau staff after it, repeat while overdue."""
        repeat = timedelta(days=self.s.rules.escalation_repeat_days)
        while True:
            remind = clock.reminders_sent == 0 and clock.reminder_at < clock.deadline
            due = clock.reminder_at if remind else clock.deadline + repeat * clock.escalations_sent
            if await wait_until(due, done):
                return
            if remind:
                clock.reminders_sent = 1
                self._notify_actors(Purpose.STAGE_REMINDER, clock, actors)
                continue
            clock.escalations_sent += 1
            self._notify(
                Purpose.STAGE_ESCALATION,
                f"{clock.stage.value}.t{self.s.stage_visit}.{clock.escalations_sent}",
                to_roles=[Role.BUREAU_STAFF],
                stage_name=STAGE_ZH[clock.stage],
                deadline=clock.deadline.isoformat(),
                role_names=[ROLE_ZH[r] for r in sorted(actors)],
                escalation_no=clock.escalations_sent,
            )
            self._record_event(
                "escalated",
                SYSTEM_ACTOR,
                detail={"stage": clock.stage.value, "count": clock.escalations_sent},
            )

    def _notify_actors(self, purpose: Purpose, clock: StageClock, actors: frozenset[Role]) -> None:
        roles = sorted(actors)
        self._notify(
            purpose,
            f"{clock.stage.value}.t{self.s.stage_visit}",
            to_alliance=Role.APPLICANT in roles,
            to_roles=[r for r in roles if r != Role.APPLICANT],
            stage=clock.stage.value,
            stage_name=STAGE_ZH[clock.stage],
            deadline=clock.deadline.isoformat(),
            role_names=[ROLE_ZH[r] for r in roles],
        )

    async def _notice_window(self) -> NoticeWindow:
        """9.4: five working days of public notice from the day the meeting asked for."""
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

    async def _approval_plan(self) -> ApprovalPlan:
        """9.5: the working days the approval document may bear, from the day after the notice."""
        assert self.s.notice is not None  # the stage follows the notice
        return await workflow.execute_activity_method(
            CalendarActivities.plan_approval,
            ApprovalPlanRequest(
                notice_end=self.s.notice.end, entered_on=local_date(self.s.stage_entered_at)
            ),
            start_to_close_timeout=SHORT,
        )

    async def _plan_with_calendar(
        self, step_name: str, left: Callable[[], bool], plan: Callable[[], Awaitable[T]]
    ) -> T | None:
        """Run a calendar look-up; while its holiday year is missing, alert staff and wait
        for an operator to load it (the `calendar_loaded` signal) or the periodic re-check."""
        while not left():
            self.calendar_signalled = False  # a signal from here on means: look again
            try:
                result = await plan()
                self.s.missing_calendar_year = None
                return result
            except ActivityError as err:
                year = _missing_year(err)
            if left():
                return None
            if self.s.missing_calendar_year != year:
                self._record_event(
                    "calendar.missing", SYSTEM_ACTOR, detail={"year": year, "step": step_name}
                )
            self.s.missing_calendar_year = year
            self.s.calendar_alerts += 1
            self._notify(
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


def _missing_year(err: ActivityError) -> int:
    """The holiday year a calendar look-up lacked; any other failure is raised again."""
    cause = err.cause
    if not (isinstance(cause, ApplicationError) and cause.type == "CalendarYearMissing"):
        raise err
    details: Any = cause.details
    return int(details[0]["year"]) if details else 0


def _stage_days(rules: ProcedureRules, stage: Stage) -> int:
    return {
        Stage.DISTRICT_REVIEW: rules.district_review_days,
        Stage.CORRECTION: rules.correction_days,
        Stage.EXPERT_REVIEW: rules.expert_review_days,
        Stage.DIRECTOR_MEETING: rules.director_meeting_days,
        Stage.PUBLIC_NOTICE: rules.objection_resolution_days,
        Stage.APPROVAL: rules.approval_days,
    }[stage]
