"""`alliance-admin seed N` fills a fresh registry with N made-up alliances for benchmarks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from admin.seed import CYCLE, MEMBERS, RegistryNotEmpty, seed_registry
from domain.application import Application
from registry.database import session_scope
from registry.tables import Alliance, AnnualReportRow, ApplicationVersion, Member

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_seed_creates_the_alliances_their_members_applications_and_reports(registry_url):
    lines: list[str] = []
    counts = seed_registry(registry_url, 150, NOW, lines.append)

    assert (counts.alliances, counts.members) == (150, 150 * MEMBERS)
    assert any("150/150 alliances" in line for line in lines)
    with session_scope(registry_url) as session:
        alliances = list(session.exec(select(Alliance)))
        members = session.exec(select(func.count()).select_from(Member)).one()
        reports = list(session.exec(select(AnnualReportRow)))
        versions = list(session.exec(select(ApplicationVersion)))
    assert len(alliances) == 150 and members == 150 * MEMBERS
    assert len({a.code for a in alliances}) == 150
    statuses = Counter(a.status for a in alliances)
    assert statuses == Counter(str(CYCLE[i % len(CYCLE)]) for i in range(150))
    assert len(reports) == counts.reports > 150  # ~2.7 a recognised alliance
    assert {r.status for r in reports} == {"accepted", "submitted"}
    assert all(r.statistics and r.statistics["researchers"] == 86 for r in reports)
    in_term = [a for a in alliances if a.term_no]
    assert all(a.recognised_on and a.term_end and a.certificate_serial for a in in_term)
    # Each stored application is one the pages can read back, led by its lead unit.
    for version in versions[:10]:
        app = Application.model_validate(version.payload)
        assert app.lead_member() is not None and len(app.members) == MEMBERS


def test_seed_refuses_a_registry_that_holds_alliances(registry_url):
    seed_registry(registry_url, 3, NOW, lambda _: None)
    with pytest.raises(RegistryNotEmpty, match="fresh"):
        seed_registry(registry_url, 3, NOW, lambda _: None)
