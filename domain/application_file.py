"""Applications written as YAML or JSON files, and article-10 materials taken from files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from domain.application import ARTICLE_5_SECTORS, Application, Material, MaterialKind
from domain.eligibility import ApplicationInvalid, Problem, parse_application
from domain.input_rules import APPLICATION_FILE_MAX


def load_application_file(path: Path, sectors: Collection[str] = ARTICLE_5_SECTORS) -> Application:
    """The application in a `.yaml`, `.yml` or `.json` file; ApplicationInvalid if not.

    `sectors`: the city's priority sectors (the setting `priority_sectors`).
    """
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
                "申请只需填写文字，材料以文件名和SHA-256校验值列出",
                f"'{path.name}' has {size} bytes, over the {APPLICATION_FILE_MAX // 1024} KiB "
                "limit; an application holds text only, materials are listed by name and SHA-256",
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
    return parse_application(data, sectors)


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
