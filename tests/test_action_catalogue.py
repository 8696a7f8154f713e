"""The catalogue of staff actions is whole: every action can be taken from the console and
from `alliance-admin`, and names a real update of its workflow."""

from __future__ import annotations

import ast

import pytest
import typer
from temporalio import workflow

from admin.cli import app
from client.actions import CATALOGUE, Phase, StaffAction
from domain.effects import Outbox
from domain.procedure import ProcedureState
from domain.settings import PROJECT_ROOT
from domain.term import TermState
from web.forms import PAGE_FORMS, PARSERS
from web.routes_application import router as application_routes
from workflows.recognition import RecognitionWorkflow
from workflows.term import TermWorkflow

ACTION_TEMPLATES = PROJECT_ROOT / "templates" / "web" / "actions"
INCIDENT_FORM = PROJECT_ROOT / "templates" / "web" / "outbox_macros.html"


def create_app_routes():
    return application_routes.routes


def _cli_command(path: str):
    """The `alliance-admin` command at `path` ("report review"), or None."""
    command = typer.main.get_command(app)
    for word in path.split():
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            return None
        command = subcommands.get(word)
    return command


def _updates_of(workflow_class) -> dict:
    return workflow._Definition.must_from_class(workflow_class).updates


@pytest.mark.parametrize("name", list(StaffAction))
def test_every_action_has_a_console_form_and_a_cli_command(name):
    spec = CATALOGUE[name]
    assert name in PARSERS or name in PAGE_FORMS, f"{name}: no console form"
    if name == StaffAction.RETRY_INCIDENT:
        assert "/actions/retry_incident" in INCIDENT_FORM.read_text(encoding="utf-8")
    else:
        form = ACTION_TEMPLATES / f"{name}.html"
        assert form.exists(), f"{name}: no console form {form.name}"
        page = PAGE_FORMS.get(name, "")
        routes = {getattr(route, "path", "") for route in create_app_routes()}
        assert f'action_form("{name}")' in form.read_text(encoding="utf-8") or (
            page.replace("{code}", "{{ r.alliance.code }}") in form.read_text(encoding="utf-8")
            and page in routes
        )
    assert _cli_command(spec.cli) is not None, f"{name}: no `alliance-admin {spec.cli}`"
    assert spec.label_zh and spec.label_en and spec.roles


@pytest.mark.parametrize("name", list(StaffAction))
def test_every_action_names_an_update_of_its_workflow(name):
    spec = CATALOGUE[name]
    workflows = {
        Phase.PROCEDURE: [RecognitionWorkflow],
        Phase.TERM: [TermWorkflow],
        Phase.ANY: [RecognitionWorkflow, TermWorkflow],
    }[spec.phase]
    for workflow_class in workflows:
        update = _updates_of(workflow_class).get(spec.update)  # the name `act` sends
        assert update is not None, f"{workflow_class.__name__} has no update {spec.update}"
        assert update.arg_types == [spec.model]
        assert update.ret_type is spec.result, f"{name}: answers {update.ret_type}"


def test_the_queries_and_signal_the_client_names_are_the_workflows():
    """`client.alliances` reads "state" and "outbox" and signals "calendar_loaded" by name."""
    for workflow_class, state in ((RecognitionWorkflow, ProcedureState), (TermWorkflow, TermState)):
        defn = workflow._Definition.must_from_class(workflow_class)
        assert defn.queries["state"].ret_type is state
        assert defn.queries["outbox"].ret_type is Outbox
    assert "calendar_loaded" in workflow._Definition.must_from_class(RecognitionWorkflow).signals


def test_no_form_template_is_left_without_an_action():
    forms = {path.stem for path in ACTION_TEMPLATES.glob("*.html")}
    assert forms <= {name.value for name in StaffAction}


def _imports(package: str) -> dict[str, set[str]]:
    """Each module of `package` and the top-level packages it imports."""
    found = {}
    for path in (PROJECT_ROOT / package).glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
        found[f"{package}/{path.name}"] = names
    return found


def test_the_console_and_the_operator_commands_share_only_the_client_package():
    for module, names in _imports("web").items():
        assert not names & {"admin", "worker"}, module
    for module, names in _imports("admin").items():
        if module == "admin/serve.py":  # the image's entrypoint runs the web app or the worker
            continue
        assert "web" not in names, module
        if module != "admin/simulation.py":  # the simulation runs a worker of its own
            assert "worker" not in names, module
