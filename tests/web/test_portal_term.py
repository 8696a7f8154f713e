"""The term in the alliance portal, against the running system: the annual report,
assessment materials and the rectification report handed in online as the same workflow
updates the console sends; member and contact changes proposed by the alliance and
applied by staff; the record page with history and certificate."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from domain.procedure import Actor, Role
from domain.report_statistics import FIGURES
from domain.shanghai_time import local_date
from domain.term import (
    AssessmentKind,
    AssessmentResult,
    Grade,
    ReportStatus,
    TermStatus,
    assessment_opens,
    report_due,
    report_years,
)
from registry.database import session_scope
from registry.portal_accounts import activate, issue_activation_links
from registry.tables import PortalAttachment, PortalAudit, UploadedFile
from tests.support.temporal import new_id
from tests.web.conftest import browser, csrf_of, sign_in
from tests.web.test_portal_accounts import SECRET, _account, _portal_sign_in, portal  # noqa: F401

PDF = b"%PDF-1.4\n% the evidence of the R&D spending\n"
STAFF = Actor(name="钱职员", role=Role.BUREAU_STAFF)


def _figures(**changed: str) -> dict[str, str]:
    return {name: ("12.5" if f.money else "4") for name, f in FIGURES.items()} | changed


def _request_id(page: str) -> str:
    found = re.search(r'name="request_id" value="([0-9a-f]{32})"', page)
    assert found, "the form carries no request id"
    return found.group(1)


async def _recognised_with_account(bureau, name: str = "王秘书") -> tuple[str, str]:
    """A recognised alliance whose first contact activated a portal account."""
    code = await bureau.recognise()
    email = (await bureau.term_state(code)).contacts[0].email
    url = bureau.settings.registry_url()
    now = datetime.now(UTC)
    [link] = issue_activation_links(url, code, [email], f"{code}:test", 7, now)
    activate(url, link.token, name, SECRET, SECRET, now)
    return code, email


async def test_the_annual_report_is_handed_in_once_and_a_refusal_keeps_what_was_typed(
    bureau, web_app
):
    code, email = await _recognised_with_account(bureau)
    web_app.state.clock = bureau.now
    year = report_years(await bureau.term_state(code))[0]
    path = f"/portal/a/{code}/reports/{year}"
    async with browser(web_app) as client:
        await _portal_sign_in(client, email)
        home = await client.get(f"/portal/a/{code}")
        days = (local_date(report_due(year)) - local_date(await bureau.now())).days
        assert f'href="{path}"' in home.text and f"还有{days}天" in home.text

        page = await client.get(path)
        assert page.status_code == 200 and 'id="report-form"' in page.text
        request_id = _request_id(page.text)
        typed = {
            "csrf": csrf_of(page.text),
            "request_id": request_id,
            "summary": "完成镁质耐火材料三项共性技术攻关",
            "next_year_plan": "推进两项团体标准",
        }
        # R&D spending without researchers: the workflow's validator refuses it.
        refused = await client.post(
            path,
            data=typed | _figures(researchers="0"),
            files=[
                ("attachments", ("研发投入明细.pdf", PDF, "application/pdf")),
                ("attachments", ("setup.exe", b"MZ", "application/octet-stream")),
            ],
        )
        assert refused.status_code == 400 and "setup.exe" in refused.text
        assert "完成镁质耐火材料三项共性技术攻关" in refused.text
        assert _request_id(refused.text) == request_id
        refused = await client.post(path, data=typed | _figures(researchers="0"))
        assert refused.status_code == 400 and "研发人员（人）为0" in refused.text
        assert "研发投入明细.pdf" in refused.text  # held for the form, not asked again
        assert (await bureau.term_state(code)).report(year) is None

        flood = [("attachments", (f"附件{n}.pdf", PDF, "application/pdf")) for n in range(11)]
        refused = await client.post(path, data=typed | _figures(), files=flood)
        assert refused.status_code == 400 and "附件最多10个" in refused.text
        assert "附件3.pdf" not in refused.text  # more than a form may carry: none is held

        client.cookies.set("lang", "en")
        in_english = await client.post(path, data=typed | _figures(researchers="0"))
        assert in_english.status_code == 400 and "with researchers at 0" in in_english.text
        client.cookies.set("lang", "zh-CN")

        sent = await client.post(path, data=typed | _figures())
        assert sent.status_code == 303 and sent.headers["location"] == f"{path}?sent=1"
        again = await client.post(path, data=typed | _figures())  # the same form twice
        assert again.status_code == 303

    state = await bureau.term_state(code)
    record = state.report(year)
    assert record is not None and record.status == ReportStatus.SUBMITTED
    assert record.versions == 1 and record.summary == "完成镁质耐火材料三项共性技术攻关"
    assert record.statistics is not None and record.statistics.researchers == 4
    url = bureau.settings.registry_url()
    with session_scope(url) as db:
        [attached] = db.exec(select(PortalAttachment)).all()
        assert (attached.filename, attached.subject) == ("研发投入明细.pdf", f"report:{year}")
        assert db.get(UploadedFile, attached.sha256).content == PDF
        audit = db.exec(select(PortalAudit).where(PortalAudit.action == "report.submitted")).all()
    assert [(a.user_name, a.detail["request_id"]) for a in audit] == [("王秘书", request_id)]

    await bureau.settled(code)
    async with browser(web_app) as client:
        await _portal_sign_in(client, email)
        page = await client.get(path)
        assert 'id="report-form"' not in page.text and "研发投入明细.pdf" in page.text
        download = await client.get(f"/portal/a/{code}/files/{attached.id}")
        assert download.status_code == 200 and download.content == PDF


async def test_assessment_materials_and_the_rectification_report_are_handed_in_online(
    bureau, web_app
):
    code, email = await _recognised_with_account(bureau)
    term = await bureau.term_state(code)
    await bureau.sleep_until(assessment_opens(term, AssessmentKind.MIDTERM) + timedelta(hours=1))
    await bureau.wait_for_term(code, lambda s: s.assessment(AssessmentKind.MIDTERM) is not None)
    async with browser(web_app) as client:
        await _portal_sign_in(client, email)
        path = f"/portal/a/{code}/assessments/midterm"
        page = await client.get(path)
        assert 'id="assessment-form"' in page.text
        sent = await client.post(
            path,
            data={
                "csrf": csrf_of(page.text),
                "request_id": _request_id(page.text),
                "summary": "联盟运行情况总结：三年完成攻关项目五项",
            },
            files=[("attachments", ("运行总结.pdf", PDF, "application/pdf"))],
        )
        assert sent.status_code == 303
        midterm = (await bureau.term_state(code)).assessment(AssessmentKind.MIDTERM)
        assert midterm is not None and midterm.materials == "联盟运行情况总结：三年完成攻关项目五项"

        result = AssessmentResult(
            request_id=new_id(),
            actor=STAFF,
            kind=AssessmentKind.MIDTERM,
            grade=Grade.POOR,
            opinion="合作项目进展缓慢",
        )
        await bureau.act(code, "record_assessment", result)
        await bureau.wait_for_term(code, lambda s: s.status == TermStatus.RECTIFICATION)
        await bureau.settled(code)

        path = f"/portal/a/{code}/rectification"
        page = await client.get(path)
        assert 'id="rectification-form"' in page.text
        empty = await client.post(
            path,
            data={"csrf": csrf_of(page.text), "request_id": _request_id(page.text), "report": " "},
        )
        assert empty.status_code == 400 and 'id="problems"' in empty.text
        sent = await client.post(
            path,
            data={
                "csrf": csrf_of(page.text),
                "request_id": _request_id(page.text),
                "report": "已调整合作项目计划并落实经费",
            },
        )
        assert sent.status_code == 303
    rectification = (await bureau.term_state(code)).rectification
    assert rectification is not None and rectification.report == "已调整合作项目计划并落实经费"
    assert rectification.report_submitted_at is not None


async def test_a_change_request_is_checked_at_once_and_applied_by_staff(bureau, web_app):
    code, email = await _recognised_with_account(bureau)
    members = (await bureau.term_state(code)).members
    path = f"/portal/a/{code}/changes"

    def rows(kept: list, contact_email: str) -> dict[str, str]:
        form = {}
        for i, m in enumerate(kept):
            form |= {
                f"member_{i}_name": m.name,
                f"member_{i}_kind": m.kind.value,
                f"member_{i}_code": m.credit_code,
                f"member_{i}_role": m.role.value,
                f"member_{i}_task": m.task,
            }
        return form | {"contact_0_name": "李晓梅", "contact_0_email": contact_email}

    async with browser(web_app) as alliance:
        await _portal_sign_in(alliance, email)
        page = await alliance.get(path)
        assert members[2].name in page.text  # the current list, to edit
        without_research = [
            m for m in members if m.kind.value not in ("university", "research_institute")
        ]
        refused = await alliance.post(
            path,
            data={
                "csrf": csrf_of(page.text),
                "request_id": _request_id(page.text),
                "note": "辽宁科技大学等退出",
                **rows(without_research, "not-an-address"),
            },
        )
        assert refused.status_code == 400
        # every problem at once: article 8's composition and the contact's address
        assert "没有大学或科研机构" in refused.text
        assert "电子邮箱“not-an-address”格式不正确" in refused.text
        assert "辽宁科技大学等退出" in refused.text

        kept = [m for m in members if m.kind.value != "testing_body"]
        sent = await alliance.post(
            path,
            data={
                "csrf": csrf_of(page.text),
                "request_id": _request_id(refused.text),
                "note": "检验中心退出联盟；联系人改为李晓梅",
                **rows(kept, "lixiaomei@lianmeng.cn"),
            },
        )
        assert sent.status_code == 303
        assert "待市科技局审核" in (await alliance.get(path)).text

        async with browser(web_app) as staff:
            await sign_in(staff, "staff")
            console = await staff.get(f"/alliances/{code}")
            found = re.search(rf"/alliances/{code}/change-requests/(\d+)", console.text)
            assert found, "the console page lists no pending change request"
            request = await staff.get(found.group(0))
            assert "移除" in request.text and "鞍山市耐火材料产品质量检验中心" in request.text
            applied = await staff.post(
                f"{found.group(0)}/apply", data={"csrf": csrf_of(request.text)}
            )
            assert applied.status_code == 303, applied.text

        state = await bureau.wait_for_term(code, lambda s: len(s.members) == len(kept))
        assert [m.name for m in state.members] == [m.name for m in kept]
        assert [c.email for c in state.contacts] == ["lixiaomei@lianmeng.cn"]
        assert "已审核通过并变更" in (await alliance.get(path)).text
        await bureau.settled(code)
        record = await alliance.get(f"/portal/a/{code}/record")
        assert "成员和联系人变更" in record.text and "予以认定，颁发证书" in record.text
        certificate = await alliance.get(f"/portal/a/{code}/certificate.pdf")
        assert certificate.status_code == 200 and certificate.content.startswith(b"%PDF")


async def test_another_alliances_user_gets_404_by_url_and_by_post(portal):  # noqa: F811
    app, settings, _ = portal
    url = settings.registry_url()
    _account(url, "2026-0001", "a@lianmeng-a.cn", "王秘书")
    async with browser(app) as client:
        await _portal_sign_in(client, "a@lianmeng-a.cn")
        home = await client.get("/portal/a/2026-0001")
        csrf = csrf_of(home.text)
        for path in (
            "/reports/2026",
            "/assessments/midterm",
            "/rectification",
            "/changes",
            "/record",
            "/certificate.pdf",
            "/files/1",
        ):
            answer = await client.get(f"/portal/a/2026-0002{path}")
            assert answer.status_code == 404, path
            assert "钢铁深加工" not in answer.text
        for path in ("/reports/2026", "/assessments/midterm", "/rectification", "/changes"):
            answer = await client.post(
                f"/portal/a/2026-0002{path}",
                data={"csrf": csrf, "summary": "x", "report": "x", "note": "x"},
            )
            assert answer.status_code == 404, path
    with session_scope(url) as db:
        assert (
            db.exec(select(PortalAudit).where(PortalAudit.alliance_code == "2026-0002")).all() == []
        )
