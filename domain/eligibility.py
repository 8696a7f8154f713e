"""Eligibility at submission (articles 2, 5, 8 and 10): every problem reported at once.

Each problem names the field it concerns (`members[2].credit_code`) and says in Chinese
and English what the applicant must change, naming the member or material concerned.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from domain.application import (
    ARTICLE_5_SECTORS,
    MATERIAL_KIND_ZH,
    MEMBER_KIND_ZH,
    Application,
    Bodies,
    Contact,
    Funding,
    Material,
    MaterialKind,
    Member,
    MemberKind,
    MemberRole,
)
from domain.credit_code import CHARSET, is_valid_credit_code
from domain.districts import DISTRICT_ZH
from domain.input_rules import (
    APPLICATION_FILE_MAX,
    APPLICATION_PAYLOAD_MAX,
    RULE_ERROR,
    field_path,
    largest_part,
    payload_size,
    shortened,
)
from domain.shanghai_time import SHANGHAI


class Problem(BaseModel):
    """One thing the applicant must change."""

    field: str
    zh: str
    en: str


class ApplicationInvalid(Exception):
    """An application that cannot be accepted, with everything wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(f"{p.field}: {p.zh} ({p.en})" for p in self.problems)


def check_application(app: Application) -> list[Problem]:
    """Every violated condition of articles 2, 8 and 10, in document order.

    Workflows re-run this on the applications they hold, some of them stored before the
    article-5 sector and the 8.1 and 8.2 records were asked (and replayed from saved
    histories), so it asks nothing of those: `check_new_application` does.
    """
    return sorted(_check(_Parts.of(app)), key=_document_order)


def check_new_application(app: Application, sectors: Collection[str], today: date) -> list[Problem]:
    """`check_application`, and what an application submitted now must also record.

    Its sector is one of the city's priority `sectors` (article 5, a setting); it says on
    what day (not after `today`) and on what basis the alliance was formally founded (8.1),
    and the university's or research institute's advanced level in the joint field (8.2).
    """
    return sorted(_check_new(_Parts.of(app), sectors, today), key=_document_order)


def early_results_priority(app: Application) -> int:
    """Article 8.6: early results rank the queue; they are not a condition."""
    return 1 if app.early_results.strip() else 0


def parse_application(
    data: dict[str, Any],
    sectors: Collection[str] = ARTICLE_5_SECTORS,
    today: date | None = None,
) -> Application:
    """The application in `data`, or ApplicationInvalid listing all type and rule problems.

    `sectors` is the city's list of priority sectors (the setting `priority_sectors`);
    `today` defaults to the day in Shanghai. Past APPLICATION_FILE_MAX the size is the
    only problem reported: looking at each field of something that large is itself the
    risk the limit guards against.
    """
    size = payload_size(data, stop_after=APPLICATION_FILE_MAX)
    if size > APPLICATION_FILE_MAX:
        raise ApplicationInvalid([_too_large(data)])
    too_large = [_too_large(data)] if size > APPLICATION_PAYLOAD_MAX else []
    today = today or datetime.now(SHANGHAI).date()
    try:
        app = Application.model_validate(data)
    except ValidationError as error:
        rules = _check_new(_Parts.salvage(data), sectors, today) if isinstance(data, dict) else ()
        problems = [*too_large, *_type_problems(error), *rules]
        raise ApplicationInvalid(sorted(problems, key=_document_order)) from None
    if problems := [*too_large, *check_new_application(app, sectors, today)]:
        raise ApplicationInvalid(problems)
    return app


def _too_large(data: Any) -> Problem:
    """The payload limit, naming the biggest single part so the applicant knows what to cut."""
    path = field_path(largest_part(data, stop_after=APPLICATION_PAYLOAD_MAX)) or "application"
    limit = APPLICATION_PAYLOAD_MAX // 1024
    return Problem(
        field="application",
        zh=f"申请内容超过{limit} KiB上限，其中最大的一项是“{path}”，请精简后重新提交",
        en=f"the application is larger than the {limit} KiB limit; its largest part is "
        f"'{path}': shorten it and submit again",
    )


_MATERIAL_KIND_EN = {
    MaterialKind.AGREEMENT: "the alliance agreement signed by all members",
    MaterialKind.APPLICATION_FORM: "the alliance application form",
    MaterialKind.NECESSITY_STATEMENT: "the statement of why the alliance is needed",
    MaterialKind.LICENCE_COPY: "a sealed copy of the business licence or legal-person certificate",
}
_ROLE_ZH = {
    MemberRole.LEAD: "发起单位",
    MemberRole.BACKBONE: "骨干成员",
    MemberRole.MEMBER: "一般成员",
}
_BODY_ZH = {"decision": "决策机构", "executive": "执行机构", "advisory": "咨询机构"}
_RESEARCH_KINDS = {MemberKind.UNIVERSITY, MemberKind.RESEARCH_INSTITUTE}
_LEADING_ROLES = {MemberRole.LEAD, MemberRole.BACKBONE}
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
)
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def is_valid_email(address: str) -> bool:
    """A well-formed address (no network look-up); shared with the article-13 import."""
    return _EMAIL.fullmatch(address.strip()) is not None


@dataclass
class _Parts:
    """What of an application passed type validation; `None` or a missing index: it did not.

    Checks run only on what validated, so a type error elsewhere neither hides a rule
    problem nor invents one (a member of unknown kind must not read as "no university").
    """

    alliance_name: str | None
    industry_field: str | None
    industry_sector: str | None
    lead_unit: str | None
    institute_advanced_level: str | None
    bodies: Bodies | None
    established_on: date | None
    establishment_basis: str | None
    agreement_complies: bool | None
    innovation_goals: str | None
    funding: Funding | None
    members: dict[int, Member]
    contacts: dict[int, Contact]
    materials: dict[int, Material]
    complete_lists: set[str]
    # a valid founding date may be absent, so `None` alone cannot say it was not given
    established_on_missing: bool

    @classmethod
    def of(cls, app: Application) -> _Parts:
        return cls(
            **{name: getattr(app, name) for name in _SCALARS},
            members=dict(enumerate(app.members)),
            contacts=dict(enumerate(app.contacts)),
            materials=dict(enumerate(app.materials)),
            complete_lists=set(_LISTS),
            established_on_missing=app.established_on is None,
        )

    @classmethod
    def salvage(cls, data: dict[str, Any]) -> _Parts:
        lists = {name: _valid_items(item, _given(name, data)) for name, item in _LISTS.items()}
        fields: dict[str, Any] = {name: _valid_scalar(name, data) for name in _SCALARS}
        fields.update({name: items for name, (items, _) in lists.items()})
        return cls(
            **fields,
            complete_lists={name for name, (_, whole) in lists.items() if whole},
            established_on_missing=_given("established_on", data) is None,
        )


_SCALARS = (
    "alliance_name",
    "industry_field",
    "industry_sector",
    "lead_unit",
    "institute_advanced_level",
    "bodies",
    "established_on",
    "establishment_basis",
    "agreement_complies",
    "innovation_goals",
    "funding",
)
_LISTS: dict[str, type[BaseModel]] = {
    "members": Member,
    "contacts": Contact,
    "materials": Material,
}


def _given(name: str, data: dict[str, Any]) -> Any:
    """The value given for a field, else its default; None when a required one is absent."""
    field = Application.model_fields[name]
    if name in data:
        return data[name]
    return None if field.is_required() else field.get_default(call_default_factory=True)


def _valid_scalar(name: str, data: dict[str, Any]) -> Any:
    field = Application.model_fields[name]
    # the metadata holds the input rules: without it an over-long name would count as valid
    rules: Any = (
        Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    )
    try:
        return TypeAdapter(rules).validate_python(_given(name, data))
    except ValidationError:
        return None


def _valid_items(item: type[BaseModel], raw: Any) -> tuple[dict[int, Any], bool]:
    """The items of a list that validate, by index, and whether all of them did."""
    if not isinstance(raw, list):
        return {}, False
    valid = {}
    for i, value in enumerate(raw):
        try:
            valid[i] = item.model_validate(value)
        except ValidationError:
            continue
    return valid, len(valid) == len(raw)


def _check(parts: _Parts) -> Iterator[Problem]:
    if parts.alliance_name is not None and not parts.alliance_name.strip():
        yield Problem(field="alliance_name", zh="未填写联盟名称", en="the alliance name is missing")
    if parts.industry_field is not None and not parts.industry_field.strip():
        yield Problem(
            field="industry_field", zh="未填写联盟所属产业领域", en="the industry field is missing"
        )
    members_whole = "members" in parts.complete_lists
    if members_whole and parts.lead_unit is not None:
        yield from _check_lead_unit(parts.lead_unit, list(parts.members.values()))
    if members_whole:
        yield from _check_composition(list(parts.members.values()))
    for i, member in parts.members.items():
        yield from _check_member(i, member)
    if members_whole:
        yield from _check_duplicates(parts.members)
    if parts.bodies is not None:
        yield from _check_bodies(parts.bodies)
    if parts.agreement_complies is False:
        yield Problem(
            field="agreement_complies",
            zh="未声明联盟协议符合相关法律法规及国家《关于推动产业技术创新战略联盟构建的指导意见》"
            "等规定（第八条第1项）",
            en="the applicant has not declared that the alliance agreement complies with the law "
            "and the national guidance on building alliances (article 8.1)",
        )
    if parts.innovation_goals is not None and not parts.innovation_goals.strip():
        yield Problem(
            field="innovation_goals",
            zh="未填写技术创新目标（第八条第4项）",
            en="the technological innovation goals are missing (article 8.4)",
        )
    if parts.funding is not None:
        yield from _check_funding(parts.funding)
    if "contacts" in parts.complete_lists and not parts.contacts:
        yield Problem(
            field="contacts",
            zh="至少需要一名联系人，用于接收办理进度的通知邮件",
            en="at least one contact is needed to receive the notices by email",
        )
    for i, contact in parts.contacts.items():
        yield from _check_contact(i, contact)
    for i, material in parts.materials.items():
        if not _SHA256.fullmatch(material.sha256):
            yield Problem(
                field=f"materials[{i}].sha256",
                zh=f"材料“{material.name}”的SHA-256校验值应为64位十六进制字符",
                en=f"the SHA-256 of material '{material.name}' must be 64 hexadecimal characters",
            )
    if members_whole and "materials" in parts.complete_lists:
        yield from _check_materials(parts.materials, list(parts.members.values()))


def _check_new(parts: _Parts, sectors: Collection[str], today: date) -> Iterator[Problem]:
    """Every condition, and what a new application records of articles 5, 8.1 and 8.2."""
    yield from _check(parts)
    if parts.industry_sector is not None:
        yield from _check_sector(parts.industry_sector, sectors)
    yield from _check_founding(parts, today)
    if parts.institute_advanced_level is not None and not parts.institute_advanced_level.strip():
        yield Problem(
            field="institute_advanced_level",
            zh="未说明大学或科研机构在合作的技术领域具有的先进水平（第八条第2项）",
            en="there is no statement of the university's or research institute's advanced "
            "level in the joint technical field (article 8.2)",
        )


def _check_sector(sector: str, sectors: Collection[str]) -> Iterator[Problem]:
    """Article 5: the alliance serves one of the city's priority sectors."""
    choices_zh = f"；可选：{'、'.join(sectors)}"
    choices_en = f"; choose one of: {', '.join(sectors)}"
    if not sector.strip():
        yield Problem(
            field="industry_sector",
            zh=f"未选择联盟所属的本市重点产业（第五条）{choices_zh}",
            en=f"the city's priority sector the alliance serves is missing (article 5){choices_en}",
        )
    elif sector not in sectors:
        shown = shortened(sector)
        yield Problem(
            field="industry_sector",
            zh=f"“{shown}”不是本市确定的重点产业（第五条）{choices_zh}",
            en=f"'{shown}' is not one of the city's priority sectors (article 5){choices_en}",
        )


def _check_founding(parts: _Parts, today: date) -> Iterator[Problem]:
    """Article 8.1: the alliance is already formally founded, on a stated day and basis."""
    if parts.established_on_missing:
        yield Problem(
            field="established_on",
            zh="未填写联盟正式成立的日期（第八条第1项：联盟应已正式成立）",
            en="the date the alliance was formally founded is missing "
            "(article 8.1: the alliance must already be founded)",
        )
    elif parts.established_on is not None and parts.established_on > today:
        yield Problem(
            field="established_on",
            zh=f"联盟成立日期{parts.established_on}晚于今天（{today}）；"
            "申报时联盟应已正式成立（第八条第1项）",
            en=f"the founding date {parts.established_on} is after today ({today}); "
            "an alliance applies once it is founded (article 8.1)",
        )
    if parts.establishment_basis is not None and not parts.establishment_basis.strip():
        yield Problem(
            field="establishment_basis",
            zh="未填写联盟正式成立的依据，如成立大会决议、联盟协议签署（第八条第1项）",
            en="the basis of the founding is missing, e.g. the founding meeting's resolution "
            "or the signing of the alliance agreement (article 8.1)",
        )


def _member_label(i: int, member: Member) -> tuple[str, str]:
    if member.name.strip():
        return f"成员“{member.name}”", f"member '{member.name}'"
    return f"第{i + 1}个成员", f"member {i + 1}"


def _check_lead_unit(lead_unit: str, members: list[Member]) -> Iterator[Problem]:
    if not lead_unit.strip():
        yield Problem(
            field="lead_unit",
            zh="未填写发起单位；应填写某一联盟成员的名称",
            en="the lead unit is missing; give the name of one of the members",
        )
    elif all(m.name != lead_unit for m in members):
        yield Problem(
            field="lead_unit",
            zh=f"发起单位“{lead_unit}”不在联盟成员名单中；名称应与某一成员的名称完全一致",
            en=f"the lead unit '{lead_unit}' is not among the members; "
            "its name must match a member's name exactly",
        )


def _check_composition(members: list[Member]) -> Iterator[Problem]:
    enterprises = [m for m in members if m.kind == MemberKind.ENTERPRISE]
    if not enterprises:
        yield Problem(
            field="members",
            zh="联盟成员中没有企业；联盟应以处于行业骨干地位的企业为主体（第八条第2项）",
            en="no member is an enterprise; an enterprise must hold a leading position "
            "in the industry (article 8.2)",
        )
    elif not any(m.role in _LEADING_ROLES for m in enterprises):
        yield Problem(
            field="members",
            zh="没有处于行业骨干地位的企业：请将至少一家企业的角色设为"
            "lead（发起单位）或 backbone（骨干成员）（第八条第2项）",
            en="no enterprise holds a leading position: give at least one enterprise "
            "the role lead or backbone (article 8.2)",
        )
    if not any(m.kind in _RESEARCH_KINDS for m in members):
        yield Problem(
            field="members",
            zh="联盟成员中没有大学或科研机构（第八条第2项）",
            en="no member is a university or research institute (article 8.2)",
        )


def _check_member(i: int, member: Member) -> Iterator[Problem]:
    who_zh, who_en = _member_label(i, member)
    if not member.name.strip():
        yield Problem(
            field=f"members[{i}].name",
            zh=f"{who_zh}未填写单位名称",
            en=f"{who_en} has no name",
        )
    if fault := _credit_code_fault(member.credit_code):
        yield Problem(
            field=f"members[{i}].credit_code",
            zh=f"{who_zh}的统一社会信用代码“{member.credit_code}”无效：{fault[0]}",
            en=f"the unified social credit code '{member.credit_code}' of {who_en} "
            f"is invalid: {fault[1]}",
        )
    if not member.task.strip():
        yield Problem(
            field=f"members[{i}].task",
            zh=f"{who_zh}没有明确的技术创新任务分工（第八条第4项）",
            en=f"{who_en} has no technological innovation task (article 8.4)",
        )


def _credit_code_fault(code: str) -> tuple[str, str] | None:
    """Why a code fails GB 32100-2015, in words that say what to correct."""
    if is_valid_credit_code(code):
        return None
    if not code:
        return "未填写", "it is missing"
    if len(code) != 18:
        return f"应为18位，现为{len(code)}位", f"it must have 18 characters, not {len(code)}"
    if any(c.islower() for c in code):
        return "字母须大写", "letters must be upper case"
    if bad := sorted({c for c in code if c not in CHARSET}):
        return (
            f"含有不允许的字符“{'、'.join(bad)}”；只能使用数字和大写字母，不含 I、O、S、V、Z",
            f"it contains {', '.join(bad)}; only digits and capitals other than I, O, S, V, Z",
        )
    if not code[2:8].isdigit():
        return (
            "第3至8位是登记管理机关行政区划码，应全为数字",
            "characters 3 to 8 (the registration authority's region code) must be digits",
        )
    return (
        "第18位校验码不符，请对照营业执照逐位核对",
        "the 18th (check) character does not match; compare each character with the licence",
    )


def _check_duplicates(members: dict[int, Member]) -> Iterator[Problem]:
    first_by_code: dict[str, Member] = {}
    first_by_name: dict[str, Member] = {}
    for i, member in members.items():
        if member.name.strip() and first_by_name.setdefault(member.name, member) is not member:
            yield Problem(
                field=f"members[{i}].name",
                zh=f"成员名称“{member.name}”重复出现；每个成员只应列出一次",
                en=f"the member name '{member.name}' appears twice; list each member once",
            )
        if member.credit_code:
            earlier = first_by_code.setdefault(member.credit_code, member)
            if earlier is not member:
                who_zh, who_en = _member_label(i, member)
                yield Problem(
                    field=f"members[{i}].credit_code",
                    zh=f"{who_zh}的统一社会信用代码“{member.credit_code}”与成员“{earlier.name}”"
                    "重复；每个成员应是独立法人",
                    en=f"{who_en} has the same unified social credit code as '{earlier.name}'; "
                    "each member must be a separate legal person",
                )


def _check_bodies(bodies: Bodies) -> Iterator[Problem]:
    for key, body_zh in _BODY_ZH.items():
        body = getattr(bodies, key)
        if not body.name.strip():
            yield Problem(
                field=f"bodies.{key}.name",
                zh=f"未填写{body_zh}的名称（第八条第3项）",
                en=f"the {key} body is not named (article 8.3)",
            )
        if not body.responsible_person.strip():
            yield Problem(
                field=f"bodies.{key}.responsible_person",
                zh=f"{body_zh}未明确责任人（第八条第3项）",
                en=f"the {key} body has no responsible person (article 8.3)",
            )
    if not bodies.executive.full_time:
        yield Problem(
            field="bodies.executive.full_time",
            zh="联盟执行机构应实行专职化（第八条第3项）",
            en="the executive body must be staffed full-time (article 8.3)",
        )


def _check_funding(funding: Funding) -> Iterator[Problem]:
    # `not > 0` also rejects NaN, which YAML spells .nan
    if not funding.operating_funds_wan > 0:
        yield Problem(
            field="funding.operating_funds_wan",
            zh="日常运行经费未落实：金额（万元）应大于0（第八条第5项）",
            en="operating funds are not secured: the amount (10,000 yuan) must be above 0 "
            "(article 8.5)",
        )
    if not funding.project_funds_wan > 0:
        yield Problem(
            field="funding.project_funds_wan",
            zh="合作创新项目经费未落实：金额（万元）应大于0（第八条第5项）",
            en="joint innovation project funds are not secured: the amount (10,000 yuan) "
            "must be above 0 (article 8.5)",
        )
    if not funding.management_rule.strip():
        yield Problem(
            field="funding.management_rule",
            zh="未提供经费管理制度（第八条第5项）",
            en="the funds management rule is missing (article 8.5)",
        )


def _check_contact(i: int, contact: Contact) -> Iterator[Problem]:
    who_zh = f"联系人“{contact.name}”" if contact.name.strip() else f"第{i + 1}个联系人"
    who_en = f"contact '{contact.name}'" if contact.name.strip() else f"contact {i + 1}"
    if not contact.name.strip():
        yield Problem(
            field=f"contacts[{i}].name", zh=f"{who_zh}未填写姓名", en=f"{who_en} has no name"
        )
    if not is_valid_email(contact.email):
        yield Problem(
            field=f"contacts[{i}].email",
            zh=f"{who_zh}的电子邮箱“{contact.email}”格式不正确，应形如 name@example.com",
            en=f"the email address '{contact.email}' of {who_en} is not well-formed; "
            "expected something like name@example.com",
        )


def _check_materials(materials: dict[int, Material], members: list[Member]) -> Iterator[Problem]:
    """Article 10: each required item present, and a licence copy for every member."""
    kinds = {m.kind for m in materials.values()}
    for item, kind in enumerate(
        (MaterialKind.AGREEMENT, MaterialKind.APPLICATION_FORM, MaterialKind.NECESSITY_STATEMENT),
        start=1,
    ):
        if kind not in kinds:
            yield Problem(
                field="materials",
                zh=f"缺少材料：{MATERIAL_KIND_ZH[kind]}（第十条第{item}项）",
                en=f"missing material: {_MATERIAL_KIND_EN[kind]} (article 10.{item})",
            )
    licences = {i: m for i, m in materials.items() if m.kind == MaterialKind.LICENCE_COPY}
    covered = {m.member_credit_code for m in licences.values() if m.member_credit_code}
    for i, member in enumerate(members):
        if not member.credit_code or member.credit_code not in covered:
            who_zh, who_en = _member_label(i, member)
            yield Problem(
                field="materials",
                zh=f"缺少材料：{who_zh}的{MATERIAL_KIND_ZH[MaterialKind.LICENCE_COPY]}（第十条第4项）",
                en=f"missing material: {_MATERIAL_KIND_EN[MaterialKind.LICENCE_COPY]} "
                f"for {who_en} (article 10.4)",
            )
    codes = {m.credit_code for m in members}
    for i, licence in licences.items():
        if not licence.member_credit_code:
            yield Problem(
                field=f"materials[{i}].member_credit_code",
                zh=f"执照复印件“{licence.name}”未注明所属成员的统一社会信用代码",
                en=f"the licence copy '{licence.name}' does not say whose it is "
                "(member_credit_code)",
            )
        elif licence.member_credit_code not in codes:
            yield Problem(
                field=f"materials[{i}].member_credit_code",
                zh=f"执照复印件“{licence.name}”所注统一社会信用代码“{licence.member_credit_code}”"
                "不属于任何联盟成员",
                en=f"the licence copy '{licence.name}' names the credit code "
                f"'{licence.member_credit_code}', which no member has",
            )


_FIELD_ZH = {
    "alliance_name": "联盟名称",
    "industry_field": "产业领域",
    "industry_sector": "所属重点产业（第五条）",
    "district": "所属县（市）区或开发区",
    "lead_unit": "发起单位",
    "members": "联盟成员",
    "institute_advanced_level": "大学或科研机构的先进水平说明",
    "name": "名称",
    "kind": "类型",
    "credit_code": "统一社会信用代码",
    "role": "角色",
    "task": "任务分工",
    "bodies": "决策、执行、咨询机构",
    "decision": "决策机构",
    "executive": "执行机构",
    "advisory": "咨询机构",
    "responsible_person": "责任人",
    "full_time": "专职化",
    "established_on": "联盟成立日期",
    "establishment_basis": "联盟成立依据",
    "agreement_complies": "联盟协议符合规定的声明",
    "innovation_goals": "技术创新目标",
    "funding": "经费",
    "operating_funds_wan": "日常运行经费（万元）",
    "project_funds_wan": "合作创新项目经费（万元）",
    "management_rule": "经费管理制度",
    "early_results": "初步成效",
    "contacts": "联系人",
    "email": "电子邮箱",
    "phone": "电话",
    "materials": "申请材料",
    "sha256": "SHA-256校验值",
    "member_credit_code": "所属成员的统一社会信用代码",
}
_CHOICES_ZH: dict[tuple[str, ...], dict[Any, str]] = {
    ("district",): DISTRICT_ZH,
    ("members", "kind"): MEMBER_KIND_ZH,
    ("members", "role"): _ROLE_ZH,
    ("materials", "kind"): MATERIAL_KIND_ZH,
}
_TYPE_ZH = {
    "string_type": "应为文字；若内容全是数字，请加引号",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期，如 2024-03-18",
    "date_parsing": "应为日期，如 2024-03-18",
    "date_from_datetime_parsing": "应为日期，如 2024-03-18",
    "date_from_datetime_inexact": "应为日期，如 2024-03-18",
    "list_type": "应为列表",
    "model_type": "应为一组字段",
    "model_attributes_type": "应为一组字段",
    "dict_type": "应为一组字段",
}


def _type_problems(error: ValidationError) -> Iterator[Problem]:
    """Pydantic's errors as Problems: the same field paths, messages for a clerk."""
    for e in error.errors():
        loc = e["loc"]
        path = field_path(loc)
        label = "的".join(
            _FIELD_ZH.get(p, p)
            + (f"（第{int(loc[n + 1]) + 1}项）" if _next_is_index(loc, n) else "")
            for n, p in enumerate(loc)
            # "bodies" adds nothing before "执行机构" but is needed alone
            if isinstance(p, str) and (p != "bodies" or n == len(loc) - 1)
        )
        names = tuple(p for p in loc if isinstance(p, str))
        if e["type"] == "missing":
            zh, en = f"缺少必填项：{label}", f"required field '{path}' is missing"
        elif e["type"] == RULE_ERROR:
            zh, en = f"{label}{e['ctx']['zh']}", f"{path} {e['ctx']['en']}"
        elif e["type"] == "enum" and names in _CHOICES_ZH:
            choices = "、".join(f"{k}（{v}）" for k, v in _CHOICES_ZH[names].items())
            given = shortened(e["input"])
            zh = f"{label}“{given}”不是可选的取值；可选：{choices}"
            en = f"'{given}' is not allowed; choose one of {e['ctx']['expected']}"
        else:
            zh = f"{label}{_TYPE_ZH.get(e['type'], '格式不正确')}"
            en = e["msg"]
        yield Problem(field=path or "application", zh=zh, en=en)


def _next_is_index(loc: tuple[int | str, ...], n: int) -> bool:
    return n + 1 < len(loc) and isinstance(loc[n + 1], int)


_FIELD_ORDER = {name: n for n, name in enumerate(Application.model_fields)}
_PATH_HEAD = re.compile(r"(\w+)(?:\[(\d+)\])?")


def _document_order(problem: Problem) -> tuple[int, int]:
    """Sort key following the application's layout: field, then list index."""
    head = _PATH_HEAD.match(problem.field)
    if head is None:
        return -1, -1
    index = int(head[2]) if head[2] is not None else -1
    return _FIELD_ORDER.get(head[1], -1), index
