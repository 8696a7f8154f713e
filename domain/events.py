"""What a workflow asks the registry activity to record at a transition.

One event is one audit entry plus whatever read-model rows it changes, written in one
transaction and at most once (its key is the idempotency key).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from domain.application import Application, Contact, Member
from domain.procedure import Actor, NoticeWindow, Objection, Recognition, Stage
from domain.term import AssessmentRecord, ReportRecord, TermStatus


class ProcedureEvent(BaseModel):
    key: str
    alliance_code: str
    workflow_id: str
    actor: Actor
    action: str  # e.g. submitted, district_review.recommend, objection.filed
    at: datetime
    stage: Stage  # the stage after the event: the registry status
    reasons: str = ""
    detail: dict = {}
    application: Application | None = None  # a new application version to store
    application_version: int | None = None
    is_decision: bool = False  # also a row in the decisions table
    objection: Objection | None = None
    notice: NoticeWindow | None = None
    notice_status: str | None = None  # open | closed
    recognition: Recognition | None = None


class TermEvent(BaseModel):
    """A transition of the five-year term: audit entry, status and the rows it changes."""

    key: str
    alliance_code: str
    workflow_id: str
    actor: Actor
    action: str  # e.g. term.started, report.submitted, assessment.recorded, revoked
    at: datetime
    status: TermStatus
    term_no: int
    term_start: date
    term_end: date
    reasons: str = ""
    detail: dict = {}
    report: ReportRecord | None = None
    assessment: AssessmentRecord | None = None
    certificate_status: str | None = None  # revoked | expired: every certificate of the alliance
    members: list[Member] | None = None  # a membership change: a new member list
    contacts: list[Contact] | None = None
