"""Article-10 material files as received, from the console's form or an application file.

The same rules for both: a clean file name, PDF, image or Word, and at most the configured
size. Pure: the bytes are handed in, nothing is read or stored here.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from domain.eligibility import Problem
from domain.input_rules import FILE_NAME, InputRefused, clean_text, shortened

ALLOWED_TYPES = {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx"}


@dataclass(frozen=True)
class MaterialUpload:
    """One material file; `field` names where it came from (`agreement`, `licence_3`,
    `materials[2].file`), so a problem with it points there."""

    field: str
    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def content_type_of(filename: str) -> str:
    """The media type a file's name suggests (files read from disk carry none)."""
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def upload_problems(uploads: Iterable[MaterialUpload], max_mb: int) -> list[Problem]:
    """What is wrong with each file: its name, its type, its size."""
    problems = []
    for upload in uploads:
        try:
            clean_text(upload.filename, FILE_NAME)
        except InputRefused as refused:
            problems.append(
                Problem(
                    field=upload.field,
                    zh=f"文件名“{shortened(upload.filename)}”{refused.zh}",
                    en=f"the file name '{shortened(upload.filename)}' {refused.en}",
                )
            )
            continue
        if PurePath(upload.filename).suffix.lower() not in ALLOWED_TYPES:
            problems.append(
                Problem(
                    field=upload.field,
                    zh=f"文件“{upload.filename}”类型不允许，请上传 PDF、图片或 Word 文件",
                    en=f"{upload.filename}: upload PDF, JPG/PNG or Word files only",
                )
            )
        if len(upload.content) > max_mb * 1024 * 1024:
            problems.append(
                Problem(
                    field=upload.field,
                    zh=f"文件“{upload.filename}”超过{max_mb}MB",
                    en=f"{upload.filename} is larger than {max_mb} MB",
                )
            )
    return problems
