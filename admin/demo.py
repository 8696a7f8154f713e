"""The sample application from submission to certificate in seconds, on simulated time.

The real system waits real working days (a public notice alone takes a week), so the
demo runs the same workflow, activities, registry and SMTP capture on Temporal's
time-skipping test server, with scripted staff decisions, and prints what happened.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from pathlib import Path

from sqlmodel import select
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from admin.procedure_client import act, submit_application, workflow_id_for
from domain.application import Application
from domain.procedure import (
    FINAL_STAGES,
    Actor,
    DistrictReview,
    ExpertReview,
    MeetingDecision,
    PanelMember,
    Recognition,
    ReviewOutcome,
    Role,
)
from domain.settings import Settings
from domain.shanghai_time import SHANGHAI, local_date
from notifications.capture_server import MailCapture
from registry.calendar_store import load_year_file, loaded_years, seed_from_package
from registry.database import session_scope, upgrade_schema
from registry.tables import Document
from worker import build_worker
from workflows.recognition import RecognitionWorkflow

SEARCH_ATTRIBUTE_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}


def request_id() -> str:
    return uuid.uuid4().hex


def recommendation(application: Application) -> DistrictReview:
    return DistrictReview(
        request_id=request_id(),
        actor=Actor(name="王审查", role=Role.DISTRICT_REVIEWER, district=application.district),
        outcome=ReviewOutcome.RECOMMEND,
    )


def expert_review(passed: bool = True) -> ExpertReview:
    return ExpertReview(
        request_id=request_id(),
        actor=Actor(name="赵组织", role=Role.EXPERT_ORGANISER),
        organisation="辽宁省科技咨询评估中心",
        panel=[
            PanelMember(name="张教授", affiliation="辽宁科技大学", score=88),
            PanelMember(name="刘研究员", affiliation="鞍钢集团研究院", score=85),
            PanelMember(name="陈高工", affiliation="鞍山市质检院", score=90),
        ],
        necessity_opinion="联盟围绕产业共性关键技术开展合作，组建必要。",
        feasibility_opinion="成员分工明确，经费保障到位，组建可行。",
        passed=passed,
    )


def meeting_decision(on: datetime, approved: bool = True) -> MeetingDecision:
    return MeetingDecision(
        request_id=request_id(),
        actor=Actor(name="李记录", role=Role.DIRECTOR_CLERK),
        meeting_number=f"{on.year}年第12次",
        meeting_date=local_date(on),
        approved=approved,
        reasons="" if approved else "产业方向与我市规划不符",
    )


async def register_search_attributes(client: Client, attributes: dict[str, str]) -> None:
    """Register custom search attributes on a server that, like the test server, lacks them."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={n: SEARCH_ATTRIBUTE_TYPES[t] for n, t in attributes.items()},
        )
    )


def test_server_path() -> str:
    return str(Path(sys.executable).parent / "temporal-test-server")


class DemoStopped(Exception):
    """The demo could not reach a certificate; the message says why."""


@dataclass
class DemoResult:
    recognition: Recognition
    certificate_path: Path
    timeline: list[str]


async def run_demo(
    application: Application,
    settings: Settings,
    holiday_files: list[Path] = (),
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Drive `application` through article 9 and write its certificate to data_dir."""
    from local_stack import SEARCH_ATTRIBUTES

    url = settings.registry_url()
    upgrade_schema(url)
    if not loaded_years(url):
        seed_from_package(url)
    for path in holiday_files:
        load_year_file(url, path)
    mail = MailCapture(settings.data_dir / "mail", settings.smtp_host, settings.smtp_port)
    mail.start()
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=test_server_path()
    )
    try:
        await register_search_attributes(env.client, SEARCH_ATTRIBUTES)
        async with build_worker(env.client, settings):
            return await _drive(env, application, settings, mail, say)
    finally:
        await env.shutdown()
        mail.stop()


async def _drive(env, application, settings, mail, say) -> DemoResult:
    client = env.client
    code = application.alliance_code()

    async def step(text: str) -> None:
        now = (await env.get_current_time()).astimezone(SHANGHAI)
        say(f"{now:%Y-%m-%d %H:%M}  {text}")

    applicant = Actor(name=application.lead_unit, role=Role.APPLICANT)
    procedure = await submit_application(client, settings, application, applicant)
    await step(f"提交申请 submitted: {application.alliance_name} ({workflow_id_for(code)})")
    await env.sleep(timedelta(days=2))
    await act(client, code, "district_review", recommendation(application))
    await step("县区审查推荐 district review: recommended")
    await env.sleep(timedelta(days=7))
    await act(client, code, "expert_review", expert_review())
    await step("专家评审 expert review: passed (average 87.67)")
    await env.sleep(timedelta(days=5))
    await act(client, code, "meeting_decision", meeting_decision(await env.get_current_time()))
    await step("局长办公会 director's office meeting: approved")

    handle = client.get_workflow_handle_for(
        RecognitionWorkflow.run, procedure.id, run_id=procedure.result_run_id
    )
    for _ in range(4 * 60):  # six-hour steps through the five-working-day notice, at most 60 days
        state = await handle.query(RecognitionWorkflow.state)
        if state.stage in FINAL_STAGES:
            break
        if state.missing_calendar_year:
            raise DemoStopped(
                f"{state.missing_calendar_year}年节假日安排未载入，公示无法计算；"
                f"请用 --holidays 文件提供该年安排 (the {state.missing_calendar_year} holiday"
                " schedule is not loaded: give it with --holidays FILE)"
            )
        await env.sleep(timedelta(hours=6))
    state = await handle.query(RecognitionWorkflow.state)
    if state.recognition is None:
        raise DemoStopped(f"the procedure did not finish: it is at {state.stage.value}")
    await step(f"公示 public notice {state.notice.start} – {state.notice.end}: 无异议 no objection")
    recognition = state.recognition
    await step(f"予以认定 recognised: certificate {recognition.certificate_serial}")

    with session_scope(settings.registry_url()) as session:
        document = session.exec(
            select(Document).where(Document.id == recognition.certificate_document_id)
        ).one()
    certificate_path = settings.data_dir / document.filename
    certificate_path.write_bytes(document.content)
    timeline = _mail_timeline(settings.data_dir / "mail")
    return DemoResult(recognition=recognition, certificate_path=certificate_path, timeline=timeline)


def _mail_timeline(folder: Path) -> list[str]:
    lines = []
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        subject = str(make_header(decode_header(message["Subject"])))
        lines.append(f"{message['To']}  {subject}")
    return lines


def main(application: Application, settings: Settings, holiday_files: list[Path]) -> DemoResult:
    result = asyncio.run(run_demo(application, settings, holiday_files))
    print("\n邮件 emails sent (captured in", settings.data_dir / "mail", "):")
    for line in result.timeline:
        print("  " + line)
    print(f"\n证书 certificate PDF: {result.certificate_path}")
    return result
