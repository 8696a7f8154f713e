"""Article 8.6 in the inbox comes from the rank stored with each application version,
however the version was written: filled in bulk (`alliance-admin seed`), recorded by the
registry activity (the version an alliance waits on counts), or stored before the rank
was kept and ranked when the registry is upgraded. `?sort=priority` puts the alliances
with early results first. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from activities.registry import record_event_now
from admin.seed import plan, seed_registry
from domain.districts import District
from domain.events import ProcedureEvent
from domain.procedure import Actor, Role, Stage
from domain.term import TermStatus
from registry.database import MIGRATIONS, engine_for, session_scope, upgrade_schema
from registry.staff_accounts import create_user
from registry.tables import Alliance, StaffUser
from tests.support.databases import POSTGRES_ADMIN_DSN
from tests.support.temporal import sample_application
from web.staff_queries import in_order, inbox_items

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
BEFORE_THE_RANK = "a9d4e6f1c2b8"  # the revision before application versions kept 8.6


def alliance(code: str, status: str, district: str, version: int = 1) -> Alliance:
    return Alliance(
        code=code,
        name=f"联盟{code}",
        district=district,
        status=status,
        application_version=version,
        created_at=NOW,
        updated_at=NOW,
    )


def staff_of_each_step(url: str, districts: set[District]) -> list[StaffUser]:
    """Who acts on each article-9 step: bureau staff, the expert organiser, the director's
    clerk and a district reviewer of each district."""
    users = [
        create_user(url, "staff", "职员", "pw-staff-1", Role.BUREAU_STAFF),
        create_user(url, "expert", "专家组织", "pw-expert-1", Role.EXPERT_ORGANISER),
        create_user(url, "clerk", "办公室", "pw-clerk-1", Role.DIRECTOR_CLERK),
    ]
    for k, district in enumerate(sorted(districts)):
        users.append(
            create_user(
                url, f"reviewer{k}", "区审查员", "pw-review-1", Role.DISTRICT_REVIEWER, district
            )
        )
    return users


def test_a_seeded_registry_ranks_each_waiting_application_by_its_early_results(registry_url):
    seed_registry(registry_url, 12, NOW, lambda _: None)
    seeds = {s.code: s for s in plan(12, NOW)}
    users = staff_of_each_step(registry_url, {s.application.district for s in seeds.values()})

    ranked: dict[str, bool | None] = {}
    for user in users:
        items = inbox_items(registry_url, user)
        by_priority = [item.prioritised for item in in_order(items, "priority")]
        assert by_priority == sorted(by_priority, key=lambda p: not p), user.username
        ranked |= {item.code: item.prioritised for item in items if item.prioritised is not None}

    expected = {code: bool(seeds[code].application.early_results.strip()) for code in ranked}
    assert ranked == expected
    assert set(ranked.values()) == {True, False}


def test_a_corrected_application_is_ranked_by_the_version_it_waits_on(registry_url):
    """Versions stored as the workflow records them (the registry activity): the first
    alliance drops its early results when it corrects its application, the second adds
    them."""
    sample = sample_application()
    versions = {"2026-0001": [sample.early_results, ""], "2026-0002": ["", sample.early_results]}
    for code, texts in versions.items():
        for number, early_results in enumerate(texts, start=1):
            record_event_now(
                registry_url,
                ProcedureEvent(
                    key=f"{code}-{number}",
                    alliance_code=code,
                    workflow_id=f"alliance-{code}",
                    actor=Actor(name=sample.lead_unit, role=Role.APPLICANT),
                    action="submitted" if number == 1 else "resubmitted",
                    at=NOW + timedelta(days=number),
                    stage=Stage.DISTRICT_REVIEW,
                    application=sample.model_copy(update={"early_results": early_results}),
                    application_version=number,
                ),
            )
    reviewer = create_user(
        registry_url, "gaoxin", "区审查员", "pw-review-1", Role.DISTRICT_REVIEWER, sample.district
    )

    items = in_order(inbox_items(registry_url, reviewer), "priority")

    assert [(item.code, item.prioritised) for item in items] == [
        ("2026-0002", True),
        ("2026-0001", False),
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_before_the_rank(request, tmp_path) -> Iterator[str]:
    """An empty registry migrated only up to BEFORE_THE_RANK."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'registry.db'}"
        name = ""
    else:
        name = f"alliance_rank_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace(
            "postgresql://", "postgresql+psycopg://"
        )
        url = f"{base}/{name}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", url)
    try:
        command.upgrade(config, BEFORE_THE_RANK)
        yield url
    finally:
        engine_for(url).dispose()
        if name:
            with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_applications_stored_before_the_upgrade_are_ranked_in_the_inbox(
    registry_before_the_rank, caplog
):
    url = registry_before_the_rank
    sample = sample_application()
    waiting = {
        "2026-0001": "",
        "2026-0002": sample.early_results,
        "2026-0003": "   ",  # blank is no early result
    }
    versions = sa.table(
        "applicationversion",
        sa.column("alliance_code", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("submitted_at", sa.DateTime()),
        sa.column("payload", sa.JSON()),
    )
    # The alliance rows as that revision had them (the model has columns added since).
    plain = ("code", "name", "district", "status", "application_version", "origin")
    alliances = sa.table(
        "alliance",
        *(sa.column(name) for name in (*plain, "workflow_id", "lead_unit", "lead_unit_code")),
        sa.column("industry_field"),
        sa.column("contact_emails", sa.JSON()),
        sa.column("created_at", sa.DateTime()),
        sa.column("updated_at", sa.DateTime()),
    )

    def row_of(code: str, status: str, version: int = 1) -> dict:
        made = alliance(code, status, sample.district.value, version)
        return made.model_dump(include={c.name for c in alliances.columns})

    rows = []
    registered = []
    for code, early_results in waiting.items():
        registered.append(row_of(code, Stage.DISTRICT_REVIEW.value))
        app = sample.model_copy(update={"early_results": early_results})
        rows.append((code, 1, app.model_dump(mode="json")))
    # in term: a first version the input rules no longer accept, and a membership
    # change as its current version; neither stops the upgrade
    registered.append(row_of("2025-0009", TermStatus.ACTIVE.value, version=2))
    legacy = sample.model_dump(mode="json") | {"alliance_name": "联" * 5000}
    rows.append(("2025-0009", 1, legacy))
    rows.append(("2025-0009", 2, {"membership_change": True, "members": [], "note": ""}))
    with session_scope(url) as session:
        session.execute(alliances.insert(), registered)
        session.execute(
            versions.insert(),
            [
                {"alliance_code": c, "version": v, "submitted_at": NOW, "payload": p}
                for c, v, p in rows
            ],
        )

    upgrade_schema(url)

    assert "article 8.6 not ranked for 1 application versions" in caplog.text
    reviewer = create_user(
        url, "gaoxin", "区审查员", "pw-review-1", Role.DISTRICT_REVIEWER, sample.district
    )
    items = in_order(inbox_items(url, reviewer), "priority")
    assert [(item.code, item.prioritised) for item in items[:1]] == [("2026-0002", True)]
    assert {(item.code, item.prioritised) for item in items[1:]} == {
        ("2026-0001", False),
        ("2026-0003", False),
    }
