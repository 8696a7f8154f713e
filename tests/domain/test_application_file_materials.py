"""Material files named in an application file (`file:`): read relative to the file, under
the console's upload rules; any file that cannot be used refuses the whole application."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from domain.application_file import read_application_file
from domain.eligibility import ApplicationInvalid
from domain.settings import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "samples" / "application-sample.yaml"


def write_application(folder: Path, change: Callable[[dict, Path], None]) -> Path:
    """The sample with its agreement read from `材料/协议.pdf`, changed by `change`."""
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    (folder / "材料").mkdir()
    (folder / "材料" / "协议.pdf").write_bytes(b"%PDF-1.4 agreement")
    data["materials"][0] = {"kind": "agreement", "file": "材料/协议.pdf"}
    change(data, folder)
    path = folder / "application.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_material_file_is_read_relative_to_the_application_file(tmp_path, monkeypatch):
    path = write_application(tmp_path, lambda data, folder: None)
    monkeypatch.chdir(PROJECT_ROOT)  # not the application file's folder

    loaded = read_application_file(path)

    agreement = loaded.application.materials[0]
    assert agreement.name == "协议.pdf"
    assert agreement.sha256 == hashlib.sha256(b"%PDF-1.4 agreement").hexdigest()
    assert [(f.filename, f.content) for f in loaded.files] == [("协议.pdf", b"%PDF-1.4 agreement")]
    assert loaded.files[0].content_type == "application/pdf"


def test_a_material_keeps_the_name_it_gives_and_a_matching_sha256(tmp_path):
    digest = hashlib.sha256(b"%PDF-1.4 agreement").hexdigest()

    def named(data: dict, folder: Path) -> None:
        data["materials"][0] |= {"name": "联盟协议（全体成员签章）.pdf", "sha256": digest}

    loaded = read_application_file(write_application(tmp_path, named))

    assert loaded.application.materials[0].name == "联盟协议（全体成员签章）.pdf"
    assert loaded.files[0].sha256 == digest


def _missing(data: dict, folder: Path) -> None:
    data["materials"][0]["file"] = "材料/没有这个文件.pdf"


def _a_folder(data: dict, folder: Path) -> None:
    data["materials"][0]["file"] = "材料"


def _wrong_type(data: dict, folder: Path) -> None:
    (folder / "材料" / "协议.exe").write_bytes(b"MZ")
    data["materials"][0]["file"] = "材料/协议.exe"


def _too_large(data: dict, folder: Path) -> None:
    (folder / "材料" / "协议.pdf").write_bytes(b"x" * (1024 * 1024 + 1))


def _other_sha256(data: dict, folder: Path) -> None:
    data["materials"][0]["sha256"] = "0" * 64


def _no_path(data: dict, folder: Path) -> None:
    data["materials"][0]["file"] = ""


def _and_a_bad_code(data: dict, folder: Path) -> None:
    _missing(data, folder)
    data["members"][1]["credit_code"] = "91210381MYXN2T9420"


@pytest.mark.parametrize(
    ("change", "fields", "says"),
    [
        pytest.param(_missing, ["materials[0].file"], "无法读取材料文件", id="missing"),
        pytest.param(_a_folder, ["materials[0].file"], "无法读取材料文件", id="a-folder"),
        pytest.param(_wrong_type, ["materials[0].file"], "类型不允许", id="wrong-type"),
        pytest.param(_too_large, ["materials[0].file"], "超过1MB", id="too-large"),
        pytest.param(_other_sha256, ["materials[0].sha256"], "不符", id="other-sha256"),
        pytest.param(_no_path, ["materials[0].file"], "相对于申请文件", id="no-path"),
        pytest.param(
            _and_a_bad_code,
            ["materials[0].file", "members[1].credit_code"],
            "无法读取材料文件",
            id="with-other-problems",
        ),
    ],
)
def test_a_material_file_that_cannot_be_used_refuses_the_application(
    tmp_path, change, fields, says
):
    path = write_application(tmp_path, change)

    with pytest.raises(ApplicationInvalid) as refused:
        read_application_file(path, max_mb=1)

    assert [p.field for p in refused.value.problems] == fields
    assert says in refused.value.problems[0].zh
