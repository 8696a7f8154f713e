"""The worker keeps its connection to the relay between notices, as far as the setting
allows, and never reuses one that failed or that the relay has closed."""

from __future__ import annotations

import asyncio
import socket
import threading
from email import policy
from email.parser import BytesParser

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from temporalio.testing import ActivityEnvironment

from activities.email import KEY_HEADER, EmailActivities
from domain.notices import Delivery, DeliveryStatus, Notice, Purpose
from domain.procedure import Role
from notifications.relay import CHECK_AFTER_SECONDS
from tests.support.smtp_fixture import settings_for

CODE = "91210300MA0QC1234X"
LEAD = "mishuchu@lingmei-alliance.example"


def reminder(i: int) -> Notice:
    return Notice(
        key=f"{CODE}:term1:report_reminder:report:2026:reminder:{i}",
        alliance_code=CODE,
        purpose=Purpose.REPORT_REMINDER,
        to_emails=[LEAD],
        to_roles=[Role.BUREAU_STAFF],
        context={
            "alliance_name": "鞍山市菱镁新材料产业技术创新战略联盟",
            "alliance_code": CODE,
            "district": "haicheng",
            "district_name": "海城市",
            "year": 2026,
            "due": "2026-12-31T23:59:59+08:00",
            "days_left": 30,
        },
    )


def activities_for(smtp_server, registry_url, tmp_path, per_connection: int) -> EmailActivities:
    settings = settings_for(smtp_server, registry_url, tmp_path).model_copy(
        update={"smtp_messages_per_connection": per_connection}
    )
    return EmailActivities(settings)


async def send(activities: EmailActivities, notice: Notice) -> Delivery:
    return await ActivityEnvironment().run(activities.send_notice, notice)


async def test_notices_share_a_connection_up_to_the_setting(smtp_server, sqlite_url, tmp_path):
    activities = activities_for(smtp_server, sqlite_url, tmp_path, per_connection=3)

    deliveries = [await send(activities, reminder(i)) for i in range(7)]

    assert {d.status for d in deliveries} == {DeliveryStatus.SENT}
    assert len(smtp_server.to(LEAD)) == 7
    assert smtp_server.connections == 3  # 3 + 3 + 1
    keys = [m[KEY_HEADER] for m in smtp_server.messages]
    assert keys == [reminder(i).key for i in range(7)]


async def test_one_per_connection_connects_for_every_notice(smtp_server, sqlite_url, tmp_path):
    activities = activities_for(smtp_server, sqlite_url, tmp_path, per_connection=1)

    for i in range(3):
        await send(activities, reminder(i))

    assert smtp_server.connections == 3 and len(smtp_server.messages) == 3


async def test_notices_sent_at_once_arrive_once_each(smtp_server, registry_url, tmp_path):
    activities = activities_for(smtp_server, registry_url, tmp_path, per_connection=20)

    deliveries = await asyncio.gather(*(send(activities, reminder(i)) for i in range(12)))

    assert {d.status for d in deliveries} == {DeliveryStatus.SENT}
    assert sorted(m[KEY_HEADER] for m in smtp_server.messages) == sorted(
        reminder(i).key for i in range(12)
    )
    assert smtp_server.connections <= 12


async def test_a_connection_that_failed_is_not_used_again(smtp_server, sqlite_url, tmp_path):
    activities = activities_for(smtp_server, sqlite_url, tmp_path, per_connection=20)
    await send(activities, reminder(1))
    smtp_server.defer_next(1)  # 451 to the next message

    with pytest.raises(aiosmtplib.SMTPResponseException):
        await send(activities, reminder(2))
    retried = await send(activities, reminder(2))

    assert retried.status == DeliveryStatus.SENT
    assert smtp_server.connections == 2  # the retry connected afresh
    assert [m[KEY_HEADER] for m in smtp_server.messages] == [reminder(1).key, reminder(2).key]


async def test_a_connection_unused_for_a_while_is_checked_and_kept(
    smtp_server, sqlite_url, tmp_path
):
    activities = activities_for(smtp_server, sqlite_url, tmp_path, per_connection=20)
    await send(activities, reminder(1))

    await asyncio.sleep(CHECK_AFTER_SECONDS + 0.5)  # the next message asks NOOP first
    await send(activities, reminder(2))

    assert smtp_server.connections == 1 and len(smtp_server.messages) == 2


class _Relay:
    """A relay in the test's process that behaves as relays do at their limits: it ends a
    session idle for `idle_seconds` (421), and refuses MAIL (554) after
    `messages_per_session` messages of a session. It counts connections and keeps the
    key of each message it accepted."""

    def __init__(self, idle_seconds: float = 300, messages_per_session: int = 1000) -> None:
        self.connections = 0
        self.keys: list[str] = []
        self._lock = threading.Lock()
        relay = self

        class Counting(SMTP):
            def connection_made(self, transport):  # noqa: ANN001
                with relay._lock:
                    relay.connections += 1
                super().connection_made(transport)

        class Handler:
            async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: ANN001
                sent = getattr(session, "messages_sent", 0)
                if sent >= messages_per_session:
                    return "554 5.7.0 Too many messages in this session"
                session.messages_sent = sent + 1
                envelope.mail_from = address
                envelope.mail_options.extend(options)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
                parsed = BytesParser(policy=policy.default).parsebytes(envelope.content)
                relay.keys.append(str(parsed[KEY_HEADER]))
                return "250 OK"

        class Limited(Controller):
            def factory(self):  # noqa: ANN201
                return Counting(self.handler, timeout=idle_seconds, **self.SMTP_kwargs)

        self.host = "127.0.0.1"
        with socket.socket() as probe:
            probe.bind((self.host, 0))
            self.port = probe.getsockname()[1]
        self.controller = Limited(Handler(), hostname=self.host, port=self.port)

    def __enter__(self) -> _Relay:
        self.controller.start()
        self.connections = 0  # the controller's own check at start
        return self

    def __exit__(self, *_) -> None:  # noqa: ANN002
        self.controller.stop()


async def test_a_connection_the_relay_closed_is_not_used_again(sqlite_url, tmp_path):
    with _Relay(idle_seconds=0.5) as relay:
        activities = activities_for(relay, sqlite_url, tmp_path, per_connection=20)
        await send(activities, reminder(1))
        await asyncio.sleep(1.0)  # the relay ends the idle session

        second = await send(activities, reminder(2))

        assert second.status == DeliveryStatus.SENT
        assert relay.keys == [reminder(1).key, reminder(2).key]
        assert relay.connections == 2


async def test_a_relay_that_takes_fewer_messages_per_session_gets_each_notice_once(
    sqlite_url, tmp_path
):
    with _Relay(messages_per_session=2) as relay:
        activities = activities_for(relay, sqlite_url, tmp_path, per_connection=20)

        deliveries = [await send(activities, reminder(i)) for i in range(5)]

        assert {d.status for d in deliveries} == {DeliveryStatus.SENT}
        assert relay.keys == [reminder(i).key for i in range(5)]
        assert relay.connections == 3  # 2 + 2 + 1, each refusal retried on a new one
