"""The new-application form: fields and article-10 uploads to a checked Application.

Every problem is reported at once (domain.eligibility plus the upload limits), and nothing
is stored until the whole application is acceptable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePath

from sqlmodel import Session

from domain.application import ARTICLE_5_SECTORS, Application, MaterialKind
from domain.eligibility import ApplicationInvalid, Problem, parse_application
from domain.input_rules import FILE_NAME, InputRefused, clean_text, shortened
from registry.database import session_scope
from registry.tables import UploadedFile

MEMBER_ROWS = 8
CONTACT_ROWS = 2
ALLOWED_TYPES = {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx"}
SINGLE_MATERIALS = (
    MaterialKind.AGREEMENT,
    MaterialKind.APPLICATION_FORM,
    MaterialKind.NECESSITY_STATEMENT,
)


@dataclass
class Upload:
    field: str
    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def application_data(form: dict[str, str], uploads: dict[str, Upload]) -> dict:
    """The form as the shape `Application` reads; blank member and contact rows are skipped."""
    members = []
    for i in range(MEMBER_ROWS):
        row = {
            k: form.get(f"member_{i}_{k}", "").strip()
            for k in ("name", "kind", "code", "role", "task")
        }
        if not any(row.values()):
            continue
        members.append(
            {
                "name": row["name"],
                "kind": row["kind"],
                "credit_code": row["code"].upper(),
                "role": row["role"] or "member",
                "task": row["task"],
                "_row": i,
            }
        )
    contacts = [
        {k: form.get(f"contact_{i}_{k}", "").strip() for k in ("name", "email", "phone")}
        for i in range(CONTACT_ROWS)
        if form.get(f"contact_{i}_name", "").strip() or form.get(f"contact_{i}_email", "").strip()
    ]
    materials = [
        {
            "kind": kind.value,
            "name": uploads[kind.value].filename,
            "sha256": uploads[kind.value].sha256,
        }
        for kind in SINGLE_MATERIALS
        if kind.value in uploads
    ]
    for member in members:
        licence = uploads.get(f"licence_{member.pop('_row')}")
        if licence is not None:
            materials.append(
                {
                    "kind": MaterialKind.LICENCE_COPY.value,
                    "name": licence.filename,
                    "sha256": licence.sha256,
                    "member_credit_code": member["credit_code"],
                }
            )

    def body(prefix: str) -> dict:
        return {
            "name": form.get(f"{prefix}_name", ""),
            "responsible_person": form.get(f"{prefix}_person", ""),
            "full_time": form.get(f"{prefix}_full_time") == "on",
        }

    return {
        "alliance_name": form.get("alliance_name", "").strip(),
        "industry_field": form.get("industry_field", "").strip(),
        "industry_sector": form.get("industry_sector", "").strip(),
        "district": form.get("district", ""),
        "lead_unit": form.get("lead_unit", "").strip(),
        "members": members,
        "institute_advanced_level": form.get("institute_advanced_level", ""),
        "bodies": {k: body(k) for k in ("decision", "executive", "advisory")},
        # an empty date field is a missing date, which eligibility names
        "established_on": form.get("established_on", "").strip() or None,
        "establishment_basis": form.get("establishment_basis", "").strip(),
        "agreement_complies": form.get("agreement_complies") == "on",
        "innovation_goals": form.get("innovation_goals", ""),
        "funding": {
            "operating_funds_wan": form.get("operating_funds_wan") or 0,
            "project_funds_wan": form.get("project_funds_wan") or 0,
            "management_rule": form.get("management_rule", ""),
        },
        "early_results": form.get("early_results", ""),
        "contacts": contacts,
        "materials": materials,
    }


def upload_problems(uploads: dict[str, Upload], max_mb: int) -> list[Problem]:
    problems = []
    for upload in uploads.values():
        try:
            clean_text(upload.filename, FILE_NAME)
        except InputRefused as refused:
            # every upload is stored, even one no member row refers to
            problems.append(
                Problem(
                    field=upload.field,
                    zh=f"文件名“{shortened(upload.filename)}”{refused.zh}",
                    en=f"the file name '{shortened(upload.filename)}' {refused.en}",
                )
            )
            continue
        suffix = PurePath(upload.filename).suffix.lower()
        if suffix not in ALLOWED_TYPES:
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


def checked_application(
    form: dict[str, str],
    uploads: dict[str, Upload],
    max_mb: int,
    sectors: Collection[str] = ARTICLE_5_SECTORS,
    today: date | None = None,
) -> Application:
    """The application, or ApplicationInvalid with every problem of fields and files.

    `sectors`: the configured priority sectors; `today`: the console's day.
    """
    problems = upload_problems(uploads, max_mb)
    try:
        application = parse_application(application_data(form, uploads), sectors, today)
    except ApplicationInvalid as invalid:
        raise ApplicationInvalid([*problems, *invalid.problems]) from invalid
    if problems:
        raise ApplicationInvalid(problems)
    return application


def store_uploads(url: str, uploads: dict[str, Upload], by: str) -> None:
    """Keep the files by content; the same file uploaded twice is stored once."""
    with session_scope(url) as session:
        for upload in uploads.values():
            _store(session, upload, by)


def _store(session: Session, upload: Upload, by: str) -> None:
    if session.get(UploadedFile, upload.sha256) is None:
        session.add(
            UploadedFile(
                sha256=upload.sha256,
                filename=upload.filename,
                content_type=upload.content_type or "application/octet-stream",
                size=len(upload.content),
                content=upload.content,
                uploaded_at=datetime.now(UTC),
                uploaded_by=by,
            )
        )
