"""The README and docker-compose.yml name only settings that exist, and every one of them."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from domain.effects import EffectRules
from domain.rules import ProcedureRules
from domain.settings import PROJECT_ROOT, Settings
from domain.term_rules import TermRules

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _setting_names() -> set[str]:
    nested = {"rules": ProcedureRules, "term_rules": TermRules, "effects": EffectRules}
    names = {f"ALLIANCE_{n.upper()}" for n in Settings.model_fields if n not in nested}
    for prefix, model in nested.items():
        names |= {f"ALLIANCE_{prefix.upper()}__{n.upper()}" for n in model.model_fields}
    return names


def test_readme_documents_every_setting():
    documented = set(re.findall(r"ALLIANCE_[A-Z_]+[A-Z]", README))
    assert _setting_names() - documented == set()


def test_readme_names_no_setting_that_does_not_exist():
    documented = set(re.findall(r"ALLIANCE_[A-Z_]+[A-Z]", README))
    tooling = {"ALLIANCE_RECORD_HISTORIES", "ALLIANCE_TEST_POSTGRES_DSN"}
    assert documented - _setting_names() - tooling == set()


@pytest.mark.parametrize(
    ("prefix", "model"),
    [("RULES", ProcedureRules), ("TERM_RULES", TermRules), ("EFFECTS", EffectRules)],
)
def test_readme_rule_defaults_match_the_code(prefix, model):
    for name, field in model.model_fields.items():
        row = re.search(rf"`ALLIANCE_{prefix}__{name.upper()}` \| `([^`]+)`", README)
        expected = json.dumps(field.default) if isinstance(field.default, list) else field.default
        assert row and row.group(1) == str(expected), name


@pytest.mark.parametrize("service", ["migrate", "web", "worker"])
def test_compose_worker_uses_real_settings(service):
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    environment = set(compose["services"][service]["environment"])
    assert "ALLIANCE_DATABASE_URL" in environment
    uvicorn = {"FORWARDED_ALLOW_IPS"}  # the web server's own: whose forwarded address to trust
    assert environment - _setting_names() - uvicorn == set()


def test_readme_lists_the_provincial_csv_columns_the_import_reads():
    from admin.provincial_import import COLUMNS, OPTIONAL_COLUMNS

    section = README.split("The provincial CSV has the columns", 1)[1].split("\n## ", 1)[0]
    required, optional = re.findall(r"`([a-z_]+(?:,[a-z_]+)+)`", section)[:2]
    assert tuple(required.split(",")) == COLUMNS
    assert tuple(optional.split(",")) == OPTIONAL_COLUMNS
    sample = (PROJECT_ROOT / "samples" / "provincial-alliances.csv").read_text(encoding="utf-8")
    assert sample.splitlines()[0].split(",") == [*COLUMNS, *OPTIONAL_COLUMNS]


def test_the_operations_guide_names_only_settings_and_commands_that_exist():
    from typer.main import get_command

    from admin.cli import app

    guide = (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    named = set(re.findall(r"ALLIANCE_[A-Z_]+[A-Z]", guide))
    assert named - _setting_names() == set()
    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    used = set(re.findall(r"(?<!--entrypoint )alliance-admin ([a-z][a-z-]+)", guide))
    assert used - commands == set()
