"""Effects queued together are carried out by one activity, each as its own would be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiosmtplib
import pytest
from sqlmodel import func, select
from temporalio.testing import ActivityEnvironment

from activities.certificate import CertificateActivities
from activities.effects import EffectActivities
from activities.email import EmailActivities
from activities.registry import RegistryActivities
from domain.effects import (
    DeadlineRecord,
    Effect,
    EffectBatch,
    EffectKind,
    execution_order,
    next_batch,
)
from domain.procedure import Stage
from registry.database import session_scope
from registry.tables import AuditEntry
from tests.activities.test_registry_faults import _event
from tests.support.databases import limit_in_registry, postgres_registry
from tests.support.notices import LEAD, progress_notice
from tests.support.smtp_fixture import settings_for, smtp_server  # noqa: F401
from tests.support.smtp_server import RecordingSmtpServer

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def _notice(key: str) -> Effect:
    return progress_notice(key, NOW)


def _record(reasons: str) -> Effect:
    event = _event(reasons)
    return Effect(key=event.key, kind=EffectKind.RECORD_EVENT, queued_at=NOW, event=event)


def _effects(settings) -> EffectActivities:
    return EffectActivities(
        RegistryActivities(settings), EmailActivities(settings), CertificateActivities(settings)
    )


def _audit_entries(url: str, key: str) -> int:
    with session_scope(url) as session:
        return session.exec(select(func.count()).where(AuditEntry.key == key)).one()


def test_one_activity_takes_the_head_of_the_queue_with_one_notice_at_most():
    queue = [_record("甲"), _notice("k1"), _record("乙"), _notice("k2"), _record("丙")]
    assert [e.key for e in next_batch(queue)] == [e.key for e in queue[:3]]
    assert len(next_batch([_record(f"第{i}件") for i in range(25)])) == 20


async def test_an_effect_that_can_never_succeed_is_reported_and_the_next_still_runs(
    smtp_server: RecordingSmtpServer,  # noqa: F811
    tmp_path,
):
    with postgres_registry() as url:
        carry_out = _effects(settings_for(smtp_server, url, tmp_path)).carry_out_effects
        batch = EffectBatch(effects=[_record("含\x00空字符"), _notice("notice-1")])
        refused, sent = await ActivityEnvironment().run(carry_out, batch)
        assert refused.error.startswith("RegistryDataError: ")
        assert sent.error == "" and len(smtp_server.to(LEAD)) == 1
        # a repeat (a retried attempt) sends nothing again
        again = await ActivityEnvironment().run(carry_out, batch)
        assert again[1].error == "" and len(smtp_server.to(LEAD)) == 1


async def test_a_passing_fault_fails_the_attempt_and_the_retry_repeats_nothing(
    smtp_server: RecordingSmtpServer,  # noqa: F811
    tmp_path,
):
    with postgres_registry() as url:
        carry_out = _effects(settings_for(smtp_server, url, tmp_path)).carry_out_effects
        record = _record("正常")
        batch = EffectBatch(effects=[record, _notice("notice-2")])
        smtp_server.defer_next()  # 451: try again later
        with pytest.raises(aiosmtplib.SMTPException, match="451"):
            await ActivityEnvironment().run(carry_out, batch)
        assert _audit_entries(url, record.key) == 1 and smtp_server.to(LEAD) == []
        outcomes = await ActivityEnvironment().run(carry_out, batch)
        assert [o.error for o in outcomes] == ["", ""]
        assert _audit_entries(url, record.key) == 1 and len(smtp_server.to(LEAD)) == 1


def _limit(code: str, deadline: datetime | None, as_of: datetime) -> Effect:
    record = DeadlineRecord(alliance_code=code, deadline=deadline, as_of=as_of)
    return Effect(
        key=f"{code}:deadline:{as_of.isoformat()}",
        kind=EffectKind.RECORD_DEADLINE,
        queued_at=as_of,
        deadline=record,
    )


async def test_the_inbox_limit_is_written_although_the_notice_before_it_waits_on_the_relay(
    smtp_server: RecordingSmtpServer,  # noqa: F811
    registry_url,
    tmp_path,
):
    """A step's notice is queued before the next step's limit; with the relay refusing
    for now (451) the attempt fails, yet the limit is already in the registry."""
    carry_out = _effects(settings_for(smtp_server, registry_url, tmp_path)).carry_out_effects
    submitted = _record("正常")
    code = submitted.event.alliance_code
    await ActivityEnvironment().run(carry_out, EffectBatch(effects=[submitted]))
    assert limit_in_registry(registry_url, code) == (None, None)  # not written yet

    due = datetime(2026, 12, 14, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Beijing
    batch = EffectBatch(effects=[_notice("notice-3"), _limit(code, due, NOW)])
    smtp_server.defer_next()
    with pytest.raises(aiosmtplib.SMTPException, match="451"):
        await ActivityEnvironment().run(carry_out, batch)
    assert smtp_server.to(LEAD) == []
    assert limit_in_registry(registry_url, code) == (due, NOW)

    # An older limit (an incident re-queued late) never replaces a newer one; a newer
    # one, or none (the public notice runs), does.
    await ActivityEnvironment().run(
        carry_out, EffectBatch(effects=[_limit(code, NOW, NOW - timedelta(days=1))])
    )
    assert limit_in_registry(registry_url, code) == (due, NOW)
    later = NOW + timedelta(hours=1)
    await ActivityEnvironment().run(carry_out, EffectBatch(effects=[_limit(code, None, later)]))
    assert limit_in_registry(registry_url, code) == (None, later)
    await ActivityEnvironment().run(carry_out, EffectBatch(effects=[_limit(code, due, later)]))

    # The step changes (the district recommends) while the relay is still refusing: the
    # old step's limit goes with its status, so the inbox reads the workflow's own until
    # the new step's limit, queued behind the notice, is written.
    recommended = submitted.event.model_copy(
        update={
            "key": "recommended",
            "stage": Stage.EXPERT_REVIEW,
            "at": later + timedelta(days=1),
            "application": None,
        }
    )
    step = Effect(
        key="recommended", kind=EffectKind.RECORD_EVENT, queued_at=later, event=recommended
    )
    smtp_server.defer_next()
    with pytest.raises(aiosmtplib.SMTPException, match="451"):
        await ActivityEnvironment().run(carry_out, EffectBatch(effects=[step, _notice("notice-4")]))
    assert limit_in_registry(registry_url, code) == (None, None)


def test_registry_writes_go_before_the_notice_but_never_past_a_certificate():
    event, notice, limit = _record("甲"), _notice("k1"), _limit("2026-0001", NOW, NOW)
    certificate = Effect(key="c", kind=EffectKind.ISSUE_CERTIFICATE, queued_at=NOW)
    later_event = _record("乙")
    assert execution_order([notice, event, limit]) == [event, limit, notice]
    # a withdrawal queued after a certificate must find it issued
    batch = [event, notice, certificate, later_event, limit]
    assert execution_order(batch) == [event, notice, certificate, later_event, limit]
