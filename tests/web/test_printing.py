"""Print and archive: the approval form (审批表) as a PDF and the audit trail as Excel, read
back the way a clerk's viewer and spreadsheet read them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlmodel import select

from admin.provincial_import import import_provincial_csv
from domain.labels import event_words
from domain.procedure import ObjectionFiling, ObjectionResolution
from domain.shanghai_time import SHANGHAI, at_local, start_of_day
from domain.term import (
    AnnualReportReview,
    AssessmentKind,
    Grade,
    RectificationRecheck,
    RectificationReport,
    report_due,
    report_years,
)
from registry.database import session_scope
from registry.tables import AuditEntry
from tests.support.pdfs import embedded, fonts_of, read_pdf, text_of
from tests.support.temporal import new_id
from tests.test_provincial_import import SAMPLE as PROVINCIAL_SAMPLE
from tests.test_provincial_import import SAMPLE_CODES
from tests.web.conftest import browser, sign_in
from tests.workflows.test_term import ALLIANCE, STAFF, hand_in_assessment, report
from web.app import create_app

ALLIANCE_NAME = "鞍山市菱镁新材料产业技术创新战略联盟"
OBJECTION = {
    "name": "孙实名",
    "organisation": "鞍山某科技有限公司",
    "contact": "sun@example.com",
    "text": "该联盟成员单位存在虚报情况",
}


async def a_lived_alliance(bureau) -> str:
    """Recognised after a dismissed objection; a report accepted, a poor mid-term and its
    rectification passed on re-check."""
    code = await bureau.at_director_meeting()
    await bureau.approve_at_meeting(code)
    state = await bureau.wait_for_state(code, lambda s: s.notice is not None)
    await bureau.sleep_until(start_of_day(state.notice.start) + timedelta(hours=10))
    await bureau.act(code, "file_objection", ObjectionFiling(request_id=new_id(), **OBJECTION))
    await bureau.act(
        code,
        "resolve_objection",
        ObjectionResolution(
            request_id=new_id(), actor=STAFF, objection_no=1, upheld=False, reason="经核实所述不实"
        ),
    )
    await bureau.result(code)
    term = await bureau.wait_for_term(code, lambda s: True)
    year = report_years(term)[0]
    await bureau.sleep_until(at_local(report_due(year).date() - timedelta(days=3), 9))
    await bureau.act(code, "submit_annual_report", report(year))
    review = AnnualReportReview(request_id=new_id(), actor=STAFF, year=year, accepted=True)
    await bureau.act(code, "review_annual_report", review)
    await hand_in_assessment(bureau, code, AssessmentKind.MIDTERM, Grade.POOR, "协同机制运行不畅")
    await bureau.act(
        code,
        "submit_rectification_report",
        RectificationReport(request_id=new_id(), actor=ALLIANCE, report="已完成整改"),
    )
    await bureau.act(
        code,
        "recheck_rectification",
        RectificationRecheck(request_id=new_id(), actor=STAFF, passed=True, reason="整改措施到位"),
    )
    await bureau.settled(code)
    return code


async def test_approval_form_prints_every_step_with_its_opinions_in_an_embedded_font(
    bureau, as_user
):
    code = await a_lived_alliance(bureau)
    staff = await as_user("staff")

    page = await staff.get(f"/alliances/{code}")
    assert f'href="/alliances/{code}/approval-form.pdf"' in page.text
    response = await staff.get(f"/alliances/{code}/approval-form.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"

    pdf = read_pdf(response.content)
    text = text_of(pdf)
    for shown in (
        "鞍山市产业技术创新战略联盟认定审批表",
        ALLIANCE_NAME,
        # article 9, step by step, with who decided and what they wrote
        "县（市）区科技局审查推荐（第九条第二项）",
        event_words("district_review.recommend")[0],
        "王审查（县区科技局审查人员）",
        "专家评审（第九条第三项）",
        "辽宁省科技咨询评估中心",
        "张教授",
        "刘研究员",
        "88.0",
        "平均分87.67",
        "联盟围绕产业共性关键技术开展合作，组建必要。",
        "成员分工明确，经费保障到位，组建可行。",
        "局长办公会审议（第九条第四项）",
        "会议编号",
        "第12次",
        "公示（第九条第四项）",
        "异议情况（1件）",
        "该联盟成员单位存在虚报情况",
        "异议不成立：经核实所述不实",
        "下达批复文件（第九条第五项）",
        "12号",
        "ASLM-",
        # articles 11 and 12
        "年度报告（第十一条）",
        "已审核通过",
        "期中考核评估（第1个认定期）",
        "较差",
        "协同机制运行不畅",
        event_words("rectification.ordered")[0],
        event_words("rectification.report")[0],
        event_words("rectification.passed")[0],
        "整改措施到位",
        # the place for the bureau's opinion and seal
        "市科技局审批意见",
        "鞍山市科学技术局",
        "（盖章）",
    ):
        assert shown in text, shown

    fonts = list(fonts_of(pdf))
    assert fonts and all(embedded(descriptor) for _, descriptor in fonts), fonts
    assert not any("Helvetica" in name or "STSong" in name for name, _ in fonts)

    info = pdf.metadata
    assert info.title == f"鞍山市产业技术创新战略联盟认定审批表：{ALLIANCE_NAME}（{code}）"
    assert info.author == bureau.settings.bureau_name
    assert abs(info.creation_date - datetime.now(UTC)) < timedelta(minutes=5)
    assert info.creation_date.utcoffset() == timedelta(hours=8)  # written in Beijing time


async def test_audit_trail_exports_one_row_per_entry_in_beijing_time(bureau, as_user):
    code = await a_lived_alliance(bureau)
    with session_scope(bureau.settings.registry_url()) as session:
        entries = session.exec(
            select(AuditEntry)
            .where(AuditEntry.alliance_code == code)
            .order_by(AuditEntry.at, AuditEntry.id)
        ).all()
    staff = await as_user("staff")
    page = await staff.get(f"/alliances/{code}")
    assert f'href="/alliances/{code}/audit.xlsx"' in page.text

    response = await staff.get(f"/alliances/{code}/audit.xlsx")
    assert response.status_code == 200
    assert f"audit-{code}-" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("序号", "时间（北京时间）", "事项")
    assert len(rows) == len(entries) > 15
    assert [row[8] for row in rows] == [entry.action for entry in entries]
    assert [row[1] for row in rows] == [
        entry.at.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0) for entry in entries
    ]
    by_action = {row[8]: row for row in rows}
    assert by_action["expert_review.pass"][2:4] == event_words("expert_review.pass")
    assert "专家：张教授（辽宁科技大学）评分 88.0" in by_action["expert_review.pass"][7]
    assert by_action["objection.dismissed"][6] == "经核实所述不实"
    assert by_action["rectification.passed"][4:7] == ("钱职员", "市科技局工作人员", "整改措施到位")


async def test_another_districts_reviewer_can_neither_print_nor_export(bureau, as_user):
    code = await bureau.submit()  # the sample lies in the high-tech zone
    await bureau.settled(code)
    tiexi = await as_user("tiexi")
    for path in (f"/alliances/{code}/approval-form.pdf", f"/alliances/{code}/audit.xlsx"):
        response = await tiexi.get(path)
        assert response.status_code == 403, path
        assert "无权查看" in response.text
    own = await as_user("gaoxin")
    assert (await own.get(f"/alliances/{code}/approval-form.pdf")).status_code == 200


async def test_without_a_cjk_font_the_form_is_refused_with_what_to_install(bureau, web_app):
    code = await bureau.submit()
    await bureau.settled(code)
    missing = bureau.settings.model_copy(update={"cjk_font_path": "/nonexistent/SimSun.ttf"})
    async with browser(create_app(missing, client=bureau.client)) as staff:
        await sign_in(staff, "staff")
        response = await staff.get(f"/alliances/{code}/approval-form.pdf")
    assert response.status_code == 503
    assert "/nonexistent/SimSun.ttf" in response.text
    assert "ALLIANCE_CJK_FONT_PATH" in response.text


async def test_a_provincial_alliance_prints_as_recognised_under_article_13(bureau, as_user):
    import_provincial_csv(bureau.settings.registry_url(), PROVINCIAL_SAMPLE)
    staff = await as_user("staff")
    response = await staff.get(f"/alliances/{SAMPLE_CODES[0]}/approval-form.pdf")
    assert response.status_code == 200
    text = text_of(read_pdf(response.content))
    for shown in (
        "第十三条：省级联盟自动具备市级联盟资格，不经认定程序",
        event_words("imported.provincial")[0],
        "辽科联认字〔2012〕第09号",
        "鞍山恒镁耐火材料股份有限公司",
    ):
        assert shown in text, shown
    assert "（二）县（市）区科技局审查推荐" not in text
