"""What the workflow asks the email activity to send: notices with deterministic keys.

A notice names its recipients by address and/or by role; the activity resolves roles to
addresses from the settings, so a changed address reaches running workflows.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from domain.districts import District
from domain.procedure import Role


class Purpose(StrEnum):
    APPLICATION_RECEIVED = "application_received"  # 受理回执 (to the alliance)
    ACTION_REQUESTED = "action_requested"  # a stage opened: whoever must act is told
    RETURNED_FOR_CORRECTION = "returned_for_correction"
    PROGRESS = "progress"  # a stage was passed (to the alliance)
    REJECTED = "rejected"
    NOTICE_PUBLISHED = "notice_published"  # 公示 start and end (to the alliance)
    OBJECTION_RECEIVED = "objection_received"  # to bureau staff
    OBJECTION_RESOLVED = "objection_resolved"  # upheld or dismissed
    RECOGNISED = "recognised"  # 认定: approval document, certificate attached
    WITHDRAWN = "withdrawn"
    STAGE_REMINDER = "stage_reminder"  # before a stage's time limit
    STAGE_ESCALATION = "stage_escalation"  # to bureau staff once the limit has passed
    CALENDAR_MISSING = "calendar_missing"  # to bureau staff: a holiday year must be loaded
    # The five-year term (articles 11 and 12)
    TERM_STARTED = "term_started"  # to the alliance: the term, its deadlines
    REPORT_REMINDER = "report_reminder"
    REPORT_OVERDUE = "report_overdue"
    REPORT_ESCALATION = "report_escalation"  # to bureau staff
    REPORT_FINAL_REMINDER = "report_final_reminder"
    REPORT_RECEIVED = "report_received"
    REPORT_RETURNED = "report_returned"
    REPORT_ACCEPTED = "report_accepted"
    REPORT_RESUBMISSION_OVERDUE = "report_resubmission_overdue"
    ASSESSMENT_OPENED = "assessment_opened"
    ASSESSMENT_REMINDER = "assessment_reminder"
    ASSESSMENT_OVERDUE = "assessment_overdue"
    ASSESSMENT_RESULT_OVERDUE = "assessment_result_overdue"  # to bureau staff
    ASSESSMENT_RESULT = "assessment_result"
    WARNING = "warning"  # 告诫
    RECTIFICATION_NOTICE = "rectification_notice"  # 限期整改通知
    RECTIFICATION_REMINDER = "rectification_reminder"
    RECTIFICATION_OVERDUE = "rectification_overdue"
    RECTIFICATION_RESULT = "rectification_result"
    REVOKED = "revoked"  # 取消资格
    RENEWED = "renewed"  # new term, renewed certificate attached
    TERM_ENDING = "term_ending"  # to bureau staff: no final result yet
    TERM_EXTENDED = "term_extended"
    EXPIRED = "expired"
    MEMBERSHIP_CHANGED = "membership_changed"
    INCIDENT = "incident"  # to bureau staff: an effect stopped retrying and needs a person


class Notice(BaseModel):
    key: str  # alliance:purpose:period — a key already sent is never sent again
    alliance_code: str
    purpose: Purpose
    to_emails: list[str] = []
    to_roles: list[Role] = []
    district: District | None = None  # whose district reviewers, for Role.DISTRICT_REVIEWER
    # Values are plain strings, numbers or lists; dates as ISO strings (templates format them).
    context: dict[str, str | int | float | bool | list[str] | None] = {}
    attachment_document_ids: list[int] = []
    locale: str | None = None  # default: the mail_locale setting


class DeliveryStatus(StrEnum):
    SENDING = "sending"  # handed to the relay; not yet known to be accepted
    SENT = "sent"  # every recipient accepted
    ALREADY_SENT = "already_sent"  # an earlier attempt delivered it; nothing sent again
    PARTLY_FAILED = "partly_failed"  # some recipients refused (5xx); re-sendable to them
    FAILED = "failed"  # refused for every recipient, or it can never be composed


# Listed by `outbox --failed` and the console: some or all recipients never got it.
UNDELIVERED = (DeliveryStatus.PARTLY_FAILED.value, DeliveryStatus.FAILED.value)

DELIVERY_STATUS_ZH = {
    DeliveryStatus.SENDING: "发送中",
    DeliveryStatus.SENT: "已发送",
    DeliveryStatus.ALREADY_SENT: "已发送",
    DeliveryStatus.PARTLY_FAILED: "部分收件人拒收",
    DeliveryStatus.FAILED: "发送失败",
}


class Delivery(BaseModel):
    key: str
    status: DeliveryStatus
    recipients: list[str] = []
    refused: dict[str, str] = {}  # address → the relay's reply
    error: str = ""
