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
    # To the administrators, once per year: a needed holiday year is not loaded (no alliance).
    HOLIDAY_YEAR_MISSING = "holiday_year_missing"
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
    RECTIFICATION_NOTICE = "rectification_notice"  # 告诫及限期整改通知 (article 12)
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
    STATUS_RENOUNCED = "status_renounced"  # 自愿放弃认定资格: a recognised alliance leaves


PURPOSE_ZH = {
    Purpose.APPLICATION_RECEIVED: "受理回执",
    Purpose.ACTION_REQUESTED: "办理提醒",
    Purpose.RETURNED_FOR_CORRECTION: "退回补正通知",
    Purpose.PROGRESS: "办理进度通知",
    Purpose.REJECTED: "不予认定通知",
    Purpose.NOTICE_PUBLISHED: "公示通知",
    Purpose.OBJECTION_RECEIVED: "异议受理通知",
    Purpose.OBJECTION_RESOLVED: "异议处理结果",
    Purpose.RECOGNISED: "认定通知（附证书）",
    Purpose.WITHDRAWN: "撤回通知",
    Purpose.STAGE_REMINDER: "期限提醒",
    Purpose.STAGE_ESCALATION: "逾期督办",
    Purpose.CALENDAR_MISSING: "节假日安排缺失提醒",
    Purpose.HOLIDAY_YEAR_MISSING: "节假日安排待导入提醒",
    Purpose.TERM_STARTED: "认定期开始通知",
    Purpose.REPORT_REMINDER: "年度报告提醒",
    Purpose.REPORT_OVERDUE: "年度报告逾期通知",
    Purpose.REPORT_ESCALATION: "年度报告逾期督办",
    Purpose.REPORT_FINAL_REMINDER: "年度报告最后提醒",
    Purpose.REPORT_RECEIVED: "年度报告受理回执",
    Purpose.REPORT_RETURNED: "年度报告退回通知",
    Purpose.REPORT_ACCEPTED: "年度报告审核通过",
    Purpose.REPORT_RESUBMISSION_OVERDUE: "年度报告重报逾期",
    Purpose.ASSESSMENT_OPENED: "考核评估通知",
    Purpose.ASSESSMENT_REMINDER: "考核评估材料提醒",
    Purpose.ASSESSMENT_OVERDUE: "考核评估材料逾期",
    Purpose.ASSESSMENT_RESULT_OVERDUE: "考核评估结果待录入",
    Purpose.ASSESSMENT_RESULT: "考核评估结果通知",
    Purpose.RECTIFICATION_NOTICE: "告诫及限期整改通知",
    Purpose.RECTIFICATION_REMINDER: "整改期限提醒",
    Purpose.RECTIFICATION_OVERDUE: "整改逾期通知",
    Purpose.RECTIFICATION_RESULT: "整改复核结果",
    Purpose.REVOKED: "取消资格通知",
    Purpose.RENEWED: "续期通知（附新证书）",
    Purpose.TERM_ENDING: "认定期即将届满提醒",
    Purpose.TERM_EXTENDED: "认定期延长通知",
    Purpose.EXPIRED: "认定期届满通知",
    Purpose.MEMBERSHIP_CHANGED: "成员变更通知",
    Purpose.INCIDENT: "故障提醒",
    Purpose.STATUS_RENOUNCED: "自愿放弃认定资格通知",
}


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
