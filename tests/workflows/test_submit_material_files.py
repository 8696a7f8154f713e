"""`python starter.py submit FILE` keeps the material files the application names, so the
alliance's page offers them like the console's uploads; a material without a file shows
as filed on paper, and a file that cannot be read refuses the whole application."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from sqlmodel import func, select

import starter
from domain.application_file import load_application_file
from registry.database import session_scope
from registry.tables import Alliance, AllianceCode, UploadedFile
from tests.web.conftest import as_user, web_app  # noqa: F401
from tests.workflows.test_operator_cli import SAMPLES, run

PAPER = "纸质材料已提交 (filed on paper)"


def application_with_files(folder: Path) -> tuple[Path, dict[str, bytes]]:
    """The sample as another alliance, each material read from `材料/` beside the file but
    the necessity statement, filed on paper; returns the file and each material's bytes."""
    data = yaml.safe_load((SAMPLES / "application-sample.yaml").read_text(encoding="utf-8"))
    data["alliance_name"] = "鞍山市菱镁新材料产业技术创新战略联盟（二期）"
    (folder / "材料").mkdir(parents=True)
    contents = {}
    for material in data["materials"]:
        if material["kind"] == "necessity_statement":
            continue
        name = material.pop("name")
        del material["sha256"]
        contents[name] = f"%PDF-1.4 {name}".encode()
        (folder / "材料" / name).write_bytes(contents[name])
        material["file"] = f"材料/{name}"
    path = folder / "application.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path, contents


def _count(url: str, table) -> int:
    with session_scope(url) as session:
        return session.exec(select(func.count()).select_from(table)).one()


async def test_material_files_named_in_the_file_download_from_the_alliance_page(
    operator_env,
    as_user,  # noqa: F811
    tmp_path,
):
    bureau = operator_env
    path, contents = application_with_files(tmp_path / "申报")
    submitted = await run(starter.app, "submit", path)
    assert submitted.exit_code == 0, submitted.output
    code = bureau.code_of(load_application_file(path))
    await bureau.track(code)
    await bureau.settled(code)

    staff = await as_user("staff")
    page = (await staff.get(f"/alliances/{code}")).text
    for name, content in contents.items():
        link = re.search(rf'href="(/materials/[0-9a-f]{{64}})">{re.escape(name)}<', page)
        assert link, f"no link to {name}"
        download = await staff.get(link[1])
        assert download.status_code == 200 and download.content == content, name
    assert page.count(PAPER) == 1, "the necessity statement was filed on paper"


async def test_the_sample_alliance_shows_its_materials_as_filed_on_paper(
    operator_env,
    as_user,  # noqa: F811
):
    bureau = operator_env
    submitted = await run(starter.app, "submit", SAMPLES / "application-sample.yaml")
    assert submitted.exit_code == 0, submitted.output
    code = bureau.code_of(load_application_file(SAMPLES / "application-sample.yaml"))
    await bureau.track(code)
    await bureau.settled(code)

    page = (await (await as_user("staff")).get(f"/alliances/{code}")).text
    assert page.count(PAPER) == 8
    assert "/materials/" not in page, "no link that leads nowhere"


async def test_a_missing_material_file_is_refused_naming_it_and_nothing_is_stored(
    operator_env, tmp_path
):
    path, _ = application_with_files(tmp_path)
    (tmp_path / "材料" / "营业执照-海城市镁源耐火材料有限公司.pdf").unlink()

    refused = await run(starter.app, "submit", path)

    assert refused.exit_code == 1
    assert "未保存任何内容" in refused.output
    said = " ".join(refused.output.split())  # the terminal folds long lines (the full path)
    missing = "无法读取材料文件“材料/营业执照-海城市镁源耐火材料有限公司.pdf”"
    assert f"materials[4].file: {missing}" in said
    url = operator_env.settings.registry_url()
    for table in (UploadedFile, AllianceCode, Alliance):
        assert _count(url, table) == 0, table.__name__
