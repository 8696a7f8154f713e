"""Every entry point, fed random unicode, huge strings and wrong types: a clear refusal naming
the field, or a record that is stored (or parsed) and reads back the same. Never a traceback.

The entry points reachable without a worker: the application file loader, `parse_application`,
the article-13 CSV import, the holiday-file loader, the action models the update validators
receive, and the web forms (with Temporal unreachable, so an input that passes the door shows
the "cannot reach Temporal" page instead of being filed).
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from sqlmodel import func, select
from temporalio.contrib.pydantic import pydantic_data_converter

from admin.provincial_import import import_provincial_csv, term_state_for
from domain.application import Application
from domain.application_file import load_application_file
from domain.eligibility import ApplicationInvalid, parse_application
from domain.input_rules import APPLICATION_PAYLOAD_MAX, refusals
from domain.material_files import MaterialUpload
from domain.procedure import (
    Actor,
    ApprovalDocument,
    DistrictReview,
    ExpertReview,
    MeetingDecision,
    ObjectionFiling,
    ObjectionResolution,
    PanelMember,
    Resubmission,
    ReviewOutcome,
    Role,
    Withdrawal,
)
from domain.settings import PROJECT_ROOT, Settings
from domain.shanghai_time import SHANGHAI
from domain.term import (
    AnnualReportReview,
    AnnualReportSubmission,
    AssessmentKind,
    AssessmentMaterials,
    AssessmentResult,
    Grade,
    MembershipChange,
    PlaqueHandover,
    RectificationExtension,
    RectificationRecheck,
    RectificationReport,
    Revocation,
    TermExtension,
)
from registry.calendar_store import CalendarFileInvalid, load_calendar, load_year_file
from registry.database import session_scope
from registry.staff_accounts import create_user
from registry.tables import Alliance, PublicNoticeRow, UploadedFile
from tests.domain.test_term_schedule import statistics
from tests.test_provincial_import import good_row, write_csv
from tests.test_unreachable import closed_port
from tests.web.test_new_application import _form as application_form
from web.app import create_app
from web.application_form import checked_application
from web.public_queries import ObjectionForm

SAMPLE_FILE = PROJECT_ROOT / "samples" / "application-sample.yaml"
SAMPLE = yaml.safe_load(SAMPLE_FILE.read_text(encoding="utf-8"))
TEMPORAL_BLOB_MAX = 2 * 1024 * 1024  # Temporal's default limit on one payload
A_FEW = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ---- what people (and programs) type


def _inserted(chars: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Ordinary text with one awkward character somewhere in it."""
    return st.tuples(st.text(max_size=8), chars, st.text(max_size=8)).map("".join)


AWKWARD = st.sampled_from(
    ["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u200b", "\u200d", "\u202e", "\u2066"]
    + ["\ufeff", "\u2028", "e\u0301", "\u212b", "\ufffd", "𝓐", "🧪"]
)
HUGE = st.builds(
    lambda char, n: char * n,
    st.sampled_from(["x", "长", "\x00", "e\u0301"]),
    st.sampled_from([51, 65, 101, 255, 5_001, 300_000]),
)
# What a clerk types: letters, digits, punctuation and spaces, any script.
PLAIN = st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=30)
# Plain text twice over, so about half the inputs are acceptable and get stored.
TEXT = st.one_of(PLAIN, PLAIN, st.text(max_size=30), _inserted(AWKWARD), HUGE)
# JSON and pydantic can carry what a UTF-8 file or form cannot: unpaired surrogates.
TEXT_WITH_SURROGATES = st.one_of(TEXT, _inserted(st.characters(categories=["Cs"])))
WRONG_TYPE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
ANY_VALUE = st.one_of(TEXT_WITH_SURROGATES, WRONG_TYPE)


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into `data`: its leaves, and the lists and mappings holding them."""
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _paths(v, (*prefix, k))] + [prefix]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _paths(v, (*prefix, i))] + [prefix]
    return [prefix]


def _text_paths(data: Any) -> list[tuple]:
    """The paths to free text: not codes, choices or addresses, which plain text rarely fits."""
    coded = {"credit_code", "sha256", "member_credit_code", "email", "kind", "role", "district"}
    return [
        p
        for p in _paths(data)
        if p
        and isinstance(_at(data, p), str)
        and p[-1] not in coded
        and p[-1] != "lead_unit"
        and p != ("members", 0, "name")  # the lead unit's name, matched by lead_unit
    ]


def _at(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data


def _replaced(data: Any, path: tuple, value: Any) -> Any:
    """`data` with the value at `path` replaced; unchanged if an earlier change removed it."""
    if not path:
        return value
    changed = copy.deepcopy(data)
    target = changed
    try:
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        return data
    return changed


@st.composite
def changed(draw, data: Any) -> Any:
    """`data` with one to three of its parts replaced: mostly a text field by text,
    sometimes any field, list or mapping by anything at all."""
    text_paths, all_paths = _text_paths(data), [p for p in _paths(data) if p]
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        if draw(st.integers(0, 3)):
            path, value = draw(st.sampled_from(text_paths)), draw(TEXT_WITH_SURROGATES)
        else:
            path, value = draw(st.sampled_from(all_paths)), draw(ANY_VALUE)
        data = _replaced(data, path, value)
    return data


def assert_clear(refusal_fields: list[tuple[str, str, str]]) -> None:
    """Each refusal names a field and says what is wrong in both languages, briefly."""
    assert refusal_fields
    for field, zh, en in refusal_fields:
        assert field and zh and en
        assert len(zh) < 2_000 and len(en) < 2_000  # a huge input is never echoed back


def assert_fits_temporal(record: BaseModel) -> None:
    """What would be sent to Temporal encodes, fits one payload and decodes to the same."""
    converter = pydantic_data_converter.payload_converter
    [payload] = converter.to_payloads([record])
    assert len(payload.data) < TEMPORAL_BLOB_MAX
    assert converter.from_payloads([payload], [type(record)]) == [record]


def refused_or_read_whole(read: Callable[[], Application]) -> None:
    """`read()` refuses the application clearly, or returns one that reads back the same."""
    try:
        outcome = read()
    except ApplicationInvalid as invalid:
        assert_clear([(p.field, p.zh, p.en) for p in invalid.problems])
        event("refused")
    else:
        assert_fits_temporal(outcome)
        assert len(outcome.model_dump_json().encode()) <= APPLICATION_PAYLOAD_MAX
        assert parse_application(outcome.model_dump(mode="json")) == outcome
        event("accepted")


# ---- the application: file loader and parse_application


@A_FEW
@given(data=changed(SAMPLE), as_json=st.booleans())
def test_application_file_is_refused_clearly_or_read_whole(tmp_path, data, as_json):
    path = tmp_path / ("application.json" if as_json else "application.yaml")
    if as_json:
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=False), encoding="utf-8")
    refused_or_read_whole(lambda: load_application_file(path))


@settings(max_examples=100, deadline=None)
@given(data=st.one_of(changed(SAMPLE), ANY_VALUE, st.dictionaries(st.text(max_size=20), ANY_VALUE)))
def test_any_data_is_refused_clearly_or_parsed_whole(data):
    refused_or_read_whole(lambda: parse_application(data))


# ---- the action models the update validators receive

STAFF = Actor(name="钱职员", role=Role.BUREAU_STAFF)
APPLICANT = Actor(name="鞍山菱镁新材料科技有限公司", role=Role.APPLICANT)
APPLICATION = Application.model_validate(SAMPLE)
ACTIONS: list[BaseModel] = [
    DistrictReview(request_id="r", actor=STAFF, outcome=ReviewOutcome.RETURN, reasons="补正"),
    Resubmission(request_id="r", actor=APPLICANT, application=APPLICATION, note="已补正"),
    ExpertReview(
        request_id="r",
        actor=STAFF,
        organisation="鞍山市科技评估中心",
        panel=[PanelMember(name=f"专家{i}", affiliation="大学", score=85) for i in range(3)],
        necessity_opinion="必要",
        feasibility_opinion="可行",
        passed=True,
    ),
    MeetingDecision(
        request_id="r",
        actor=STAFF,
        meeting_number="2026年第12次",
        meeting_date=date(2026, 9, 1),
        approved=True,
        notice_start=date(2026, 9, 3),
    ),
    ObjectionFiling(request_id="r", name="孙实名", contact="sun@example.com", text="异议"),
    ObjectionResolution(request_id="r", actor=STAFF, objection_no=1, upheld=False, reason="不成立"),
    ApprovalDocument(
        request_id="r",
        actor=STAFF,
        document_number="鞍科批〔2026〕7号",
        document_date=date(2026, 9, 14),
    ),
    Withdrawal(request_id="r", actor=APPLICANT, reason="撤回"),
    AnnualReportSubmission(
        request_id="r",
        actor=APPLICANT,
        year=2027,
        summary="总结",
        next_year_plan="计划",
        statistics=statistics(),
    ),
    AnnualReportReview(request_id="r", actor=STAFF, year=2027, accepted=False, reasons="退回"),
    AssessmentMaterials(
        request_id="r", actor=APPLICANT, kind=AssessmentKind.MIDTERM, summary="材料"
    ),
    AssessmentResult(
        request_id="r", actor=STAFF, kind=AssessmentKind.FINAL, grade=Grade.GOOD, opinion="良好"
    ),
    RectificationReport(request_id="r", actor=APPLICANT, report="整改"),
    RectificationRecheck(request_id="r", actor=STAFF, passed=True, reason="通过"),
    RectificationExtension(request_id="r", actor=STAFF, days=30, reason="延期"),
    Revocation(request_id="r", actor=STAFF, ground="dissolved", reason="取消"),
    TermExtension(request_id="r", actor=STAFF, until=date(2032, 3, 31), reason="延期"),
    PlaqueHandover(
        request_id="r", actor=STAFF, handed_over_on=date(2026, 9, 20), received_by="张秘书长"
    ),
    MembershipChange(
        request_id="r", actor=APPLICANT, members=APPLICATION.members, contacts=APPLICATION.contacts
    ),
]


@st.composite
def actions(draw) -> tuple[type[BaseModel], Any]:
    """A valid action as JSON, with some of its fields (or their parts) replaced."""
    example = draw(st.sampled_from(ACTIONS))
    return type(example), draw(changed(example.model_dump(mode="json")))


@settings(max_examples=150, deadline=None)
@given(action=actions())
def test_action_is_refused_clearly_or_fits_one_temporal_payload(action):
    model, data = action
    try:
        outcome = model.model_validate(data)
    except ValidationError as invalid:
        assert_clear([tuple(r) for r in refusals(invalid)])
        event("refused")
    else:
        assert_fits_temporal(outcome)
        event("accepted")


# ---- the article-13 CSV import

ROWS = itertools.count(1)
# a cell over 128 KiB stops Python's CSV reader: the whole file is refused, not the row
CSV_TEXT = TEXT.filter(lambda text: len(text) < 100_000)


@A_FEW
@given(column=st.sampled_from(list(good_row(1))), value=CSV_TEXT)
def test_csv_row_is_refused_clearly_or_stored_and_ready_for_its_term(
    registry_url, tmp_path, column, value
):
    number = next(ROWS)
    path = write_csv(tmp_path / "provincial.csv", [good_row(number, **{column: value})])

    report = import_provincial_csv(registry_url, path)

    # a bare CR ends a CSV record, so one written row may come back as two refused lines
    assert report.rejected or report.alliances
    for _, reason in report.rejected:
        assert reason.endswith(")") and len(reason) < 5_000
    event("refused" if report.rejected else "stored")
    for alliance in report.alliances:
        with session_scope(registry_url) as session:
            stored = session.get(Alliance, alliance.code)
            assert stored is not None and stored.name == alliance.name
        assert_fits_temporal(term_state_for(alliance, datetime.now(UTC)))


# ---- the holiday-file loader

DAY = st.dates(min_value=date(2026, 12, 1), max_value=date(2028, 1, 31))
IN_2027 = st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 12, 20))
GOOD_ENTRY = st.one_of(
    IN_2027.map(date.isoformat),
    st.builds(lambda d, n: f"{d}..{d + timedelta(days=n)}", IN_2027, st.integers(0, 9)),
)
BAD_ENTRY = st.one_of(
    DAY.map(date.isoformat),
    st.builds(lambda d: f"{d}..{d - timedelta(days=2)}", IN_2027),
    st.just("2027-02-30"),
    TEXT,
    WRONG_TYPE,
)


@st.composite
def holiday_files(draw) -> dict[str, Any]:
    """A plausible 2027 schedule, or one with a single thing wrong in it."""
    content: dict[str, Any] = {
        "year": 2027,
        "holidays": draw(st.lists(GOOD_ENTRY, min_size=1, max_size=6)),
        "source": draw(PLAIN.filter(str.strip)),
    }
    fault = draw(st.sampled_from(["none", "none", "year", "entry", "workday", "source", "key"]))
    if fault == "year":
        content["year"] = draw(st.sampled_from([1999, 2101, 10**6, "2027", None, 2027.5]))
    elif fault == "entry":
        content["holidays"].insert(draw(st.integers(0, 6)), draw(BAD_ENTRY))
    elif fault == "workday":
        content["workdays"] = draw(st.lists(st.one_of(GOOD_ENTRY, BAD_ENTRY), max_size=3))
    elif fault == "source":
        content["source"] = draw(st.one_of(TEXT, WRONG_TYPE))
    elif fault == "key":
        content[draw(st.text(max_size=10))] = draw(ANY_VALUE)
    return content


@A_FEW
@given(content=holiday_files(), as_json=st.booleans())
def test_holiday_file_is_refused_clearly_or_stored_whole(registry_url, tmp_path, content, as_json):
    path = tmp_path / ("holidays.json" if as_json else "holidays.yaml")
    if as_json:
        path.write_text(json.dumps(content, default=str), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(content, allow_unicode=False), encoding="utf-8")
    try:
        year = load_year_file(registry_url, path)
    except CalendarFileInvalid as invalid:
        assert invalid.problems
        assert all(" (" in p and len(p) < 2_000 for p in invalid.problems), invalid.problems
        event("refused")
    else:
        event("stored")
        calendar = load_calendar(registry_url, [year])
        first = date(year, 1, 1)
        days = [first.replace(month=m, day=d) for m in range(1, 13) for d in (1, 15, 28)]
        assert calendar.loaded_years == {year}
        assert all(isinstance(calendar.is_workday(day), bool) for day in days)


# ---- the web forms, with Temporal unreachable: an input past the door gets the 503 page

NOTICE_CODE = "91210300PUEWHWT8W1"
TODAY = datetime(2026, 9, 8, 10, tzinfo=SHANGHAI)
WEB_TEXT = TEXT.filter(lambda text: len(text) < 10_000)


@pytest.fixture
def web(sqlite_url, tmp_path):
    """The console on a registry with one open notice; Temporal at a closed port."""
    settings_ = Settings(
        data_dir=tmp_path,
        database_url=sqlite_url,
        temporal_address=f"127.0.0.1:{closed_port()}",
        objections_per_hour=100_000,
        session_secret="x" * 32,
    )
    now = datetime.now(UTC)
    with session_scope(sqlite_url) as session:
        session.add(
            Alliance(
                code=NOTICE_CODE,
                name="鞍山市菱镁新材料产业技术创新战略联盟",
                district="high_tech_zone",
                status="public_notice",
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        session.add(
            PublicNoticeRow(
                alliance_code=NOTICE_CODE,
                start_date=date(2026, 9, 7),
                end_date=date(2026, 9, 11),
                published_at=now,
            )
        )
    create_user(sqlite_url, "staff", "钱职员", "correct-horse-battery", Role.BUREAU_STAFF)
    app = create_app(settings_)
    app.state.clock = lambda: TODAY
    with TestClient(app) as client:
        yield client, sqlite_url


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, path
    return found.group(1)


@A_FEW
@given(
    fields=st.fixed_dictionaries(
        {"name": WEB_TEXT, "organisation": WEB_TEXT, "contact": WEB_TEXT, "text": WEB_TEXT}
    )
)
def test_objection_form_is_refused_at_the_door_or_goes_on_to_temporal(web, fields):
    client, _ = web
    csrf = _csrf(client, f"/notices/{NOTICE_CODE}")

    response = client.post(f"/notices/{NOTICE_CODE}/objections", data={**fields, "csrf": csrf})

    refusal = ObjectionForm(**fields).stripped().refusal()
    if refusal is not None:
        assert response.status_code == 400
        assert refusal[0] in response.text
        event("refused at the door")
    else:
        event("on to Temporal")
        assert response.status_code == 503, response.text
        assert "无法连接 Temporal 服务" in response.text


FORM_FIELDS = [
    "alliance_name",
    "industry_field",
    "lead_unit",
    "innovation_goals",
    "operating_funds_wan",
    "management_rule",
    "early_results",
    "executive_person",
    "member_0_name",
    "member_1_code",
    "member_2_task",
    "contact_0_name",
    "contact_0_email",
]


@A_FEW
@given(field=st.sampled_from(FORM_FIELDS), value=WEB_TEXT)
def test_application_form_is_refused_at_the_door_or_goes_on_to_temporal(web, field, value):
    client, url = web
    client.post(
        "/login",
        data={
            "username": "staff",
            "password": "correct-horse-battery",
            "csrf": _csrf(client, "/login"),
        },
    )
    data, files = application_form(APPLICATION, _csrf(client, "/applications/new"))
    data[field] = value
    stored_before = _uploads(url)

    response = client.post("/applications", data=data, files=files)

    uploads = {
        k: MaterialUpload(k, name, kind, content) for k, (name, content, kind) in files.items()
    }
    try:
        checked_application(data, uploads, max_mb=20)
    except ApplicationInvalid:
        assert response.status_code == 400, response.text
        assert "申请未通过形式审查" in response.text
        assert _uploads(url) == stored_before
        event("refused at the door")
    else:
        event("on to Temporal")
        assert response.status_code == 503, response.text
        assert "无法连接 Temporal 服务" in response.text


def _uploads(url: str) -> int:
    with session_scope(url) as session:
        return session.exec(select(func.count()).select_from(UploadedFile)).one()


# ---- refused before Temporal is reached


@pytest.mark.parametrize(
    ("name", "zh"),
    [
        pytest.param("鞍山\x00联盟", "联盟名称第3个字符是空字符（U+0000）", id="nul"),
        pytest.param(
            "联" * 300_000, "联盟名称不能超过100个字符（现有300000个）", id="300000-chars"
        ),
    ],
)
def test_submit_refuses_a_bad_name_before_connecting_to_temporal(tmp_path, name, zh):
    path = tmp_path / "application.yaml"
    path.write_text(
        yaml.safe_dump({**SAMPLE, "alliance_name": name}, allow_unicode=True), encoding="utf-8"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_")}
    environment |= {
        "ALLIANCE_DATA_DIR": str(tmp_path),
        "ALLIANCE_TEMPORAL_ADDRESS": f"127.0.0.1:{closed_port()}",
        "COLUMNS": "400",
    }

    done = subprocess.run(
        [sys.executable, "starter.py", "submit", str(path)],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1
    assert "未执行，未保存任何内容" in done.stdout
    assert zh in done.stdout
    assert "alliance_name" in done.stdout
    assert "Temporal" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "registry.db").exists()  # nothing stored, not even the schema
