"""The README and docker-compose.yml name only settings that exist, and every one of them."""

from __future__ import annotations

import re

import yaml

from domain.rules import ProcedureRules
from domain.settings import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _setting_names() -> set[str]:
    names = {f"ALLIANCE_{n.upper()}" for n in Settings.model_fields if n != "rules"}
    names |= {f"ALLIANCE_RULES__{n.upper()}" for n in ProcedureRules.model_fields}
    return names


def test_readme_documents_every_setting():
    documented = set(re.findall(r"ALLIANCE_[A-Z_]+[A-Z]", README))
    assert _setting_names() - documented == set()


def test_readme_names_no_setting_that_does_not_exist():
    documented = set(re.findall(r"ALLIANCE_[A-Z_]+[A-Z]", README))
    tooling = {"ALLIANCE_RECORD_HISTORIES"}
    assert documented - _setting_names() - tooling == set()


def test_readme_rule_defaults_match_the_code():
    for name, field in ProcedureRules.model_fields.items():
        row = re.search(rf"`ALLIANCE_RULES__{name.upper()}` \| `([^`]+)`", README)
        assert row and row.group(1) == str(field.default), name


def test_compose_worker_uses_real_settings():
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert {"postgres", "temporal", "temporal-ui", "mail", "worker"} <= set(compose["services"])
    assert set(compose["services"]["worker"]["environment"]) <= _setting_names()
