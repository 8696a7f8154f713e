"""A notice effect as the recognition procedure queues one, for the activity tests."""

from __future__ import annotations

from datetime import datetime

from domain.effects import Effect, EffectKind
from domain.notices import Notice, Purpose

LEAD = "mishuchu@lingmei-alliance.example"


def progress_notice(key: str, queued_at: datetime) -> Effect:
    """The district review's progress notice to the lead unit, under effect key `key`."""
    notice = Notice(
        key=key,
        alliance_code="2026-0001",
        purpose=Purpose.PROGRESS,
        to_emails=[LEAD],
        context={
            "alliance_name": "鞍山市菱镁新材料产业技术创新战略联盟",
            "alliance_code": "2026-0001",
            "district": "haicheng",
            "district_name": "海城市",
            "stage_name": "县区审查推荐",
            "next_stage_name": "专家评审",
        },
    )
    return Effect(key=key, kind=EffectKind.SEND_NOTICE, queued_at=queued_at, notice=notice)
