from __future__ import annotations

from datetime import date

import pytest

from domain.holiday_years import holiday_year_notice
from domain.notices import Purpose
from notifications.render import LOCALES, en_date, render, zh_date, zh_datetime

COMMON = {
    "alliance_name": "鞍山市菱镁新材料产业技术创新战略联盟",
    "alliance_code": "91210300MA0QC1234X",
    "district": "haicheng",
    "district_name": "海城市",
    "term_no": 1,
    "term_start": "2026-10-12",
    "term_end": "2031-10-11",
}

CONTEXTS: dict[Purpose, dict] = {
    Purpose.APPLICATION_RECEIVED: {"version": 1, "submitted_at": "2026-09-01T02:30:00+00:00"},
    Purpose.ACTION_REQUESTED: {
        "stage": "expert_review",
        "stage_name": "专家评审",
        "deadline": "2026-10-09T09:59:59+00:00",
        "role_names": ["第三方评审组织机构"],
    },
    Purpose.RETURNED_FOR_CORRECTION: {
        "reasons": "缺少成员单位营业执照复印件。",
        "deadline": "2026-09-30T09:59:59+00:00",
    },
    Purpose.PROGRESS: {"stage_name": "县区审查推荐", "next_stage_name": "专家评审"},
    Purpose.REJECTED: {"stage_name": "专家评审", "reasons": "联盟组建必要性论证不充分。"},
    Purpose.NOTICE_PUBLISHED: {"notice_start": "2026-09-28", "notice_end": "2026-10-09"},
    Purpose.OBJECTION_RECEIVED: {
        "objection_no": 1,
        "objector_name": "王某",
        "objector_organisation": "鞍山某材料有限公司",
        "objection_text": "联盟成员信息与事实不符。",
        "notice_end": "2026-10-09",
    },
    Purpose.OBJECTION_RESOLVED: {
        "objection_no": 1,
        "upheld": False,
        "reason": "经核实，异议不成立。",
    },
    Purpose.RECOGNISED: {
        "approval_document_number": "鞍科批〔2026〕3号",
        "certificate_serial": "ASLM-2026-003",
        "plaque_number": "ASLM-P-2026-003",
        "recognised_on": "2026-10-12",
        "valid_until": "2031-10-11",
    },
    Purpose.WITHDRAWN: {"reason": "发起单位申请撤回。", "stage_name": "专家评审"},
    Purpose.STAGE_REMINDER: {
        "stage_name": "县区审查推荐",
        "deadline": "2026-09-15T09:59:59+00:00",
        "role_names": ["县区科技局审查人员"],
    },
    Purpose.STAGE_ESCALATION: {
        "stage_name": "县区审查推荐",
        "deadline": "2026-09-15T09:59:59+00:00",
        "role_names": ["县区科技局审查人员"],
        "escalation_no": 2,
    },
    Purpose.CALENDAR_MISSING: {
        "year": 2027,
        "step_name": "公示",
        "load_command": "python -m admin.cli calendar load 2027",
    },
    Purpose.HOLIDAY_YEAR_MISSING: holiday_year_notice(
        2027, date(2026, 11, 1), ["admin@kjj.anshan.example"], "http://127.0.0.1:8000"
    ).context,
    Purpose.TERM_STARTED: {
        "report_years": ["2027", "2028", "2029", "2030"],
        "midterm_opens": "2028-10-12T01:00:00+00:00",
        "final_opens": "2030-10-12T01:00:00+00:00",
    },
    Purpose.REPORT_REMINDER: {"year": 2026, "due": "2026-12-31T15:59:59+00:00", "days_left": 30},
    Purpose.REPORT_OVERDUE: {"year": 2026, "due": "2026-12-31T15:59:59+00:00"},
    Purpose.REPORT_ESCALATION: {"year": 2026, "due": "2026-12-31T15:59:59+00:00"},
    Purpose.REPORT_FINAL_REMINDER: {"year": 2026, "due": "2026-12-31T15:59:59+00:00"},
    Purpose.REPORT_RECEIVED: {
        "year": 2026,
        "submitted_at": "2027-01-05T02:30:00+00:00",
        "late": True,
    },
    Purpose.REPORT_RETURNED: {
        "year": 2026,
        "reasons": "年度创新资源统计中研发投入数据缺少佐证材料。",
        "resubmit_by": "2027-01-20T09:59:59+00:00",
    },
    Purpose.REPORT_ACCEPTED: {"year": 2026},
    Purpose.REPORT_RESUBMISSION_OVERDUE: {
        "year": 2026,
        "resubmit_by": "2027-01-20T09:59:59+00:00",
    },
    Purpose.ASSESSMENT_OPENED: {
        "assessment": "midterm",
        "assessment_name": "期中考核评估",
        "materials_due": "2028-11-30T09:59:59+00:00",
    },
    Purpose.ASSESSMENT_REMINDER: {
        "assessment": "midterm",
        "assessment_name": "期中考核评估",
        "materials_due": "2028-11-30T09:59:59+00:00",
        "days_left": 7,
    },
    Purpose.ASSESSMENT_OVERDUE: {
        "assessment_name": "期中考核评估",
        "materials_due": "2028-11-30T09:59:59+00:00",
    },
    Purpose.ASSESSMENT_RESULT_OVERDUE: {
        "assessment_name": "期中考核评估",
        "materials_due": "2028-11-30T09:59:59+00:00",
    },
    Purpose.ASSESSMENT_RESULT: {
        "assessment_name": "期中考核评估",
        "grade": "good",
        "grade_name": "良好",
        "opinion": "联盟运行规范，协同攻关成效明显。",
    },
    Purpose.RECTIFICATION_NOTICE: {
        "assessment_name": "期中考核评估",
        "opinion": "一、完善联盟协议；\n二、落实联合攻关项目。",
        "rectification_due": "2029-03-31T09:59:59+00:00",
    },
    Purpose.RECTIFICATION_REMINDER: {
        "rectification_due": "2029-03-31T09:59:59+00:00",
        "days_left": 15,
    },
    Purpose.RECTIFICATION_OVERDUE: {"rectification_due": "2029-03-31T09:59:59+00:00"},
    Purpose.RECTIFICATION_RESULT: {
        "passed": False,
        "reason": "联合攻关项目尚未落实。",
        "extended_due": "2029-06-30T09:59:59+00:00",
    },
    Purpose.REVOKED: {
        "ground": "rectification_failed",
        "ground_zh": "整改复核不合格",
        "ground_en": "failed the rectification re-check",
        "legal_basis": "",
        "reason": "整改期满仍不合格。",
        "revoked_on": "2029-07-15",
    },
    Purpose.RENEWED: {
        "new_term_start": "2031-10-12",
        "new_term_end": "2036-10-11",
        "certificate_serial": "ASLM-2031-003",
        "approval_document_number": "鞍科批〔2031〕5号",
    },
    Purpose.TERM_ENDING: {"days_left": 30},
    Purpose.TERM_EXTENDED: {"extended_until": "2032-01-31", "reason": "期末综合评估尚在进行。"},
    Purpose.EXPIRED: {"reason": ""},
    Purpose.MEMBERSHIP_CHANGED: {
        "members": ["鞍钢集团有限公司", "辽宁科技大学", "海城市镁质材料研究所"],
        "note": "新增海城市镁质材料研究所。",
    },
    Purpose.STATUS_RENOUNCED: {
        "term_no": 1,
        "term_start": "2026-10-12",
        "term_end": "2031-10-11",
        "renounced_on": "2028-03-02",
        "reason": "联盟成员单位调整，决定解散联盟。",
    },
    Purpose.INCIDENT: {
        "incident_no": 1,
        "effect_name": "发送邮件通知",
        "effect_summary": "发送邮件通知：受理回执",
        "effect_summary_en": "email notice: application received",
        "error": "secretariat@example.cn: 550 mailbox unavailable",
    },
}


# Notices to the bureau about the system as a whole name no alliance.
ABOUT_NO_ALLIANCE = {Purpose.HOLIDAY_YEAR_MISSING}


def context(purpose: Purpose, **overrides: object) -> dict:
    return {**COMMON, **CONTEXTS[purpose], **overrides}


def test_every_purpose_has_a_sample_context():
    assert set(CONTEXTS) == set(Purpose)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("purpose", list(Purpose))
def test_every_purpose_renders_subject_text_and_html_in_both_locales(purpose, locale):
    email = render(purpose, locale, context(purpose))

    assert email.subject and "\n" not in email.subject
    if purpose not in ABOUT_NO_ALLIANCE:
        assert COMMON["alliance_code"] in email.text
    assert email.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{locale}">' in email.html
    # The shared layout signs every email with the bureau's name.
    assert "鞍山市科学技术局" in email.text
    assert "鞍山市科学技术局" in email.html


@pytest.mark.parametrize("purpose", list(Purpose))
def test_chinese_subjects_begin_with_the_bureau_tag(purpose):
    assert render(purpose, "zh-CN", context(purpose)).subject.startswith("【鞍山市科技局】")


def test_html_escapes_an_objection_text_that_the_plain_text_keeps_verbatim():
    hostile = "<script>alert('x')</script> & <b>更多</b>"
    email = render(
        Purpose.OBJECTION_RECEIVED,
        "zh-CN",
        context(Purpose.OBJECTION_RECEIVED, objection_text=hostile, objector_name="<i>王某</i>"),
    )

    assert hostile in email.text
    assert "<i>王某</i>" in email.text
    assert "<script>" not in email.html
    assert (
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;更多&lt;/b&gt;"
        in email.html
    )
    assert "&lt;i&gt;王某&lt;/i&gt;" in email.html


def test_html_keeps_line_breaks_of_multi_line_reasons():
    email = render(
        Purpose.RETURNED_FOR_CORRECTION,
        "zh-CN",
        context(Purpose.RETURNED_FOR_CORRECTION, reasons="一、缺少协议文本；\n二、缺少申请表。"),
    )

    assert "一、缺少协议文本；<br>\n二、缺少申请表。" in email.html
    assert "一、缺少协议文本；\n二、缺少申请表。" in email.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-09", "2026年10月9日"),
        ("2026-01-01", "2026年1月1日"),
        ("2026-10-09T01:00:00+08:00", "2026年10月9日"),
        # 16:00 UTC is already the next day in Beijing.
        ("2026-10-08T16:00:00+00:00", "2026年10月9日"),
        ("2026-10-08T16:00:00Z", "2026年10月9日"),
        ("2026-10-08T15:59:59+00:00", "2026年10月8日"),
        # A datetime without offset is UTC, like every instant the system stores.
        ("2026-10-08T16:30:00", "2026年10月9日"),
    ],
)
def test_zh_date_shows_the_day_in_beijing(value, expected):
    assert zh_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-09", "9 October 2026"),
        ("2026-12-31T16:00:00+00:00", "1 January 2027"),
    ],
)
def test_en_date_shows_day_month_year(value, expected):
    assert en_date(value) == expected


def test_deadlines_show_beijing_time_of_day():
    assert zh_datetime("2026-12-31T15:59:59+00:00") == "2026年12月31日 23:59"
    email = render(Purpose.ACTION_REQUESTED, "zh-CN", context(Purpose.ACTION_REQUESTED))
    assert "请于2026年10月9日 17:59前" in email.text


@pytest.mark.parametrize(
    ("locale", "start", "end"),
    [("zh-CN", "2026年9月28日", "2026年10月9日"), ("en", "28 September 2026", "9 October 2026")],
)
def test_notice_published_shows_explicit_start_and_end_dates(locale, start, end):
    email = render(Purpose.NOTICE_PUBLISHED, locale, context(Purpose.NOTICE_PUBLISHED))

    for part in (email.text, email.html):
        assert start in part
        assert end in part


def test_chinese_notice_period_reads_from_start_to_end():
    email = render(Purpose.NOTICE_PUBLISHED, "zh-CN", context(Purpose.NOTICE_PUBLISHED))
    assert "公示期：2026年9月28日至2026年10月9日" in email.text


def test_recognition_email_lists_the_numbers_and_validity():
    email = render(Purpose.RECOGNISED, "zh-CN", context(Purpose.RECOGNISED))

    for expected in ("鞍科批〔2026〕3号", "ASLM-2026-003", "ASLM-P-2026-003", "2031年10月11日"):
        assert expected in email.text
        assert expected in email.html


@pytest.mark.parametrize(("upheld", "outcome"), [(True, "异议成立"), (False, "异议不成立")])
def test_objection_resolution_states_the_outcome(upheld, outcome):
    email = render(
        Purpose.OBJECTION_RESOLVED, "zh-CN", context(Purpose.OBJECTION_RESOLVED, upheld=upheld)
    )
    assert outcome in email.text


def test_calendar_alert_shows_the_load_command_verbatim():
    command = "python -m admin.cli calendar load 2027 --source 'gov.cn'"
    for locale in LOCALES:
        email = render(
            Purpose.CALENDAR_MISSING,
            locale,
            context(Purpose.CALENDAR_MISSING, load_command=command),
        )
        assert command in email.text
        assert "python -m admin.cli calendar load 2027 --source &#39;gov.cn&#39;" in email.html


def test_english_emails_translate_stage_and_role_names():
    email = render(Purpose.ACTION_REQUESTED, "en", context(Purpose.ACTION_REQUESTED))

    assert email.subject.startswith("[Anshan S&T Bureau] Action required")
    assert "expert review stage" in email.text
    assert "third-party expert review organiser" in email.text
    assert "9 October 2026, 17:59 Beijing time" in email.text


@pytest.mark.parametrize("locale", ["fr", "", None, "zh", "zh_CN"])
def test_other_locales_fall_back_to_chinese(locale):
    purpose = Purpose.PROGRESS
    assert render(purpose, locale, context(purpose)) == render(purpose, "zh-CN", context(purpose))


@pytest.mark.parametrize("locale", ["en-US", "en_GB", "EN"])
def test_english_variants_render_in_english(locale):
    purpose = Purpose.PROGRESS
    assert render(purpose, locale, context(purpose)) == render(purpose, "en", context(purpose))


def test_a_line_break_in_a_name_never_reaches_the_subject_header():
    email = render(
        Purpose.PROGRESS, "zh-CN", context(Purpose.PROGRESS, alliance_name="甲联盟\r\nBcc: x@y")
    )
    assert "\n" not in email.subject and "\r" not in email.subject


@pytest.mark.parametrize(
    ("locale", "due", "days_left"),
    [("zh-CN", "2026年12月31日 23:59", "还有30天"), ("en", "31 December 2026", "30 day(s)")],
)
def test_report_reminder_shows_the_due_date_and_the_days_left(locale, due, days_left):
    email = render(Purpose.REPORT_REMINDER, locale, context(Purpose.REPORT_REMINDER))

    for part in (email.text, email.html):
        assert due in part
        assert days_left in part


@pytest.mark.parametrize("late", [True, False])
def test_report_receipt_says_late_only_when_late(late):
    email = render(Purpose.REPORT_RECEIVED, "zh-CN", context(Purpose.REPORT_RECEIVED, late=late))
    assert ("已标注为逾期报送" in email.text) is late


# The sample extended_due, 2029-06-30 17:59 Beijing time, as each locale shows it.
EXTENDED_DUE_SHOWN = [("zh-CN", "2029年6月30日"), ("en", "30 June 2029")]


@pytest.mark.parametrize(("locale", "new_date"), EXTENDED_DUE_SHOWN)
def test_rectification_result_with_an_extension_shows_the_new_deadline(locale, new_date):
    email = render(Purpose.RECTIFICATION_RESULT, locale, context(Purpose.RECTIFICATION_RESULT))

    for part in (email.text, email.html):
        assert new_date in part


@pytest.mark.parametrize(("locale", "new_date"), EXTENDED_DUE_SHOWN)
@pytest.mark.parametrize("passed", [True, False])
def test_rectification_result_without_an_extension_mentions_no_new_deadline(
    locale, new_date, passed
):
    email = render(
        Purpose.RECTIFICATION_RESULT,
        locale,
        context(Purpose.RECTIFICATION_RESULT, passed=passed, extended_due=None),
    )

    for part in (email.subject, email.text, email.html):
        assert new_date not in part
        assert "延长" not in part
        assert "extended" not in part


@pytest.mark.parametrize(("locale", "grade"), [("zh-CN", "良好"), ("en", "Good")])
def test_assessment_result_shows_the_grade(locale, grade):
    email = render(Purpose.ASSESSMENT_RESULT, locale, context(Purpose.ASSESSMENT_RESULT))

    assert grade in email.subject
    assert grade in email.text
    assert grade in email.html


def test_english_emails_translate_assessment_names():
    email = render(Purpose.ASSESSMENT_OPENED, "en", context(Purpose.ASSESSMENT_OPENED))
    assert "mid-term assessment" in email.text
    assert "期中考核评估" not in email.text


@pytest.mark.parametrize(
    ("locale", "start", "end"),
    [("zh-CN", "2031年10月12日", "2036年10月11日"), ("en", "12 October 2031", "11 October 2036")],
)
def test_renewal_shows_the_new_term(locale, start, end):
    email = render(Purpose.RENEWED, locale, context(Purpose.RENEWED))

    for part in (email.text, email.html):
        assert start in part
        assert end in part
        assert "ASLM-2031-003" in part


def test_term_start_lists_the_report_years_and_assessment_dates():
    email = render(Purpose.TERM_STARTED, "zh-CN", context(Purpose.TERM_STARTED))

    assert "2027年、2028年、2029年、2030年每年12月底前" in email.text
    assert "自2028年10月12日起" in email.text
    assert "自2030年10月12日起" in email.text
    assert "2026年10月12日至2031年10月11日" in email.text
    assert "年度创新资源统计。\n\n二、期中考核评估" in email.text


@pytest.mark.parametrize("locale", LOCALES)
def test_expiry_without_a_reason_has_no_empty_note(locale):
    email = render(Purpose.EXPIRED, locale, context(Purpose.EXPIRED, reason=""))
    assert "说明：" not in email.text
    assert "Note:" not in email.text


def test_english_incident_alert_names_the_step_in_english():
    email = render(Purpose.INCIDENT, "en", context(Purpose.INCIDENT))
    assert "(email notice: application received)" in email.text
    assert "受理回执" not in email.text and "受理回执" not in email.html
