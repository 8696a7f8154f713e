"""Staff enter an application with its article-10 files; a refused one stores nothing."""

from __future__ import annotations

from sqlmodel import func, select

from registry.database import session_scope
from registry.tables import Alliance, UploadedFile
from tests.support.temporal import sample_application
from tests.web.conftest import csrf_of

PDF = ("x.pdf", b"%PDF-1.4 sample material", "application/pdf")


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


async def test_an_application_entered_with_its_files_opens_the_procedure(bureau, as_user):
    staff = await as_user("staff")
    app = sample_application()
    data, files = _form(app, csrf_of((await staff.get("/applications/new")).text))
    response = await staff.post("/applications", data=data, files=files)
    assert response.status_code == 303, response.text
    code = bureau.code_of(app)  # 联盟编号, assigned by the registry on submission
    assert response.headers["location"].startswith(f"/alliances/{code}?")
    await bureau.settled(code)  # the registry records the submission after the answer
    state = await bureau.state(code)
    assert {m.kind.value for m in state.application.materials} >= {"agreement", "licence_copy"}
    url = bureau.settings.registry_url()
    assert _count(url, UploadedFile) == len(files)
    page = await staff.get(f"/alliances/{code}")
    assert "agreement.pdf" in page.text
    licence = state.application.materials[-1]
    download = await staff.get(f"/materials/{licence.sha256}")
    assert download.status_code == 200 and download.content.startswith(b"licence")


async def test_a_refused_application_lists_every_problem_and_stores_nothing(bureau, as_user):
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
