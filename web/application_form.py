"""The new-application form: fields and article-10 uploads to a checked Application.

Every problem is reported at once (domain.eligibility plus the upload limits). Member and
contact rows are numbered by the form (`member_3_name`); the page's script adds and
removes rows, and without it the form offers a fixed number. A row whose text fields are
empty is blank and ignored, whatever its dropdowns say.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import Any

from domain.application import (
    ARTICLE_5_SECTORS,
    MEMBER_KIND_ZH,
    Application,
    Material,
    MaterialKind,
)
from domain.districts import DISTRICT_ZH
from domain.eligibility import ApplicationInvalid, parse_application
from domain.material_files import MaterialUpload, upload_problems

MEMBER_ROWS = 12  # rows offered without the script
CONTACT_ROWS = 3
SINGLE_MATERIALS = (
    MaterialKind.AGREEMENT,
    MaterialKind.APPLICATION_FORM,
    MaterialKind.NECESSITY_STATEMENT,
)
MEMBER_TEXT = ("name", "code", "task")
CONTACT_TEXT = ("name", "email", "phone")
_ROW_FIELD = re.compile(r"(member|contact)_(\d{1,3})_[a-z]+")
_LICENCE_FIELD = re.compile(r"licence_(\d{1,3})")


def is_material_field(name: str) -> bool:
    """A file field of the form: one of the three documents, or a member row's licence."""
    return name in {kind.value for kind in SINGLE_MATERIALS} or bool(_LICENCE_FIELD.fullmatch(name))


def row_numbers(form: Mapping[str, str], kind: str, held: Iterable[str] = ()) -> list[int]:
    """The `member` or `contact` rows to show: those the form sent and any row holding a
    licence, or the rows offered without the script when nothing was sent yet."""
    sent = {int(m[2]) for key in form if (m := _ROW_FIELD.fullmatch(key)) and m[1] == kind}
    if kind == "member":
        sent |= {int(m[1]) for name in held if (m := _LICENCE_FIELD.fullmatch(name))}
    return sorted(sent) or list(range(MEMBER_ROWS if kind == "member" else CONTACT_ROWS))


def form_choices(sectors: Collection[str]) -> dict:
    """The form's fixed choices and the configured priority sectors (article 5)."""
    return {
        "districts": list(DISTRICT_ZH.items()),
        "member_kinds": list(MEMBER_KIND_ZH.items()),
        "sectors": sectors,
    }


def application_data(
    form: Mapping[str, str],
    uploads: Mapping[str, MaterialUpload],
    carried: Iterable[Material] = (),
) -> dict:
    """The form as the shape `Application` reads; blank member and contact rows are skipped.

    `carried`: materials of the application being corrected, kept where no new file
    replaces them (a material filed on paper has no file to upload again)."""
    members: list[dict[str, Any]] = []
    for i in row_numbers(form, "member"):
        row = {
            k: form.get(f"member_{i}_{k}", "").strip()
            for k in ("name", "kind", "code", "role", "task")
        }
        if not any(row[k] for k in MEMBER_TEXT):
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
    contacts = []
    for i in row_numbers(form, "contact"):
        contact = {k: form.get(f"contact_{i}_{k}", "").strip() for k in CONTACT_TEXT}
        if any(contact.values()):
            contacts.append(contact)
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

    codes = {member["credit_code"] for member in members}
    replaced = {m["kind"] for m in materials} | {
        m["member_credit_code"] for m in materials if "member_credit_code" in m
    }
    for kept in carried:
        if kept.kind == MaterialKind.LICENCE_COPY:
            if kept.member_credit_code in codes and kept.member_credit_code not in replaced:
                materials.append(kept.model_dump(mode="json"))
        elif kept.kind.value not in replaced:
            materials.append(kept.model_dump(mode="json"))

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


def checked_application(
    form: Mapping[str, str],
    uploads: Mapping[str, MaterialUpload],
    max_mb: int,
    sectors: Collection[str] = ARTICLE_5_SECTORS,
    today: date | None = None,
    carried: Iterable[Material] = (),
) -> Application:
    """The application, or ApplicationInvalid with every problem of fields and files.

    `sectors`: the configured priority sectors; `today`: the console's day.
    """
    problems = upload_problems(uploads.values(), max_mb)
    try:
        data = application_data(form, uploads, carried)
        application = parse_application(data, sectors, today)
    except ApplicationInvalid as invalid:
        raise ApplicationInvalid([*problems, *invalid.problems]) from invalid
    if problems:
        raise ApplicationInvalid(problems)
    return application


def attached(application: Application, uploads: Iterable[MaterialUpload]) -> list[MaterialUpload]:
    """The files the application lists as its materials (a licence of a blank row is not)."""
    listed = {material.sha256 for material in application.materials}
    return [upload for upload in uploads if upload.sha256 in listed]


def form_of(application: Application) -> dict[str, str]:
    """The form filled in with `application` (the inverse of `application_data`), so staff
    enter a corrected application by changing what was submitted."""
    form = {
        "alliance_name": application.alliance_name,
        "industry_field": application.industry_field,
        "industry_sector": application.industry_sector,
        "district": application.district.value,
        "lead_unit": application.lead_unit,
        "institute_advanced_level": application.institute_advanced_level,
        "established_on": application.established_on.isoformat()
        if application.established_on
        else "",
        "establishment_basis": application.establishment_basis,
        "agreement_complies": "on" if application.agreement_complies else "",
        "innovation_goals": application.innovation_goals,
        "operating_funds_wan": f"{application.funding.operating_funds_wan:g}",
        "project_funds_wan": f"{application.funding.project_funds_wan:g}",
        "management_rule": application.funding.management_rule,
        "early_results": application.early_results,
    }
    for key in ("decision", "executive", "advisory"):
        body = getattr(application.bodies, key)
        form |= {f"{key}_name": body.name, f"{key}_person": body.responsible_person}
        if body.full_time:
            form[f"{key}_full_time"] = "on"
    for i, member in enumerate(application.members):
        form |= {
            f"member_{i}_name": member.name,
            f"member_{i}_kind": member.kind.value,
            f"member_{i}_code": member.credit_code,
            f"member_{i}_role": member.role.value,
            f"member_{i}_task": member.task,
        }
    for i, contact in enumerate(application.contacts):
        form |= {
            f"contact_{i}_name": contact.name,
            f"contact_{i}_email": contact.email,
            f"contact_{i}_phone": contact.phone,
        }
    return form


def material_fields(application: Application) -> dict[str, str]:
    """Which form field each of the application's materials belongs to, by SHA-256."""
    rows = {member.credit_code: i for i, member in enumerate(application.members)}
    fields = {}
    for material in application.materials:
        if material.kind == MaterialKind.LICENCE_COPY:
            row = rows.get(material.member_credit_code)
            if row is not None:
                fields[material.sha256] = f"licence_{row}"
        else:
            fields[material.sha256] = material.kind.value
    return fields
