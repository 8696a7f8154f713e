"""The application for recognition as a municipal alliance (articles 2, 8 and 10).

The model describes shape, types and the input limits of `domain.input_rules`; the
article-by-article eligibility checks live in `domain.eligibility` so that every problem
can be reported at once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from domain.districts import District
from domain.input_rules import (
    CONTACTS_MAX,
    MATERIALS_MAX,
    MEMBERS_MAX,
    EmailText,
    FileName,
    FreeText,
    MoneyWan,
    Name,
    PersonName,
    PlausibleDate,
    ShortText,
    TextLine,
    at_most,
)

ARTICLE_5_SECTORS = (
    "战略性新兴产业",
    "传统产业改造提升",
    "现代服务业",
    "现代农业",
    "民生科技产业",
    "区域支柱产业",
)
"""第五条: the sectors the city builds alliances around; the default of the setting
`priority_sectors`, from which an application's `industry_sector` is chosen."""


class MemberKind(StrEnum):
    """成员类型: the kinds of independent legal person article 8.2 names."""

    ENTERPRISE = "enterprise"  # 企业
    UNIVERSITY = "university"  # 大学
    RESEARCH_INSTITUTE = "research_institute"  # 科研机构
    KEY_USER = "key_user"  # 关键用户
    TESTING_BODY = "testing_body"  # 检测机构
    INTERMEDIARY = "intermediary"  # 中介机构 (科技金融、知识产权服务)


MEMBER_KIND_ZH = {
    MemberKind.ENTERPRISE: "企业",
    MemberKind.UNIVERSITY: "大学",
    MemberKind.RESEARCH_INSTITUTE: "科研机构",
    MemberKind.KEY_USER: "关键用户",
    MemberKind.TESTING_BODY: "检测机构",
    MemberKind.INTERMEDIARY: "中介机构",
}


class MemberRole(StrEnum):
    """The member's position in the alliance."""

    LEAD = "lead"  # 发起单位/理事长单位
    BACKBONE = "backbone"  # 骨干成员
    MEMBER = "member"  # 一般成员


class MaterialKind(StrEnum):
    """第十条 required materials."""

    AGREEMENT = "agreement"  # 联盟协议文本
    APPLICATION_FORM = "application_form"  # 联盟申请表
    NECESSITY_STATEMENT = "necessity_statement"  # 组建必要性的说明
    LICENCE_COPY = "licence_copy"  # 营业执照或法人证书复印件 (one per member)


MATERIAL_KIND_ZH = {
    MaterialKind.AGREEMENT: "联盟成员共同签署的联盟协议文本",
    MaterialKind.APPLICATION_FORM: "联盟申请表",
    MaterialKind.NECESSITY_STATEMENT: "联盟组建必要性的说明",
    MaterialKind.LICENCE_COPY: "营业执照或法人证书加盖公章的复印件",
}


class Member(BaseModel):
    name: Name
    kind: MemberKind
    credit_code: ShortText = Field(description="统一社会信用代码, 18 characters")
    role: MemberRole = MemberRole.MEMBER
    task: FreeText = Field(default="", description="技术创新任务分工 (article 8.4)")


class Body(BaseModel):
    """决策、执行、咨询机构 (article 8.3)."""

    name: Name = ""
    responsible_person: PersonName = ""
    full_time: bool = False


class Bodies(BaseModel):
    decision: Body = Body()
    executive: Body = Body()
    advisory: Body = Body()


class Funding(BaseModel):
    """Article 8.5: money in ten-thousand yuan (万元), as the bureau's forms use."""

    operating_funds_wan: MoneyWan = 0
    project_funds_wan: MoneyWan = 0
    management_rule: FreeText = Field(default="", description="经费管理制度")


class Contact(BaseModel):
    name: Name  # a person, or the lead unit itself for an article-13 import
    email: EmailText
    phone: ShortText = ""


class Material(BaseModel):
    """One article-10 file: what it is, its name and its SHA-256."""

    kind: MaterialKind
    name: FileName
    sha256: ShortText
    member_credit_code: ShortText = Field(default="", description="for a licence copy: whose")


class Application(BaseModel):
    """联盟申请: everything the lead unit submits (articles 5, 8 and 10).

    The article-5 sector and the 8.1 and 8.2 records came later than the first stored
    applications, so they default to empty here and `domain.eligibility` requires them of
    every application submitted since.
    """

    alliance_name: Name
    industry_field: Name
    industry_sector: Name = Field(default="", description="第五条: one of the priority sectors")
    district: District
    lead_unit: Name = Field(description="发起单位 name; must be one of the members")
    members: Annotated[list[Member], at_most(MEMBERS_MAX)]
    institute_advanced_level: FreeText = Field(
        default="",
        description="8.2: the university's or institute's advanced level in the joint field",
    )
    bodies: Bodies = Bodies()
    established_on: PlausibleDate | None = Field(
        default=None, description="8.1: the day the alliance was formally founded"
    )
    establishment_basis: TextLine = Field(
        default="", description="8.1: what founded it, e.g. 成立大会决议、联盟协议签署"
    )
    agreement_complies: bool = Field(
        default=False, description="8.1: the agreement follows the national guidance"
    )
    innovation_goals: FreeText = ""
    funding: Funding = Funding()
    early_results: FreeText = Field(default="", description="8.6: 初步成效, ranks the queue")
    contacts: Annotated[list[Contact], at_most(CONTACTS_MAX)]
    materials: Annotated[list[Material], at_most(MATERIALS_MAX)] = []

    def lead_member(self) -> Member | None:
        return next((m for m in self.members if m.name == self.lead_unit), None)

    def lead_unit_code(self) -> str:
        """The lead unit's credit code (a unit may lead several alliances; the alliance's
        own code, 联盟编号, is assigned by the registry)."""
        lead = self.lead_member()
        return lead.credit_code if lead else ""

    def recipient_emails(self) -> list[str]:
        return [c.email for c in self.contacts]
