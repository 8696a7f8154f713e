"""A registry write that can never succeed stops retrying; one that may succeed is retried."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.registry import RegistryActivities
from domain.events import ProcedureEvent
from domain.procedure import SYSTEM_ACTOR, Stage
from domain.settings import Settings
from tests.support.databases import postgres_registry
from tests.support.temporal import sample_application


def _event(reasons: str) -> ProcedureEvent:
    # model_construct: the data a workflow of an earlier version could still hold
    return ProcedureEvent.model_construct(
        key=f"alliance-x:{reasons[:3]!r}:1",
        alliance_code="91210300PUEWHWT8W1",
        workflow_id="alliance-91210300PUEWHWT8W1",
        actor=SYSTEM_ACTOR,
        action="submitted",
        at=datetime(2026, 11, 30, tzinfo=UTC),
        stage=Stage.DISTRICT_REVIEW,
        reasons=reasons,
        detail={},
        application=sample_application(),
        application_version=1,
        is_decision=False,
        objection=None,
        notice=None,
        notice_status=None,
        recognition=None,
    )


async def test_a_nul_the_database_refuses_is_not_retried(tmp_path):
    with postgres_registry() as url:
        registry = RegistryActivities(Settings(database_url=url, data_dir=tmp_path))
        with pytest.raises(ApplicationError) as refused:
            await ActivityEnvironment().run(registry.record_event, _event("含\x00空字符"))
    assert refused.value.non_retryable
    assert refused.value.type == "RegistryDataError"
    assert "NUL" in refused.value.message or "0x00" in refused.value.message


async def test_an_unreachable_database_is_left_to_temporal_s_retries(tmp_path):
    url = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=2"
    registry = RegistryActivities(Settings(database_url=url, data_dir=tmp_path))
    with pytest.raises(OperationalError):
        await ActivityEnvironment().run(registry.record_event, _event("正常"))
