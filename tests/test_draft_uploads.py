"""Files held for a new-application form's draft: a draft left for a day is abandoned."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select, update

from domain.material_files import MaterialUpload
from registry.database import session_scope
from registry.tables import DraftUpload
from registry.uploads import DRAFT_KEPT, hold_for_draft

LEFT, KEPT, NEW = "l" * 22, "k" * 22, "n" * 22


def _agreement(content: bytes) -> MaterialUpload:
    return MaterialUpload("agreement", "agreement.pdf", "application/pdf", content)


def test_a_draft_left_for_a_day_loses_its_files_when_another_draft_is_stored(registry_url):
    hold_for_draft(registry_url, LEFT, "staff", [_agreement(b"left")])
    hold_for_draft(registry_url, KEPT, "staff", [_agreement(b"kept")])
    with session_scope(registry_url) as session:
        left = select(DraftUpload).where(DraftUpload.draft_id == LEFT)
        held_at = session.exec(left).one().held_at
        session.exec(
            update(DraftUpload)
            .where(col(DraftUpload.draft_id) == LEFT)
            .values(held_at=held_at - DRAFT_KEPT - timedelta(minutes=1))
        )

    hold_for_draft(registry_url, NEW, "clerk", [_agreement(b"new")])

    assert hold_for_draft(registry_url, LEFT, "staff", []) == {}, "abandoned"
    kept = hold_for_draft(registry_url, KEPT, "staff", [])
    assert kept["agreement"].content == b"kept"
