"""Article 12's decisions as the regulation words them: on what ground a status is
revoked, the final after a failed re-check, and how far staff may extend a deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from admin.simulation import request_id
from client.alliances import ProcedureActionFailed
from domain.shanghai_time import end_of_day
from domain.term import (
    AssessmentKind,
    AssessmentResult,
    Grade,
    RectificationExtension,
    RectificationRecheck,
    RectificationReport,
    RevocationGround,
    TermExtension,
    TermStatus,
    add_months,
    assessment_opens,
)
from domain.term_rules import TermRules
from registry.database import session_scope
from registry.tables import Alliance, AuditEntry
from tests.support.temporal import body_of
from tests.workflows.test_term import ALLIANCE, STAFF, hand_in_assessment, revocation


@pytest.mark.parametrize(
    ("ground", "basis", "cited"),
    [
        (RevocationGround.DISSOLVED, "", "联盟解散或自愿放弃"),
        (RevocationGround.FALSIFIED, "", "申报材料弄虚作假"),
        (RevocationGround.OTHER, "《鞍山市科技计划项目管理办法》第二十条", "依据《鞍山市科技计划"),
    ],
)
async def test_a_revocation_on_another_ground_cites_that_ground_and_not_article_12(
    bureau, ground, basis, cited
):
    code = await bureau.recognise()
    status = await bureau.act(code, "revoke", revocation(ground, reason="经核查属实", basis=basis))
    assert status == TermStatus.REVOKED
    [notice] = await bureau.wait_for_mail("revoked")
    assert cited in body_of(notice) and "经核查属实" in body_of(notice)
    assert "第十二条" not in body_of(notice)
    assert (await bureau.term_state(code)).revocation_ground == ground
    await bureau.settled(code)
    with session_scope(bureau.settings.registry_url()) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "revoked")).one()
    assert entry.detail["ground"] == ground.value


async def test_staff_cannot_revoke_on_a_ground_that_has_not_happened(bureau):
    code = await bureau.recognise()
    # Article 12's own ground is the final's result, recorded as such.
    with pytest.raises(ProcedureActionFailed, match="记录期末评估结果"):
        await bureau.act(code, "revoke", revocation(RevocationGround.FINAL_FAILED))
    with pytest.raises(ProcedureActionFailed, match="没有整改复核不合格的记录"):
        await bureau.act(code, "revoke", revocation(RevocationGround.RECTIFICATION_FAILED))
    with pytest.raises(ProcedureActionFailed, match="请填写取消资格的依据"):
        await bureau.act(code, "revoke", revocation(RevocationGround.OTHER))
    assert (await bureau.term_state(code)).status == TermStatus.ACTIVE
    assert bureau.mails("revoked") == []


async def failed_recheck(bureau) -> str:
    code = await bureau.recognise()
    await hand_in_assessment(bureau, code, AssessmentKind.MIDTERM, Grade.POOR, "运行不畅")
    await bureau.act(
        code,
        "submit_rectification_report",
        RectificationReport(request_id=request_id(), actor=ALLIANCE, report="整改报告"),
    )
    status = await bureau.act(
        code,
        "recheck_rectification",
        RectificationRecheck(request_id=request_id(), actor=STAFF, passed=False, reason="未落实"),
    )
    assert status == TermStatus.RECTIFICATION
    return code


async def test_after_a_failed_recheck_the_final_is_recorded_and_a_pass_keeps_the_status(bureau):
    code = await failed_recheck(bureau)  # staff neither revoke nor extend
    status = await hand_in_assessment(bureau, code, AssessmentKind.FINAL, Grade.PASS)
    # 对通过期满运行综合评估的市级联盟，继续保持其市级联盟资格
    assert status == TermStatus.ACTIVE
    assert len(await bureau.wait_for_mail("renewed")) == 1
    state = await bureau.term_state(code)
    await bureau.sleep_until(end_of_day(state.term_end) + timedelta(days=1))
    renewed = await bureau.wait_for_term(code, lambda s: s.term_no == 2)
    assert renewed.status == TermStatus.ACTIVE and renewed.rectification is None


async def test_after_a_failed_recheck_a_failed_final_revokes_under_article_12(bureau):
    code = await failed_recheck(bureau)
    status = await hand_in_assessment(bureau, code, AssessmentKind.FINAL, Grade.POOR, "未达标")
    assert status == TermStatus.REVOKED
    [notice] = await bureau.wait_for_mail("revoked")
    assert "第十二条" in body_of(notice) and "整改复核不合格" not in body_of(notice)


async def test_the_validity_is_extended_once_and_by_six_months_at_most(bureau):
    code = await bureau.recognise()
    state = await bureau.term_state(code)
    await bureau.sleep_until(end_of_day(state.term_end) - timedelta(days=5))
    latest = add_months(state.term_end, 6)

    def extension(until):
        return TermExtension(request_id=request_id(), actor=STAFF, until=until, reason="评估推迟")

    with pytest.raises(ProcedureActionFailed, match="最多延长6个月"):
        await bureau.act(code, "extend_term", extension(latest + timedelta(days=1)))
    await bureau.act(code, "extend_term", extension(latest - timedelta(days=30)))
    with pytest.raises(ProcedureActionFailed, match="最多可延长1次，已延长1次"):
        await bureau.act(code, "extend_term", extension(latest))
    assert (await bureau.term_state(code)).extended_until == latest - timedelta(days=30)
    assert len(await bureau.wait_for_mail("term_extended")) == 1


async def test_a_rectification_deadline_is_extended_as_often_as_the_setting_allows(bureau):
    bureau.settings.term_rules = TermRules(rectification_extensions_max=2)
    code = await failed_recheck(bureau)

    def extension(days=30):
        return RectificationExtension(
            request_id=request_id(), actor=STAFF, days=days, reason="延期"
        )

    with pytest.raises(ProcedureActionFailed, match="延长天数应在1至90天之间"):
        await bureau.act(code, "extend_rectification", extension(days=91))
    await bureau.act(code, "extend_rectification", extension())
    second = await bureau.act(code, "extend_rectification", extension())
    assert second.extensions == 2
    with pytest.raises(ProcedureActionFailed, match="最多可延长2次，已延长2次"):
        await bureau.act(code, "extend_rectification", extension())
    # Each extended deadline is chased on its own: the reminder before the second one.
    await bureau.sleep_until(second.due - timedelta(days=3))
    assert len(await bureau.wait_for_mail("rectification_reminder")) >= 1
    await bureau.settled(code)
    with session_scope(bureau.settings.registry_url()) as session:
        assert session.get(Alliance, code).status == "rectification"


async def test_the_final_stays_refused_while_the_rectification_awaits_its_recheck(bureau):
    code = await bureau.recognise()
    await hand_in_assessment(bureau, code, AssessmentKind.MIDTERM, Grade.POOR, "运行不畅")
    state = await bureau.term_state(code)
    await bureau.sleep_until(assessment_opens(state, AssessmentKind.FINAL) + timedelta(hours=1))
    with pytest.raises(ProcedureActionFailed, match="整改复核后才能记录期末评估结果"):
        await bureau.act(
            code,
            "record_assessment",
            AssessmentResult(
                request_id=request_id(),
                actor=STAFF,
                kind=AssessmentKind.FINAL,
                grade=Grade.PASS,
                opinion="通过",
            ),
        )
