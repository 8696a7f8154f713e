"""Applications written as YAML or JSON files, and article-10 materials taken from files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import yaml

from domain.application import ARTICLE_5_SECTORS, Application, Material, MaterialKind
from domain.eligibility import ApplicationInvalid, Problem, parse_application
from domain.input_rules import APPLICATION_FILE_MAX
from domain.material_files import MaterialUpload, content_type_of, upload_problems
from domain.settings import Settings

UPLOAD_MAX_MB: int = Settings.model_fields["upload_max_mb"].default


@dataclass(frozen=True)
class ApplicationFile:
    """An application read from a file, with the material files it names."""

    application: Application
    files: tuple[MaterialUpload, ...] = ()


def load_application_file(path: Path, sectors: Collection[str] = ARTICLE_5_SECTORS) -> Application:
    """The application in a `.yaml`, `.yml` or `.json` file; ApplicationInvalid if not.

    `sectors`: the city's priority sectors (the setting `priority_sectors`).
    """
    return read_application_file(path, sectors).application


def read_application_file(
    path: Path, sectors: Collection[str] = ARTICLE_5_SECTORS, max_mb: int = UPLOAD_MAX_MB
) -> ApplicationFile:
    """The application in a `.yaml`, `.yml` or `.json` file and the material files it
    names, or ApplicationInvalid with every problem of both.

    A material may name its file (`file:`, a path relative to the application file): the
    file is read under the console's upload rules (`max_mb`: the setting `upload_max_mb`),
    its name is the material's unless one is given, and its SHA-256 is the material's.
    """
    data = _read_data(path)
    files, problems = _material_files(data, path.parent, max_mb)
    # a material whose file is refused lacks its name and SHA-256: its file's problem says why
    refused = tuple(p.field.rsplit(".", 1)[0] + "." for p in problems)
    try:
        application = parse_application(data, sectors)
    except ApplicationInvalid as invalid:
        rest = [p for p in invalid.problems if not p.field.startswith(refused)]
        raise ApplicationInvalid([*problems, *rest]) from None
    if problems:
        raise ApplicationInvalid(problems)
    return ApplicationFile(application, tuple(files))


def _read_data(path: Path) -> dict[str, Any]:
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise _file_problem(
            f"文件“{path.name}”的类型应为 .yaml、.yml 或 .json",
            f"'{path.name}' must be a .yaml, .yml or .json file",
        )
    try:
        size = path.stat().st_size
        if size > APPLICATION_FILE_MAX:
            raise _file_problem(
                f"文件“{path.name}”有{size}字节，超过{APPLICATION_FILE_MAX // 1024} KiB上限；"
                "申请只需填写文字，材料以文件路径（file）或文件名和SHA-256校验值列出",
                f"'{path.name}' has {size} bytes, over the {APPLICATION_FILE_MAX // 1024} KiB "
                "limit; an application holds text only, materials are listed by path (file) "
                "or by name and SHA-256",
            )
        # utf-8-sig: files saved by Windows editors often start with a byte-order mark
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise _file_problem(
            f"无法读取文件“{path.name}”（应为 UTF-8 编码的文本）：{error}",
            f"cannot read '{path.name}' as UTF-8 text: {error}",
        ) from None
    try:
        data = _parse_json(text, path) if suffix == ".json" else _parse_yaml(text, path)
    except RecursionError:
        raise _file_problem(
            f"文件“{path.name}”的内容嵌套层次过深，不是一份申请",
            f"'{path.name}' is nested too deeply to be an application",
        ) from None
    if not isinstance(data, dict):
        raise _file_problem(
            f"文件“{path.name}”的顶层应为申请的各项字段（alliance_name、members 等），"
            f"而不是{type(data).__name__}",
            f"the top level of '{path.name}' must be the application's fields "
            f"(alliance_name, members, ...), not a {type(data).__name__}",
        )
    return data


def _material_files(
    data: dict[str, Any], folder: Path, max_mb: int
) -> tuple[list[MaterialUpload], list[Problem]]:
    """Read the file each material names, filling in its name and SHA-256."""
    materials = data.get("materials")
    files: list[MaterialUpload] = []
    problems: list[Problem] = []
    for i, material in enumerate(materials if isinstance(materials, list) else []):
        if not isinstance(material, dict) or "file" not in material:
            continue  # filed on paper: named by its SHA-256 only
        field, given = f"materials[{i}].file", material.pop("file")
        if not isinstance(given, str) or not given.strip():
            problems.append(
                Problem(
                    field=field,
                    zh="应为材料文件的路径（相对于申请文件所在的目录）",
                    en="must be the path of the material's file, relative to the application file",
                )
            )
            continue
        path = folder / given
        try:
            with path.open("rb") as f:
                # one byte over the limit is enough to refuse it
                content = f.read(max_mb * 1024 * 1024 + 1)
        except OSError as error:
            reason = error.strerror or str(error)
            problems.append(
                Problem(
                    field=field,
                    zh=f"无法读取材料文件“{given}”（{path}）：{reason}；路径相对于申请文件所在的目录",
                    en=f"cannot read the material file '{given}' ({path}): {reason}; "
                    "paths are relative to the application file",
                )
            )
            continue
        upload = MaterialUpload(field, PurePath(given).name, content_type_of(given), content)
        refused = upload_problems([upload], max_mb)
        if refused:
            problems.extend(refused)
            continue
        if material.setdefault("sha256", upload.sha256) != upload.sha256:
            problems.append(
                Problem(
                    field=f"materials[{i}].sha256",
                    zh=f"所填SHA-256校验值与材料文件“{given}”不符（该文件为{upload.sha256}）",
                    en=f"the SHA-256 given does not match the material file '{given}' "
                    f"(which has {upload.sha256})",
                )
            )
            continue
        material.setdefault("name", upload.filename)
        files.append(upload)
    return files, problems


def material_from_file(kind: MaterialKind, path: Path, member_credit_code: str = "") -> Material:
    """An article-10 material named after the file, with the SHA-256 of its bytes."""
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return Material(kind=kind, name=path.name, sha256=digest, member_credit_code=member_credit_code)


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where_zh = f"第{mark.line + 1}行" if mark else ""
        where_en = f" at line {mark.line + 1}" if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        raise _file_problem(
            f"文件“{path.name}”{where_zh}不是有效的 YAML：{reason}",
            f"'{path.name}' is not valid YAML{where_en}: {reason}",
        ) from None


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _file_problem(
            f"文件“{path.name}”第{error.lineno}行不是有效的 JSON：{error.msg}",
            f"'{path.name}' is not valid JSON at line {error.lineno}: {error.msg}",
        ) from None


def _file_problem(zh: str, en: str) -> ApplicationInvalid:
    return ApplicationInvalid([Problem(field="file", zh=zh, en=en)])
