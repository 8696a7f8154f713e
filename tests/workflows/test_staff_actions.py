"""Staff actions are refused unless right in stage, role, district and data; a request acts once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import func, select

from client.alliances import ProcedureActionFailed
from domain.districts import District
from domain.procedure import (
    Actor,
    DistrictReview,
    MeetingDecision,
    PanelMember,
    Resubmission,
    ReviewOutcome,
    Role,
    Stage,
    Withdrawal,
)
from domain.shanghai_time import local_date
from registry.database import session_scope
from registry.tables import Alliance, ApplicationVersion, AuditEntry, DecisionRow
from tests.support.temporal import body_of, expert_review, new_id, sample_application


def _review(district: District, outcome=ReviewOutcome.RECOMMEND, reasons="", request_id=None):
    return DistrictReview(
        request_id=request_id or new_id(),
        actor=Actor(name="王审查", role=Role.DISTRICT_REVIEWER, district=district),
        outcome=outcome,
        reasons=reasons,
    )


def _other_district(district: District) -> District:
    return next(d for d in District if d != district)


def _audit_count(bureau, code: str) -> int:
    with session_scope(bureau.settings.registry_url()) as session:
        return session.exec(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.alliance_code == code)
        ).one()


async def test_reviewer_of_another_district_is_refused_and_nothing_changes(bureau):
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.wait_for_mail("action_requested")
    before = _audit_count(bureau, code)
    with pytest.raises(ProcedureActionFailed, match="只有.*科技主管部门可以审查推荐"):
        await bureau.act(code, "district_review", _review(_other_district(app.district)))
    state = await bureau.state(code)
    assert state.stage == Stage.DISTRICT_REVIEW and state.decisions == []
    assert _audit_count(bureau, code) == before


@pytest.mark.parametrize(
    ("update", "action", "message"),
    [
        ("district_review", "return_without_reasons", "请填写退回或不予推荐的理由"),
        ("expert_review", "expert_review_too_early", "当前处于“县区审查推荐”阶段"),
        ("district_review", "wrong_role", "第三方评审组织机构无权进行此操作"),
        ("withdraw", "staff_withdrawing", "无权进行此操作"),
    ],
)
async def test_malformed_or_misplaced_action_is_refused_with_state_unchanged(
    bureau, update, action, message
):
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.wait_for_mail("action_requested")
    actions = {
        "return_without_reasons": _review(app.district, ReviewOutcome.RETURN),
        "expert_review_too_early": expert_review(),
        "wrong_role": DistrictReview(
            request_id=new_id(),
            actor=Actor(name="赵组织", role=Role.EXPERT_ORGANISER, district=app.district),
            outcome=ReviewOutcome.RECOMMEND,
        ),
        "staff_withdrawing": Withdrawal(
            request_id=new_id(), actor=Actor(name="钱职员", role=Role.BUREAU_STAFF)
        ),
    }
    before = await bureau.state(code)
    with pytest.raises(ProcedureActionFailed, match=message):
        await bureau.act(code, update, actions[action])
    after = await bureau.state(code)
    assert after == before


async def test_expert_review_with_too_small_a_panel_or_bad_score_is_refused(bureau):
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.recommend(code, app.district)
    small = expert_review()
    small.panel = small.panel[:2]
    with pytest.raises(ProcedureActionFailed, match="专家组至少应有3名专家"):
        await bureau.act(code, "expert_review", small)
    with pytest.raises(ValidationError, match="must be between 0 and 100"):
        PanelMember(name="周专家", score=120)
    wild = expert_review()
    wild.panel[0].score = 120  # slipped past the door: the worker's decoding refuses it
    with pytest.raises(ProcedureActionFailed):
        await bureau.act(code, "expert_review", wild)
    assert (await bureau.state(code)).stage == Stage.EXPERT_REVIEW


async def test_the_same_request_sent_twice_acts_once(bureau):
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.wait_for_mail("action_requested")
    review = _review(app.district, request_id="double-click-1")
    first = await bureau.act(code, "district_review", review)
    second = await bureau.act(code, "district_review", review)
    assert first == second and first.stage == Stage.EXPERT_REVIEW
    await bureau.settled(code)
    with session_scope(bureau.settings.registry_url()) as session:
        decisions = session.exec(select(DecisionRow).where(DecisionRow.alliance_code == code)).all()
    assert [d.action for d in decisions] == ["district_review.recommend"]
    assert len(bureau.mails("progress")) == 1
    await bureau.keep_history(code, "duplicate_request")


async def test_returned_application_is_corrected_and_both_versions_are_kept(bureau):
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.wait_for_mail("action_requested")
    reasons = "请补充联盟协议中各成员的任务分工"
    await bureau.act(code, "district_review", _review(app.district, ReviewOutcome.RETURN, reasons))

    returned = await bureau.wait_for_mail("returned_for_correction")
    assert len(returned) == 1 and reasons in body_of(returned[0])
    state = await bureau.wait_for_state(code, lambda s: s.clock is not None)
    deadline = state.clock.deadline
    assert f"{deadline.month}月{deadline.day}日" in body_of(returned[0])

    corrected = app.model_copy(deep=True)
    corrected.innovation_goals += "（补正：明确了各成员任务分工）"
    applicant = Actor(name=app.lead_unit, role=Role.APPLICANT)
    result = await bureau.act(
        code,
        "resubmit",
        Resubmission(request_id=new_id(), actor=applicant, application=corrected, note="已补正"),
    )
    assert result.stage == Stage.DISTRICT_REVIEW
    receipts = await bureau.wait_for_mail("application_received", 2)
    assert len(receipts) == 2

    with session_scope(bureau.settings.registry_url()) as session:
        versions = session.exec(
            select(ApplicationVersion).where(ApplicationVersion.alliance_code == code)
        ).all()
        alliance = session.get(Alliance, code)
    assert sorted(v.version for v in versions) == [1, 2]
    assert versions[-1].payload["innovation_goals"].endswith("（补正：明确了各成员任务分工）")
    assert alliance.application_version == 2 and alliance.status == "district_review"
    await bureau.recommend(code, app.district)
    assert (await bureau.state(code)).stage == Stage.EXPERT_REVIEW
    await bureau.keep_history(code, "returned_and_resubmitted")


async def test_a_corrected_application_that_is_still_invalid_is_refused(bureau):
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.act(code, "district_review", _review(app.district, ReviewOutcome.RETURN, "补正"))
    broken = app.model_copy(deep=True)
    broken.members[0].task = ""
    with pytest.raises(ProcedureActionFailed, match="补正后的申请仍有问题"):
        await bureau.act(
            code,
            "resubmit",
            Resubmission(
                request_id=new_id(),
                actor=Actor(name=app.lead_unit, role=Role.APPLICANT),
                application=broken,
            ),
        )
    assert (await bureau.state(code)).application_version == 1


@pytest.mark.parametrize("stage", ["district_review", "expert_review", "director_meeting"])
async def test_rejection_at_each_stage_ends_the_procedure_and_tells_the_alliance(bureau, stage):
    app = sample_application()
    code = await bureau.submit(app)
    if stage == "district_review":
        await bureau.act(
            code, "district_review", _review(app.district, ReviewOutcome.REJECT, "不符合第八条")
        )
    else:
        await bureau.recommend(code, app.district)
        if stage == "expert_review":
            await bureau.pass_expert_review(code, passed=False)
        else:
            await bureau.pass_expert_review(code)
            await bureau.approve_at_meeting(code, approved=False)

    result = await bureau.result(code)
    assert result.stage == Stage.REJECTED
    rejected = await bureau.wait_for_mail("rejected")
    assert len(rejected) == 1
    assert rejected[0]["To"] == ", ".join(app.recipient_emails())
    with session_scope(bureau.settings.registry_url()) as session:
        assert session.get(Alliance, code).status == "rejected"
        decision = session.exec(
            select(DecisionRow)
            .where(DecisionRow.alliance_code == code)
            .order_by(DecisionRow.id.desc())
        ).first()
    assert decision.stage == stage and decision.reasons
    await bureau.keep_history(code, f"rejected_at_{stage}")


async def test_meeting_date_in_the_future_is_refused(bureau):
    code = await bureau.at_director_meeting()
    tomorrow = local_date(await bureau.now()) + timedelta(days=1)
    with pytest.raises(ProcedureActionFailed, match="晚于今天"):
        await bureau.act(
            code,
            "meeting_decision",
            MeetingDecision(
                request_id=new_id(),
                actor=Actor(name="李记录", role=Role.DIRECTOR_CLERK),
                meeting_number="2026年第13次",
                meeting_date=tomorrow,
                approved=True,
            ),
        )
    assert (await bureau.state(code)).stage == Stage.DIRECTOR_MEETING


async def test_applicant_withdraws_before_recognition_and_later_actions_are_refused(bureau):
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.recommend(code, app.district)
    applicant = Actor(name=app.lead_unit, role=Role.APPLICANT)
    result = await bureau.act(
        code, "withdraw", Withdrawal(request_id=new_id(), actor=applicant, reason="联盟重组")
    )
    assert result.stage == Stage.WITHDRAWN
    assert (await bureau.result(code)).stage == Stage.WITHDRAWN
    withdrawn = await bureau.wait_for_mail("withdrawn")
    assert len(withdrawn) == 1
    recipients = withdrawn[0]["To"]
    assert app.recipient_emails()[0] in recipients
    assert bureau.settings.staff_emails[0] in recipients
    with session_scope(bureau.settings.registry_url()) as session:
        assert session.get(Alliance, code).status == "withdrawn"
    await bureau.keep_history(code, "withdrawn")


async def test_an_action_sent_before_the_worker_runs_is_recorded_after_the_submission(
    env, sqlite_url, smtp_server, tmp_path
):
    """A district review queued before any worker has run still acts after the receipt."""
    from tests.support.calendars import prepare_calendar
    from tests.support.smtp_fixture import settings_for
    from tests.support.temporal import Bureau
    from worker import build_worker

    settings = settings_for(smtp_server, sqlite_url, tmp_path)
    prepare_calendar(sqlite_url)
    bureau = Bureau(env=env, settings=settings, smtp=smtp_server)
    app = sample_application()
    code = await bureau.submit(app)
    queued = asyncio.create_task(bureau.recommend(code, app.district))
    await asyncio.sleep(0.5)
    async with build_worker(env.client, settings):
        await asyncio.wait_for(queued, 30)
        state = await bureau.state(code)
        assert state.stage == Stage.EXPERT_REVIEW
        await bureau.settled(code)
        with session_scope(settings.registry_url()) as session:
            actions = session.exec(
                select(AuditEntry.action)
                .where(AuditEntry.alliance_code == code)
                .order_by(AuditEntry.id)
            ).all()
        assert actions[:2] == ["submitted", "district_review.recommend"]


async def test_a_corrected_application_may_not_move_to_another_district(bureau):
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.act(code, "district_review", _review(app.district, ReviewOutcome.RETURN, "补正"))
    moved = app.model_copy(deep=True)
    moved.district = _other_district(app.district)
    with pytest.raises(ProcedureActionFailed, match="不能改变所属区县"):
        await bureau.act(
            code,
            "resubmit",
            Resubmission(
                request_id=new_id(),
                actor=Actor(name=app.lead_unit, role=Role.APPLICANT),
                application=moved,
            ),
        )
