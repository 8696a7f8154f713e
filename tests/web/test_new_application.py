"""Staff enter an application with its article-10 files: blank rows are ignored, a refused
one registers nothing but keeps its files for the corrected form, and the page after
submitting waits for the registry before it opens the alliance."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
from sqlmodel import func, select

from registry.database import session_scope
from registry.tables import Alliance, DraftUpload, UploadedFile
from tests.support.temporal import sample_application
from tests.web.conftest import csrf_of


def _form(app, csrf: str) -> tuple[dict, dict]:
    data = {
        "csrf": csrf,
        "alliance_name": app.alliance_name,
        "industry_field": app.industry_field,
        "industry_sector": app.industry_sector,
        "district": app.district.value,
        "lead_unit": app.lead_unit,
        "established_on": app.established_on.isoformat() if app.established_on else "",
        "establishment_basis": app.establishment_basis,
        "institute_advanced_level": app.institute_advanced_level,
        "agreement_complies": "on",
        "innovation_goals": app.innovation_goals,
        "operating_funds_wan": str(app.funding.operating_funds_wan),
        "project_funds_wan": str(app.funding.project_funds_wan),
        "management_rule": app.funding.management_rule,
        "early_results": app.early_results,
        "executive_full_time": "on",
    }
    for key in ("decision", "executive", "advisory"):
        body = getattr(app.bodies, key)
        data[f"{key}_name"], data[f"{key}_person"] = body.name, body.responsible_person
    files = {}
    for i, member in enumerate(app.members):
        data |= {
            f"member_{i}_name": member.name,
            f"member_{i}_kind": member.kind.value,
            f"member_{i}_code": member.credit_code,
            f"member_{i}_role": member.role.value,
            f"member_{i}_task": member.task,
        }
        files[f"licence_{i}"] = (f"licence-{i}.pdf", f"licence {i}".encode(), "application/pdf")
    for i, contact in enumerate(app.contacts):
        data |= {f"contact_{i}_name": contact.name, f"contact_{i}_email": contact.email}
    for kind in ("agreement", "application_form", "necessity_statement"):
        files[kind] = (f"{kind}.pdf", f"{kind} text".encode(), "application/pdf")
    return data, files


def _count(url: str, table) -> int:
    with session_scope(url) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def _blank_member_rows(data: dict, rows: range) -> None:
    """Rows left empty, as a browser sends them: the role dropdown always has a value."""
    for i in rows:
        data |= {f"member_{i}_{k}": "" for k in ("name", "kind", "code", "task")}
        data[f"member_{i}_role"] = "member"


async def _alliance_page_after(client: httpx.AsyncClient, submitted: httpx.Response) -> str:
    """Follow the page shown after submitting (it refreshes itself) until it opens the
    alliance's page; returns that page's address."""
    assert submitted.status_code == 303, submitted.text
    deadline = time.monotonic() + 15
    while True:
        waiting = await client.get(submitted.headers["location"])
        if waiting.status_code == 303:
            return waiting.headers["location"]
        assert waiting.status_code == 200 and "正在登记" in waiting.text, waiting.text
        assert time.monotonic() < deadline, "the alliance was never recorded"
        await asyncio.sleep(0.1)


async def test_an_application_entered_with_its_files_opens_the_procedure(bureau, as_user):
    staff = await as_user("staff")
    app = sample_application()
    data, files = _form(app, csrf_of((await staff.get("/applications/new")).text))
    response = await staff.post("/applications", data=data, files=files)
    code = bureau.code_of(app)  # 联盟编号, assigned by the registry on submission
    assert response.headers["location"] == f"/applications/{code}/registering"
    opened = await _alliance_page_after(staff, response)
    assert opened == f"/alliances/{code}?done=submitted"
    page = await staff.get(opened)
    assert page.status_code == 200 and "已受理" in page.text
    assert "agreement.pdf" in page.text
    state = await bureau.state(code)
    assert {m.kind.value for m in state.application.materials} >= {"agreement", "licence_copy"}
    url = bureau.settings.registry_url()
    assert _count(url, UploadedFile) == len(files)
    licence = state.application.materials[-1]
    download = await staff.get(f"/materials/{licence.sha256}")
    assert download.status_code == 200 and download.content.startswith(b"licence")


async def test_three_members_and_five_blank_rows_are_accepted(bureau, as_user):
    staff = await as_user("staff")
    full = sample_application()
    app = full.model_copy(update={"members": full.members[:3]})
    data, files = _form(app, csrf_of((await staff.get("/applications/new")).text))
    _blank_member_rows(data, range(3, 8))
    data |= {"member_6_kind": "enterprise", "member_6_role": "backbone"}  # dropdowns alone
    data |= {"contact_2_name": "", "contact_2_email": "", "contact_2_phone": ""}
    response = await staff.post("/applications", data=data, files=files)
    code = bureau.code_of(app)
    page = await staff.get(await _alliance_page_after(staff, response))
    assert page.status_code == 200
    assert all(member.name in page.text for member in app.members)
    state = await bureau.state(code)
    assert [m.name for m in state.application.members] == [m.name for m in app.members]


async def test_the_page_after_submitting_waits_for_the_registry_then_opens_the_alliance(
    bureau, as_user
):
    staff = await as_user("staff")
    app = sample_application()
    code = bureau.code_of(app)  # assigned on submission; the workflow records it a moment later
    waiting = await staff.get(f"/applications/{code}/registering")
    assert waiting.status_code == 200
    assert "正在登记" in waiting.text and code in waiting.text
    assert '<meta http-equiv="refresh" content="1">' in waiting.text
    assert f"/alliances/{code}" not in waiting.text, "no link to a page not there yet"
    await bureau.submit(app)
    await bureau.settled(code)
    opened = await staff.get(f"/applications/{code}/registering")
    assert opened.status_code == 303
    page = await staff.get(opened.headers["location"])
    assert page.status_code == 200 and app.alliance_name in page.text
    unknown = await staff.get("/applications/2099-9999/registering")
    assert unknown.status_code == 403 and "没有该申请" in unknown.text


async def test_files_of_a_refused_form_are_kept_for_the_corrected_one(bureau, as_user):
    staff = await as_user("staff")
    app = sample_application()
    data, files = _form(app, csrf_of((await staff.get("/applications/new")).text))
    data.pop("executive_full_time")
    refused = await staff.post("/applications", data=data, files=files)
    assert refused.status_code == 400 and "bodies.executive.full_time" in refused.text
    for name, _, _ in files.values():
        assert f"已上传：{name}" in refused.text, name
    url = bureau.settings.registry_url()
    assert _count(url, Alliance) == 0 and _count(url, UploadedFile) == 0, "nothing registered"
    draft = re.search(r'name="draft" value="([^"]+)"', refused.text)
    assert draft, "the re-shown form carries its draft"

    colleague = await as_user("admin")
    form = csrf_of((await colleague.get("/applications/new")).text)
    taken = await colleague.post("/applications", data={**data, "csrf": form, "draft": draft[1]})
    assert taken.status_code == 403, "a draft's files are its author's alone"

    data |= {"executive_full_time": "on", "draft": draft[1], "csrf": csrf_of(refused.text)}
    signed = ("agreement-signed.pdf", b"%PDF-1.4 the signed agreement", "application/pdf")
    accepted = await staff.post("/applications", data=data, files={"agreement": signed})
    page = await staff.get(await _alliance_page_after(staff, accepted))
    assert "agreement-signed.pdf" in page.text and "agreement.pdf" not in page.text
    code = bureau.code_of(app)
    expected = {name: content for name, content, _ in files.values()} | {signed[0]: signed[1]}
    materials = (await bureau.state(code)).application.materials
    assert sorted(m.name for m in materials) == sorted(set(expected) - {"agreement.pdf"})
    for material in materials:
        download = await staff.get(f"/materials/{material.sha256}")
        assert download.content == expected[material.name], material.name
    assert _count(url, UploadedFile) == len(materials), "the replaced file is not kept"
    assert _count(url, DraftUpload) == 0, "a submitted draft holds nothing"


async def test_a_refused_application_lists_every_problem_and_registers_nothing(bureau, as_user):
    staff = await as_user("staff")
    app = sample_application()
    data, files = _form(app, csrf_of((await staff.get("/applications/new")).text))
    data["member_0_code"] = data["member_0_code"][:-1] + "0"
    data.pop("executive_full_time")
    files.pop("application_form")
    files["agreement"] = ("agreement.exe", b"MZ", "application/octet-stream")
    response = await staff.post("/applications", data=data, files=files)
    assert response.status_code == 400
    for expected in (
        "members[0].credit_code",
        "bodies.executive.full_time",
        "联盟申请表",
        "agreement.exe",
    ):
        assert expected in response.text, expected
    assert data["alliance_name"] in response.text, "entered values are kept"
    assert "已上传：agreement.exe" not in response.text, "a refused file is not kept"
    url = bureau.settings.registry_url()
    assert _count(url, UploadedFile) == 0 and _count(url, Alliance) == 0


async def test_a_sector_outside_the_configured_list_and_a_future_founding_are_refused(
    bureau, as_user
):
    staff = await as_user("staff")
    form = (await staff.get("/applications/new")).text
    assert '<option value="区域支柱产业"' in form, "the sectors of article 5 are offered"
    data, files = _form(sample_application(), csrf_of(form))
    data["industry_sector"] = "房地产业"
    data["established_on"] = "2099-01-01"
    response = await staff.post("/applications", data=data, files=files)
    assert response.status_code == 400
    assert "“房地产业”不是本市确定的重点产业（第五条）" in response.text
    assert "联盟成立日期2099-01-01晚于今天" in response.text
    assert _count(bureau.settings.registry_url(), Alliance) == 0


async def test_only_bureau_staff_enter_applications(as_user):
    reviewer = await as_user("gaoxin")
    assert (await reviewer.get("/applications/new")).status_code == 403
