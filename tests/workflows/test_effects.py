"""Staff actions never wait on a fault; an effect that can never succeed becomes an incident."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowExecutionStatus

from client.alliances import ProcedureActionFailed, pending_attempt
from domain.effects import EffectKind, IncidentRetry, IncidentStatus
from domain.procedure import Actor, Role, Stage, Withdrawal
from registry.database import session_scope
from registry.tables import AuditEntry, EmailMessage
from tests.support.temporal import (
    body_of,
    new_id,
    recommendation,
    sample_application,
    subject_of,
)


def _retry(number: int, role: Role = Role.BUREAU_STAFF) -> IncidentRetry:
    return IncidentRetry(
        request_id=new_id(), actor=Actor(name="钱职员", role=role), incident_no=number
    )


async def _status(bureau, code: str) -> WorkflowExecutionStatus:
    # The raw description: the time-skipping server's unset Datetime attributes trip describe()
    raw = await bureau.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=bureau.client.namespace,
            execution=WorkflowExecution(workflow_id=f"alliance-{code}"),
        )
    )
    return WorkflowExecutionStatus(raw.workflow_execution_info.status)


def _email(bureau, key_part: str) -> EmailMessage:
    with session_scope(bureau.settings.registry_url()) as session:
        rows = session.exec(select(EmailMessage)).all()
    return next(r for r in rows if key_part in r.key)


async def test_a_staff_action_answers_while_smtp_is_down_and_mail_follows_once_it_is_back(
    bureau,
):
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.wait_for_mail("action_requested")
    bureau.smtp.stop()

    result = await bureau.act(code, "district_review", recommendation(app))

    # It answered with the mail server still down: its email waits in the outbox.
    assert result.stage == Stage.EXPERT_REVIEW
    assert bureau.mails("progress") == []
    pending = (await bureau.settled(code, seconds=1)).pending
    assert EffectKind.SEND_NOTICE in [e.kind for e in pending]
    # What `alliance-admin show` and the alliance page print: the retried send's error.
    attempt = None
    for _ in range(100):
        attempt = await pending_attempt(bureau.client, code)
        if attempt is not None:
            break
        await asyncio.sleep(0.05)
    assert attempt is not None and "connect" in attempt[1].lower()

    bureau.smtp.start()
    progress = await bureau.wait_for_mail("progress", seconds=60)
    assert len(progress) == 1
    outbox = await bureau.settled(code, seconds=60)
    assert outbox.pending == [] and outbox.incidents == []
    with session_scope(bureau.settings.registry_url()) as session:
        actions = session.exec(
            select(AuditEntry.action).where(AuditEntry.alliance_code == code)
        ).all()
    assert "district_review.recommend" in actions


async def test_every_recipient_refused_becomes_an_incident_and_the_procedure_goes_on(bureau):
    app = sample_application()
    bureau.smtp.refuse(*app.recipient_emails())
    code = await bureau.submit(app)

    alert = await bureau.wait_for_mail("incident")
    outbox = await bureau.settled(code)
    [incident] = outbox.incidents
    assert incident.status == IncidentStatus.OPEN
    assert incident.effect.notice.purpose == "application_received"
    assert "550" in incident.error
    assert alert[0]["To"] == ", ".join(bureau.settings.staff_emails)
    assert "故障1" in subject_of(alert[0])
    assert "550" in body_of(alert[0]) and "alliance-admin incidents retry" in body_of(alert[0])
    assert _email(bureau, ":application_received:").status == "failed"

    # The district review is asked for and acts as usual.
    await bureau.wait_for_mail("action_requested")
    result = await bureau.act(code, "district_review", recommendation(app))
    assert result.stage == Stage.EXPERT_REVIEW

    # Staff correct the mailbox (here: the relay accepts again) and re-queue the receipt.
    bureau.smtp.refused.clear()
    queued = await bureau.act(code, "retry_incident", _retry(incident.number))
    assert queued >= 1
    receipts = await bureau.wait_for_mail("application_received")
    assert len(receipts) == 1
    outbox = await bureau.settled(code)
    assert outbox.incidents[0].status == IncidentStatus.RETRIED
    assert outbox.incidents[0].retried_by == "钱职员"
    assert outbox.open_incidents() == []
    assert _email(bureau, ":application_received:").status == "sent"
    # Incidents alert once: the retried receipt raised no second alert.
    assert len(bureau.mails("incident")) == 1


async def test_one_refused_contact_is_partly_failed_and_a_retry_reaches_only_that_contact(bureau):
    app = sample_application()
    refused, accepted = app.recipient_emails()[0], app.recipient_emails()[1]
    bureau.smtp.refuse(refused)
    code = await bureau.submit(app)

    await bureau.wait_for_mail("incident")
    row = _email(bureau, ":application_received:")
    assert row.status == "partly_failed"
    assert list(row.refused) == [refused] and "550" in row.refused[refused]
    assert len(bureau.smtp.to(accepted)) == 1

    bureau.smtp.refused.clear()
    [incident] = (await bureau.settled(code)).incidents
    await bureau.act(code, "retry_incident", _retry(incident.number))
    await bureau.settled(code)
    receipts = bureau.mails("application_received")
    assert len(receipts) == 2
    assert [m.rcpt_tos for m in receipts] == [[accepted], [refused]]
    assert receipts[0]["Message-ID"] == receipts[1]["Message-ID"]
    assert _email(bureau, ":application_received:").status == "sent"


@pytest.mark.parametrize(
    ("number", "role", "message"),
    [
        (7, Role.BUREAU_STAFF, "没有编号为 7 的故障"),
        (1, Role.DISTRICT_REVIEWER, "无权进行此操作"),
    ],
)
async def test_retrying_an_unknown_incident_or_without_the_role_is_refused(
    bureau, number, role, message
):
    app = sample_application()
    bureau.smtp.refuse(*app.recipient_emails())
    code = await bureau.submit(app)
    await bureau.wait_for_mail("incident")

    with pytest.raises(ProcedureActionFailed, match=message):
        await bureau.act(code, "retry_incident", _retry(number, role))
    outbox = await bureau.settled(code)
    assert [i.status for i in outbox.incidents] == [IncidentStatus.OPEN]


async def test_an_ended_procedure_waits_for_its_incident_to_be_retried(bureau):
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.wait_for_mail("application_received")
    bureau.smtp.refuse(*app.recipient_emails())
    applicant = Actor(name=app.lead_unit, role=Role.APPLICANT)
    await bureau.act(
        code, "withdraw", Withdrawal(request_id=new_id(), actor=applicant, reason="联盟调整")
    )
    await bureau.wait_for_mail("incident")

    # Withdrawn, yet still open: the refused notice can be sent once the mailbox works.
    assert await _status(bureau, code) == WorkflowExecutionStatus.RUNNING
    bureau.smtp.refused.clear()
    [incident] = (await bureau.settled(code)).incidents
    await bureau.act(code, "retry_incident", _retry(incident.number))

    assert await bureau.handle(code).result() is not None
    withdrawn = bureau.mails("withdrawn")
    assert app.recipient_emails()[0] in withdrawn[-1].rcpt_tos
    assert await _status(bureau, code) == WorkflowExecutionStatus.COMPLETED
