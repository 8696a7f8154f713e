"""Articles 11 and 12: five years of annual reports and assessments, on simulated time."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from pydantic import ValidationError
from sqlmodel import select

from admin.simulation import request_id
from client.alliances import ProcedureActionFailed
from domain.procedure import Actor, Role, Withdrawal
from domain.shanghai_time import SHANGHAI, at_local, end_of_day, local_date
from domain.term import (
    AnnualReportReview,
    AnnualReportSubmission,
    AssessmentKind,
    AssessmentMaterials,
    AssessmentResult,
    Grade,
    RectificationExtension,
    RectificationRecheck,
    RectificationReport,
    ResourceStatistics,
    Revocation,
    RevocationGround,
    TermExtension,
    TermStatus,
    assessment_opens,
    report_due,
    report_years,
)
from registry.database import session_scope
from registry.tables import Alliance, AnnualReportRow, AssessmentRow, Certificate
from tests.support.temporal import body_of, sample_application, subject_of

ALLIANCE = Actor(name="联盟秘书处", role=Role.APPLICANT)
STAFF = Actor(name="钱职员", role=Role.BUREAU_STAFF)
STATS = ResourceStatistics(
    rd_spending_wan=1250.5,
    researchers=86,
    joint_projects=7,
    patents_applied=15,
    patents_granted=9,
    standards_drafted=2,
    technology_transfers=4,
    people_trained=120,
    platforms=3,
    member_funds_invested_wan=860.0,
    government_funding_wan=300.0,
    achievements_commercialised=2,
    commercialisation_income_wan=415.8,
    new_products=5,
    ip_licensed=3,
    talents_introduced=12,
)


def report(year: int, summary: str = "年度总结：完成三项共性技术攻关") -> AnnualReportSubmission:
    return AnnualReportSubmission(
        request_id=request_id(),
        actor=ALLIANCE,
        year=year,
        summary=summary,
        next_year_plan="下一年度计划：推进两项标准制定",
        statistics=STATS,
    )


def revocation(
    ground: RevocationGround, reason: str = "整改不合格", actor: Actor = STAFF, basis: str = ""
) -> Revocation:
    return Revocation(
        request_id=request_id(), actor=actor, ground=ground, reason=reason, legal_basis=basis
    )


def mail_day(message) -> str:
    """The Beijing date a message was sent on Temporal's clock."""
    return parsedate_to_datetime(message["Date"]).astimezone(SHANGHAI).date().isoformat()


async def hand_in_assessment(bureau, code, kind, grade, opinion="专家组意见"):
    state = await bureau.term_state(code)
    await bureau.sleep_until(assessment_opens(state, kind) + timedelta(hours=1))
    await bureau.wait_for_term(code, lambda s: s.assessment(kind) is not None)
    await bureau.act(
        code,
        "submit_assessment_materials",
        AssessmentMaterials(request_id=request_id(), actor=ALLIANCE, kind=kind, summary="自评报告"),
    )
    return await bureau.act(
        code,
        "record_assessment",
        AssessmentResult(
            request_id=request_id(), actor=STAFF, kind=kind, grade=grade, opinion=opinion
        ),
    )


async def test_a_full_term_on_time_renews_into_a_second_term(bureau):
    code = await bureau.recognise()
    first = await bureau.term_state(code)
    years = report_years(first)
    assert years and years[-1] < first.term_end.year + 1

    for year in years:
        reminder = at_local(report_due(year).date() - timedelta(days=30), 9)
        await bureau.sleep_until(reminder + timedelta(hours=2))
        await bureau.wait_for_mail("report_reminder", years.index(year) + 1)
        received = await bureau.act(code, "submit_annual_report", report(year))
        assert received.status == "submitted" and not received.late
        await bureau.act(
            code,
            "review_annual_report",
            AnnualReportReview(request_id=request_id(), actor=STAFF, year=year, accepted=True),
        )
        if year == years[1]:
            await hand_in_assessment(bureau, code, AssessmentKind.MIDTERM, Grade.GOOD)
    status = await hand_in_assessment(bureau, code, AssessmentKind.FINAL, Grade.EXCELLENT)
    assert status == TermStatus.ACTIVE
    renewed = await bureau.wait_for_mail("renewed")
    assert any(p.get_content_type() == "application/pdf" for p in renewed[0].iter_attachments())

    await bureau.sleep_until(end_of_day(first.term_end) + timedelta(days=2))
    second = await bureau.wait_for_term(code, lambda s: s.term_no == 2)
    assert (second.term_no, second.term_start) == (2, first.term_end + timedelta(days=1))
    assert second.term_end.year == first.term_end.year + 5
    await bureau.wait_for_mail("term_started", 2)

    reminders = bureau.mails("report_reminder")
    assert [mail_day(m) for m in reminders] == [f"{y}-12-01" for y in years]
    counts = Counter(m["X-Alliance-Notice-Key"].split(":")[2] for m in bureau.mails())
    assert counts["report_received"] == counts["report_accepted"] == len(years)
    assert counts["assessment_opened"] == counts["assessment_result"] == 2
    assert counts["renewed"] == 1 and counts["term_started"] == 2
    for absent in (
        "report_overdue",
        "report_escalation",
        "rectification_notice",
        "expired",
        "revoked",
    ):
        assert counts[absent] == 0, absent

    with session_scope(bureau.settings.registry_url()) as session:
        alliance = session.get(Alliance, code)
        rows = session.exec(select(AnnualReportRow).where(AnnualReportRow.alliance_code == code))
        certificates = session.exec(select(Certificate).where(Certificate.alliance_code == code))
        assert {r.year: r.status for r in rows} == {y: "accepted" for y in years}
        assert sorted(c.term for c in certificates) == [1, 2]
    assert (alliance.term_no, alliance.status, alliance.term_end) == (2, "active", second.term_end)
    await bureau.keep_history(code, "term_full_renewed")


async def test_a_late_report_gets_overdue_notice_escalation_and_is_marked_late(bureau):
    code = await bureau.recognise()
    state = await bureau.term_state(code)
    year = report_years(state)[0]
    rules = state.rules
    due = report_due(year)
    escalation = at_local(local_date(due) + timedelta(days=rules.report_grace_days), 9)
    await bureau.sleep_until(escalation + timedelta(days=rules.report_final_reminder_days, hours=1))

    reminders = await bureau.wait_for_mail("report_reminder", 4)
    assert [mail_day(m) for m in reminders] == [
        (local_date(due) - timedelta(days=d)).isoformat() for d in rules.report_reminder_days_before
    ]
    overdue = await bureau.wait_for_mail("report_overdue")
    assert [mail_day(m) for m in overdue] == [f"{year + 1}-01-01"]
    escalations = await bureau.wait_for_mail("report_escalation")
    assert escalations[0]["To"] == ", ".join(bureau.settings.staff_emails)
    assert mail_day(escalations[0]) == local_date(escalation).isoformat()
    assert len(await bureau.wait_for_mail("report_final_reminder")) == 1

    late = await bureau.act(code, "submit_annual_report", report(year))
    assert late.late
    received = await bureau.wait_for_mail("report_received")
    assert "逾期" in body_of(received[0])
    with session_scope(bureau.settings.registry_url()) as session:
        row = session.exec(select(AnnualReportRow).where(AnnualReportRow.year == year)).one()
    assert (row.status, row.late) == ("submitted", True)
    await bureau.keep_history(code, "term_late_report")


async def test_a_returned_report_is_resubmitted(bureau):
    code = await bureau.recognise()
    state = await bureau.term_state(code)
    year = report_years(state)[0]
    await bureau.sleep_until(at_local(local_date(report_due(year)) - timedelta(days=20), 10))
    incomplete = STATS.model_copy(update={"talents_introduced": None})
    with pytest.raises(ProcedureActionFailed, match="创新资源统计缺少引进人才（人），请补填"):
        await bureau.act(
            code, "submit_annual_report", report(year).model_copy(update={"statistics": incomplete})
        )
    await bureau.act(code, "submit_annual_report", report(year, "初稿"))
    returned = await bureau.act(
        code,
        "review_annual_report",
        AnnualReportReview(
            request_id=request_id(),
            actor=STAFF,
            year=year,
            accepted=False,
            reasons="统计数据缺少说明",
        ),
    )
    assert returned.status == "returned"
    mail = await bureau.wait_for_mail("report_returned")
    assert "统计数据缺少说明" in body_of(mail[0])
    again = await bureau.act(code, "submit_annual_report", report(year, "修改稿"))
    assert (again.versions, again.status) == (2, "submitted")
    with pytest.raises(ProcedureActionFailed, match="已提交"):
        await bureau.act(code, "submit_annual_report", report(year, "第三稿"))
    await bureau.act(
        code,
        "review_annual_report",
        AnnualReportReview(request_id=request_id(), actor=STAFF, year=year, accepted=True),
    )
    await bureau.sleep_until(report_due(year) + timedelta(days=40))
    assert bureau.mails("report_overdue") == []
    assert bureau.mails("report_resubmission_overdue") == []


def test_a_report_with_negative_statistics_is_refused_before_it_is_sent():
    with pytest.raises(ValidationError, match="patents_granted"):
        ResourceStatistics.model_validate({**STATS.model_dump(), "patents_granted": -1})


async def _poor_midterm(bureau):
    code = await bureau.recognise()
    status = await hand_in_assessment(
        bureau, code, AssessmentKind.MIDTERM, Grade.POOR, "协同机制运行不畅"
    )
    assert status == TermStatus.RECTIFICATION
    # Article 12: 给予告诫，限期整改 — one notice does both, to the alliance and staff.
    [notice] = await bureau.wait_for_mail("rectification_notice")
    assert "告诫及限期整改" in subject_of(notice)
    assert bureau.settings.staff_emails[0] in notice["To"]
    state = await bureau.term_state(code)
    due = state.rectification.due
    assert f"{due.year}年{due.month}月{due.day}日" in body_of(notice)
    assert "协同机制运行不畅" in body_of(notice) and "第十二条" in body_of(notice)
    return code, state


async def test_poor_midterm_rectified_and_passed_restores_the_alliance(bureau):
    code, state = await _poor_midterm(bureau)
    with session_scope(bureau.settings.registry_url()) as session:
        assert session.get(Alliance, code).status == "rectification"
    first_reminder = state.rules.rectification_reminder_days_before[0]
    await bureau.sleep_until(
        at_local(local_date(state.rectification.due) - timedelta(days=first_reminder), 10)
    )
    assert len(await bureau.wait_for_mail("rectification_reminder")) == 1
    await bureau.act(
        code,
        "submit_rectification_report",
        RectificationReport(request_id=request_id(), actor=ALLIANCE, report="已完成整改"),
    )
    status = await bureau.act(
        code,
        "recheck_rectification",
        RectificationRecheck(request_id=request_id(), actor=STAFF, passed=True, reason="整改到位"),
    )
    assert status == TermStatus.ACTIVE
    await bureau.sleep_until(state.rectification.due + timedelta(days=5))
    assert bureau.mails("rectification_overdue") == []
    with session_scope(bureau.settings.registry_url()) as session:
        assert session.get(Alliance, code).status == "active"
    await bureau.keep_history(code, "term_rectification_passed")


async def test_failed_rectification_may_be_extended_once_then_revoked(bureau):
    code, state = await _poor_midterm(bureau)
    await bureau.sleep_until(state.rectification.due + timedelta(hours=1))
    overdue = await bureau.wait_for_mail("rectification_overdue")
    assert bureau.settings.staff_emails[0] in overdue[0]["To"]
    await bureau.act(
        code,
        "recheck_rectification",
        RectificationRecheck(request_id=request_id(), actor=STAFF, passed=False, reason="未整改"),
    )
    extension = RectificationExtension(request_id=request_id(), actor=STAFF, days=30, reason="疫情")
    extended = await bureau.act(code, "extend_rectification", extension)
    assert extended.extended
    with pytest.raises(ProcedureActionFailed, match="最多可延长1次"):
        await bureau.act(
            code,
            "extend_rectification",
            RectificationExtension(request_id=request_id(), actor=STAFF, days=30, reason="再延"),
        )
    await bureau.act(
        code,
        "recheck_rectification",
        RectificationRecheck(request_id=request_id(), actor=STAFF, passed=False, reason="仍未整改"),
    )
    status = await bureau.act(code, "revoke", revocation(RevocationGround.RECTIFICATION_FAILED))
    assert status == TermStatus.REVOKED
    result = await bureau.term_handle(code).result()
    assert result.status == TermStatus.REVOKED
    [revoked] = await bureau.wait_for_mail("revoked")
    # Article 12 sets no consequence for a failed re-check: the notice cites the ground only.
    assert "整改复核不合格" in body_of(revoked) and "第十二条" not in body_of(revoked)
    with session_scope(bureau.settings.registry_url()) as session:
        assert session.get(Alliance, code).status == "revoked"
        certificates = session.exec(select(Certificate).where(Certificate.alliance_code == code))
        assert {c.status for c in certificates} == {"revoked"}
    await bureau.keep_history(code, "term_rectification_failed_revoked")


async def test_a_failed_final_assessment_revokes_the_status(bureau):
    code = await bureau.recognise()
    status = await hand_in_assessment(bureau, code, AssessmentKind.FINAL, Grade.POOR, "未达目标")
    assert status == TermStatus.REVOKED
    [revoked] = await bureau.wait_for_mail("revoked")
    assert "未达目标" in body_of(revoked)
    # The one ground article 12 names, and the only one whose notice cites it.
    assert "期末综合评估" in body_of(revoked) and "第十二条" in body_of(revoked)
    assert (await bureau.term_handle(code).result()).status == TermStatus.REVOKED
    with session_scope(bureau.settings.registry_url()) as session:
        row = session.exec(select(AssessmentRow).where(AssessmentRow.kind == "final")).one()
    assert row.grade == "poor"


async def test_no_final_result_alerts_staff_then_expires(bureau):
    code = await bureau.recognise()
    state = await bureau.term_state(code)
    ending = end_of_day(state.term_end) - timedelta(
        days=state.rules.final_escalation_days_before_end
    )
    await bureau.sleep_until(ending + timedelta(hours=10))
    alert = await bureau.wait_for_mail("term_ending")
    assert alert[0]["To"] == ", ".join(bureau.settings.staff_emails)
    assert (await bureau.term_state(code)).status == TermStatus.ACTIVE
    await bureau.sleep_until(end_of_day(state.term_end) + timedelta(hours=1))
    assert (await bureau.term_handle(code).result()).status == TermStatus.EXPIRED
    assert len(await bureau.wait_for_mail("expired")) == 1
    with session_scope(bureau.settings.registry_url()) as session:
        assert session.get(Alliance, code).status == "expired"
    await bureau.keep_history(code, "term_expired")


async def test_staff_extend_a_term_waiting_for_its_final_result(bureau):
    code = await bureau.recognise()
    state = await bureau.term_state(code)
    await bureau.sleep_until(end_of_day(state.term_end) - timedelta(days=3))
    until = state.term_end + timedelta(days=60)
    await bureau.act(
        code,
        "extend_term",
        TermExtension(request_id=request_id(), actor=STAFF, until=until, reason="评估推迟"),
    )
    await bureau.sleep_until(end_of_day(state.term_end) + timedelta(days=10))
    assert (await bureau.term_state(code)).status == TermStatus.ACTIVE
    assert bureau.mails("expired") == []
    await bureau.act(
        code,
        "record_assessment",
        AssessmentResult(
            request_id=request_id(),
            actor=STAFF,
            kind=AssessmentKind.FINAL,
            grade=Grade.PASS,
            opinion="同意继续保持资格",
        ),
    )
    await bureau.sleep_until(end_of_day(until) + timedelta(days=1))
    renewed = await bureau.wait_for_term(code, lambda s: s.term_no == 2)
    # The renewed certificate follows the original term without a gap.
    assert renewed.term_start == state.term_end + timedelta(days=1)
    assert bureau.mails("expired") == []
    assert len(bureau.mails("term_extended")) == 1


async def test_staff_may_revoke_and_a_recognised_alliance_may_give_up_its_status(bureau):
    code = await bureau.recognise()
    with pytest.raises(ProcedureActionFailed, match="请填写取消资格的理由"):
        await bureau.act(code, "revoke", revocation(RevocationGround.FALSIFIED, reason=""))
    with pytest.raises(ProcedureActionFailed, match="无权"):
        await bureau.act(code, "revoke", revocation(RevocationGround.FALSIFIED, actor=ALLIANCE))
    status = await bureau.act(
        code, "renounce", Withdrawal(request_id=request_id(), actor=ALLIANCE, reason="联盟解散")
    )
    assert status == TermStatus.WITHDRAWN
    assert (await bureau.term_handle(code).result()).status == TermStatus.WITHDRAWN
    [renounced] = await bureau.wait_for_mail("status_renounced")
    assert "自愿放弃市级联盟认定资格" in subject_of(renounced)
    assert "不再具有市级联盟资格" in body_of(renounced) and "联盟解散" in body_of(renounced)
    assert "认定申请" not in body_of(renounced)  # not the application-withdrawal text
    assert bureau.mails("withdrawn") == []
    with session_scope(bureau.settings.registry_url()) as session:
        assert session.get(Alliance, code).status == "withdrawn"


async def test_report_at_the_last_second_of_december_is_on_time_and_one_second_later_is_late(
    bureau,
):
    code = await bureau.recognise()
    years = report_years(await bureau.term_state(code))
    first, second = years[0], years[1]
    await bureau.sleep_until(report_due(first) - timedelta(seconds=1))
    on_time = await bureau.act(code, "submit_annual_report", report(first))
    assert not on_time.late
    await bureau.sleep_until(report_due(second) + timedelta(seconds=1))  # 00:00:00, 1 January
    late = await bureau.act(code, "submit_annual_report", report(second))
    assert late.late
    await bureau.sleep(timedelta(days=2))
    overdue_years = [
        int(m["X-Alliance-Notice-Key"].split(":")[4]) for m in bureau.mails("report_overdue")
    ]
    assert overdue_years == []


async def test_a_new_years_first_step_continues_as_new_keeping_a_message_just_before(
    bureau,
):
    """A run lasts until the term's first step in a later year: no timer wakes the term at
    the New Year itself, and the step's new run keeps what the old one was told."""
    from domain.term import MembershipChange, milestones

    code = await bureau.recognise()
    before = (await bureau.term_handle(code).describe()).run_id
    state = await bureau.term_state(code)
    started = local_date(await bureau.now())
    new_year = at_local(started.replace(year=started.year + 1, month=1, day=1), 0)
    await bureau.sleep_until(new_year + timedelta(days=1))
    assert (await bureau.term_handle(code).describe()).run_id == before  # nothing was due
    step = next(m for m in milestones(await bureau.term_state(code)) if m.at > new_year)
    await bureau.sleep_until(step.at - timedelta(seconds=2))
    app = sample_application()
    contact = app.contacts[0].model_copy(update={"email": "new-secretariat@example.com"})
    change = MembershipChange(
        request_id=request_id(),
        actor=ALLIANCE,
        members=app.members,
        contacts=[contact],
        note="秘书处更换联系人",
    )
    await bureau.act(code, "change_membership", change)
    await bureau.wait_for_new_run(code, before, seconds=30)
    after = await bureau.wait_for_term(code, lambda s: step.key in s.done)
    assert after.contacts == [contact]  # the message just before the step is kept
    assert set(state.done) <= set(after.done)  # what was handled stays handled
    with pytest.raises(ProcedureActionFailed, match="已处理"):
        await bureau.act(code, "change_membership", change)  # the new run knows the request
    assert len(bureau.mails("membership_changed")) == 1
    await bureau.sleep(timedelta(seconds=5))
    step_notices = [
        m for m in bureau.mails() if m["X-Alliance-Notice-Key"].endswith(f":{step.key}")
    ]
    assert len(step_notices) == 1  # the step's notice went out once, from the new run


async def test_membership_change_is_rechecked_against_article_8(bureau):
    from domain.application import MemberKind
    from domain.term import MembershipChange

    code = await bureau.recognise()
    app = sample_application()
    no_university = [
        m
        for m in app.members
        if m.kind not in (MemberKind.UNIVERSITY, MemberKind.RESEARCH_INSTITUTE)
    ]
    with pytest.raises(ProcedureActionFailed, match="不符合第八条"):
        await bureau.act(
            code,
            "change_membership",
            MembershipChange(
                request_id=request_id(),
                actor=ALLIANCE,
                members=no_university,
                contacts=app.contacts,
            ),
        )
    new_contact = app.contacts[0].model_copy(update={"email": "new-secretariat@example.com"})
    await bureau.act(
        code,
        "change_membership",
        MembershipChange(
            request_id=request_id(),
            actor=ALLIANCE,
            members=app.members,
            contacts=[new_contact],
            note="秘书处更换联系人",
        ),
    )
    changed = await bureau.wait_for_mail("membership_changed")
    assert "new-secretariat@example.com" in changed[0]["To"]
    with session_scope(bureau.settings.registry_url()) as session:
        assert session.get(Alliance, code).contact_emails == ["new-secretariat@example.com"]
