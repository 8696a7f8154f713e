"""The registry: every table of the read model in one place.

Temporal holds the process state; these tables are what lists, exports and people read.
Only activities (and the operator's import and calendar commands) write them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    UniqueConstraint,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlmodel import Field, SQLModel


class Alliance(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=64, description="联盟编号, e.g. 2026-0007")
    name: str
    lead_unit_code: str = Field(default="", index=True, description="lead unit credit code")
    industry_field: str = ""
    district: str = Field(index=True)
    lead_unit: str = ""
    status: str = Field(index=True, description="the procedure stage or term status")
    origin: str = Field(default="application", description="application | provincial (article 13)")
    workflow_id: str = ""
    application_version: int = 1
    certificate_serial: str | None = Field(default=None, unique=True)
    recognised_on: date | None = None
    term_no: int | None = None
    term_end: date | None = Field(default=None, index=True)
    contact_emails: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime
    updated_at: datetime = Field(index=True)  # the list's default order
    # The time limit on staff that the workflow last set, for the inbox (a `record_deadline`
    # effect, since 1.2); `deadline_as_of` None: the workflow has not written one, and the
    # inbox reads the workflow instead. Both in UTC.
    next_deadline: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    deadline_as_of: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


def early_results_priority_of(payload: dict[str, Any]) -> int | None:
    """Article 8.6's rank (domain.eligibility.early_results_priority) of a stored version;
    None for a membership change, which is no application."""
    # imported here: commands that only read the registry need not load the rules
    from domain.application import Application
    from domain.eligibility import early_results_priority

    if "membership_change" in payload:
        return None
    return early_results_priority(Application.model_validate(payload))


def _payload_priority(context: DefaultExecutionContext) -> int | None:
    return early_results_priority_of(context.get_current_parameters()["payload"])


class ApplicationVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("alliance_code", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    alliance_code: str = Field(index=True, foreign_key="alliance.code")
    version: int
    submitted_at: datetime
    payload: dict = Field(sa_column=Column(JSON))
    # Computed from the payload as the row is written, by whatever writes it, so the inbox
    # ranks by 8.6 without reading each application.
    early_results_priority: int | None = Field(
        default=None, sa_column=Column(Integer, nullable=True, default=_payload_priority)
    )


class Member(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    alliance_code: str = Field(index=True, foreign_key="alliance.code")
    application_version: int
    name: str
    kind: str
    credit_code: str = Field(index=True)
    role: str
    task: str = ""


class MaterialFile(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    alliance_code: str = Field(index=True, foreign_key="alliance.code")
    application_version: int
    kind: str
    name: str
    sha256: str
    member_credit_code: str = ""


class DecisionRow(SQLModel, table=True):
    __tablename__ = "decision"
    id: int | None = Field(default=None, primary_key=True)
    alliance_code: str = Field(index=True, foreign_key="alliance.code")
    event_key: str = Field(unique=True)
    stage: str
    action: str
    actor: str
    role: str
    reasons: str = ""
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON))
    decided_at: datetime


class ObjectionRow(SQLModel, table=True):
    __tablename__ = "objection"
    __table_args__ = (UniqueConstraint("alliance_code", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    alliance_code: str = Field(index=True, foreign_key="alliance.code")
    number: int
    name: str
    organisation: str = ""
    contact: str
    text: str
    filed_at: datetime
    status: str = "open"
    resolution: str = ""
    resolved_by: str = ""
    resolved_at: datetime | None = None
    tracking_number: str | None = Field(
        default=None,
        unique=True,
        index=True,
        max_length=32,
        description="受理查询号 the objector looks the objection up by; None if filed by staff",
    )
    letter_name: str = ""
    letter_sha256: str = Field(
        default="", index=True, max_length=64, description="the signed letter, in uploaded_file"
    )


class PublicNoticeRow(SQLModel, table=True):
    __tablename__ = "public_notice"
    id: int | None = Field(default=None, primary_key=True)
    alliance_code: str = Field(index=True, foreign_key="alliance.code", unique=True)
    start_date: date
    end_date: date
    published_at: datetime
    status: str = "open"  # open | closed


class Document(SQLModel, table=True):
    """Generated documents (certificate PDFs), kept in the database so any host can serve them."""

    id: int | None = Field(default=None, primary_key=True)
    alliance_code: str = Field(index=True, foreign_key="alliance.code")
    kind: str
    filename: str
    content_type: str = "application/pdf"
    sha256: str
    content: bytes = Field(sa_column=Column(LargeBinary))
    created_at: datetime


class Certificate(SQLModel, table=True):
    """批复文件、证书和牌匾 (article 9.5); one row per alliance and term."""

    __table_args__ = (UniqueConstraint("alliance_code", "term"),)
    id: int | None = Field(default=None, primary_key=True)
    alliance_code: str = Field(index=True, foreign_key="alliance.code")
    term: int = 1
    approval_document_number: str  # one 批复文件 may recognise several alliances
    serial: str = Field(unique=True)
    plaque_number: str = Field(unique=True)
    issued_on: date
    valid_until: date
    document_id: int | None = Field(default=None, foreign_key="document.id")
    status: str = "valid"


class AnnualReportRow(SQLModel, table=True):
    """年度技术创新活动总结、下一年度计划和创新资源统计 (article 11)."""

    __tablename__ = "annual_report"
    __table_args__ = (UniqueConstraint("alliance_code", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    alliance_code: str = Field(index=True, foreign_key="alliance.code")
    term_no: int
    year: int = Field(index=True)
    status: str = Field(index=True, description="due | submitted | returned | accepted")
    submitted_at: datetime | None = None
    late: bool = False
    versions: int = 0
    summary: str = ""
    next_year_plan: str = ""
    statistics: dict | None = Field(default=None, sa_column=Column(JSON))
    review: str = ""
    updated_at: datetime


class AssessmentRow(SQLModel, table=True):
    """期中、期末考核评估 (article 12)."""

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("alliance_code", "term_no", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    alliance_code: str = Field(index=True, foreign_key="alliance.code")
    term_no: int
    kind: str
    materials_due: datetime
    materials_submitted_at: datetime | None = None
    grade: str | None = None
    opinion: str = ""
    recorded_at: datetime | None = None
    updated_at: datetime


class AllianceCode(SQLModel, table=True):
    """联盟编号: one per alliance, kept for its whole life. A unit may lead several
    alliances; the same lead unit and alliance name always get the same number back."""

    __tablename__ = "alliance_code"
    __table_args__ = (UniqueConstraint("lead_unit_code", "alliance_name"),)
    code: str = Field(primary_key=True, max_length=16)
    lead_unit_code: str = Field(index=True, max_length=64)
    alliance_name: str
    assigned_at: datetime


class NumberSequence(SQLModel, table=True):
    """Per-year counters for document numbers."""

    name: str = Field(primary_key=True)
    value: int = 0


class EmailMessage(SQLModel, table=True):
    __tablename__ = "email"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, description="alliance:purpose:period; sent at most once")
    message_id: str
    alliance_code: str = Field(index=True)
    purpose: str
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    subject: str
    status: str = Field(default="sending", description="sending | sent | partly_failed | failed")
    refused: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON), description="address → the relay's reply"
    )
    error: str = ""
    attempts: int = 0
    sent_at: datetime | None = None
    created_at: datetime


class AuditEntry(SQLModel, table=True):
    """Append-only: who did what, when and why."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_actor_at", "actor", "at"),)  # 已办, newest first
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, description="idempotency key from the workflow")
    alliance_code: str = Field(index=True)
    actor: str
    role: str
    action: str
    at: datetime
    reason: str = ""
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON))


class CalendarYear(SQLModel, table=True):
    """A year of the State Council holiday schedule that has been loaded."""

    year: int = Field(primary_key=True)
    source: str
    loaded_at: datetime


class CalendarException(SQLModel, table=True):
    """A day off the Monday–Friday rule: a weekday holiday or a make-up working day (调休)."""

    day: date = Field(primary_key=True)
    is_workday: bool
    note: str = ""


class StaffUser(SQLModel, table=True):
    """A web console account. Passwords are stored as argon2 hashes only."""

    __tablename__ = "staff_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    display_name: str
    password_hash: str
    role: str = Field(description="administrator | bureau_staff | director_clerk | …")
    district: str | None = Field(default=None, description="for a district reviewer: its district")
    email: str | None = Field(default=None, description="where system alerts reach this person")
    active: bool = True
    created_at: datetime


class StaffSession(SQLModel, table=True):
    """A signed-in console session, held here so that signing out, disabling the account
    or idling ends it at once; the browser's cookie carries only its token."""

    __tablename__ = "staff_session"
    id: str = Field(primary_key=True, max_length=64, description="SHA-256 of the cookie's token")
    user_id: int = Field(index=True, foreign_key="staff_user.id")
    created_at: datetime
    last_seen_at: datetime


class AccountAudit(SQLModel, table=True):
    """Append-only: who changed which console account, when and how."""

    __tablename__ = "account_audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    actor: str = Field(description="the administrator's user name, or alliance-admin")
    action: str = Field(description="user.created | user.disabled | user.enabled | …")
    username: str = Field(index=True, description="the account changed")
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON))


class UploadedFile(SQLModel, table=True):
    """An article-10 material uploaded through the console, stored by its SHA-256."""

    __tablename__ = "uploaded_file"
    sha256: str = Field(primary_key=True, max_length=64)
    filename: str
    content_type: str
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary))
    uploaded_at: datetime
    uploaded_by: str


class DraftUpload(SQLModel, table=True):
    """A file uploaded with a new-application form not accepted yet, held for its draft
    (the form's hidden `draft` field) until the application is submitted; a draft left
    for a day is dropped (registry.uploads.DRAFT_KEPT)."""

    __tablename__ = "draft_upload"
    __table_args__ = (UniqueConstraint("draft_id", "form_field"),)
    id: int | None = Field(default=None, primary_key=True)
    draft_id: str = Field(index=True, max_length=64)
    form_field: str = Field(max_length=32, description="agreement, licence_3, …")
    held_by: str = Field(description="the staff user's username: only they see the draft")
    filename: str
    content_type: str
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary))
    held_at: datetime = Field(index=True, description="last time the draft was stored")


class RateLimitWindow(SQLModel, table=True):
    """How often one key (a user name and address, or an address) hit one limit in one
    fixed window: the count every web process reads and raises in one statement, so two
    processes share the limit. Rows older than the window before are deleted as new
    windows open (registry.rate_limits)."""

    __tablename__ = "rate_limit_window"
    bucket: str = Field(
        primary_key=True, max_length=32, description="login | login_failure | objection"
    )
    key: str = Field(primary_key=True, max_length=64, description="SHA-256 of the limited key")
    window_start: int = Field(
        sa_column=Column(BigInteger, primary_key=True, index=True),
        description="Unix time in seconds, a multiple of the window's length",
    )
    hits: int


class PortalUser(SQLModel, table=True):
    """A person of an alliance's secretariat in the alliance portal (never a console
    account). The password is set on activation, stored as an argon2 hash only."""

    __tablename__ = "portal_user"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254, description="lower case; signs in by it")
    name: str = Field(default="", description="signs the portal audit log")
    password_hash: str = Field(default="", description="empty until the account is activated")
    created_at: datetime
    activated_at: datetime | None = None


class PortalMembership(SQLModel, table=True):
    """Which alliances a portal user serves, and as what; removing the row ends access."""

    __tablename__ = "portal_membership"
    __table_args__ = (UniqueConstraint("user_id", "alliance_code"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(index=True, foreign_key="portal_user.id")
    alliance_code: str = Field(index=True, max_length=64)
    role: str = Field(description="administrator | member")
    added_by: str = Field(description="the administrator's name, or system for the contact")
    added_at: datetime


class PortalToken(SQLModel, table=True):
    """A single-use link sent by email: activation (sets a password, joins an alliance) or
    sign-in. Only the SHA-256 of the token is stored."""

    __tablename__ = "portal_token"
    id: str = Field(primary_key=True, max_length=64, description="SHA-256 of the link's token")
    purpose: str = Field(max_length=16, description="activation | sign_in")
    email: str = Field(index=True, max_length=254)
    alliance_code: str | None = Field(default=None, index=True, max_length=64)
    role: str | None = Field(default=None, description="activation: the role it grants")
    notice_key: str = Field(default="", description="the notice that carried it, if any")
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class PortalSession(SQLModel, table=True):
    """A signed-in portal session; kept apart from staff_session so neither opens the other."""

    __tablename__ = "portal_session"
    id: str = Field(primary_key=True, max_length=64, description="SHA-256 of the cookie's token")
    user_id: int = Field(index=True, foreign_key="portal_user.id")
    created_at: datetime
    last_seen_at: datetime


class PortalAudit(SQLModel, table=True):
    """Append-only: what a portal user did, for which alliance, when."""

    __tablename__ = "portal_audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    user_name: str = Field(description="the person's name as they gave it")
    email: str
    alliance_code: str | None = Field(default=None, index=True, max_length=64)
    action: str = Field(description="account.activated | signed_in | user.added | …")
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON))


class PortalChangeRequest(SQLModel, table=True):
    """成员和联系人变更申请: the whole new list of members and contacts an alliance proposes
    in the portal, checked against article 8 when proposed; bureau staff apply or decline it."""

    __tablename__ = "portal_change_request"
    id: int | None = Field(default=None, primary_key=True)
    alliance_code: str = Field(index=True, max_length=64)
    request_id: str = Field(unique=True, max_length=64, description="the portal form's")
    status: str = Field(default="pending", description="pending | applied | declined")
    members: list = Field(default_factory=list, sa_column=Column(JSON))
    contacts: list = Field(default_factory=list, sa_column=Column(JSON))
    note: str = ""
    requested_by: str = Field(description="the portal user's name")
    requested_by_email: str
    requested_at: datetime
    decided_by: str = ""
    decided_at: datetime | None = None
    reason: str = Field(default="", description="why staff declined it")


class PortalAttachment(SQLModel, table=True):
    """A file an alliance attached in the portal to what it handed in; the bytes are in
    uploaded_file, by SHA-256."""

    __tablename__ = "portal_attachment"
    id: int | None = Field(default=None, primary_key=True)
    alliance_code: str = Field(index=True, max_length=64)
    subject: str = Field(description="report:2027 | assessment:midterm | rectification")
    request_id: str = Field(max_length=64, description="the workflow update that carried it")
    sha256: str = Field(max_length=64)
    filename: str
    submitted_by: str
    submitted_at: datetime


class PortalDraft(SQLModel, table=True):
    """An application a portal user is filling in online: a new one (subject `new`) or the
    correction of a returned one (subject: the alliance's code). Saved with every press of
    the form; its files are held in draft_upload under the draft's id for as long as the
    draft lives, and both go when the application is submitted."""

    __tablename__ = "portal_draft"
    __table_args__ = (UniqueConstraint("user_id", "subject"),)
    id: str = Field(primary_key=True, max_length=64, description="draft_upload's draft id")
    user_id: int = Field(index=True, foreign_key="portal_user.id")
    subject: str = Field(max_length=64, description="new | the alliance code being corrected")
    form: dict = Field(default_factory=dict, sa_column=Column(JSON))
    saved_at: datetime
