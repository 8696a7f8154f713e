"""The daily holiday-year check: administrators hear once that next year's schedule is missing."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from client.calendar_watch import start_calendar_watch
from domain.holiday_years import CHECK_HOUR
from domain.notices import Purpose
from domain.procedure import Role
from domain.shanghai_time import at_local, local_date
from registry.database import session_scope
from registry.tables import EmailMessage, StaffUser
from tests.support.calendars import unload_years
from workflows.calendar_watch import CALENDAR_WATCH_ID

WARNING = Purpose.HOLIDAY_YEAR_MISSING.value
ADMINISTRATORS = ["it-admin@kjj.anshan.example", "zhang.admin@kjj.anshan.example"]


def add_staff(url: str) -> None:
    """Two administrators with an address, and three people the email must not reach."""
    accounts = [
        ("admin1", Role.ADMINISTRATOR, ADMINISTRATORS[0], True),
        ("admin2", Role.ADMINISTRATOR, ADMINISTRATORS[1], True),
        ("admin-without-email", Role.ADMINISTRATOR, None, True),
        ("admin-disabled", Role.ADMINISTRATOR, "former.admin@kjj.anshan.example", False),
        ("staff", Role.BUREAU_STAFF, "lianmeng@kjj.anshan.example", True),
    ]
    with session_scope(url) as session:
        for username, role, email, active in accounts:
            session.add(
                StaffUser(
                    username=username,
                    display_name=username,
                    password_hash="-",
                    role=role.value,
                    email=email,
                    active=active,
                    created_at=datetime.now(UTC),
                )
            )


async def test_administrators_get_one_email_when_next_years_schedule_is_missing(bureau):
    url = bureau.settings.registry_url()
    today = local_date(await bureau.now())
    year = today.year + 1
    unload_years(url, [year])
    add_staff(url)

    assert await start_calendar_watch(bureau.client, bureau.settings)
    # The first check that finds next year missing: at start from 1 November, else then.
    await bureau.sleep_until(at_local(date(today.year, 11, 1), CHECK_HOUR, 1))
    [mail] = await bureau.wait_for_mail(WARNING)
    assert sorted(mail.rcpt_tos) == ADMINISTRATORS
    assert str(mail["Subject"]) == f"【鞍山市科技局】请导入{year}年国务院节假日安排"
    assert f"{bureau.settings.public_base_url}/calendar" in mail.text
    assert "无法推算到" in mail.text

    # Two more daily checks, and a worker restart that starts the check again: no second email.
    handle = bureau.client.get_workflow_handle(CALENDAR_WATCH_ID)
    first_run = (await handle.describe()).run_id
    await bureau.sleep(timedelta(days=2))
    deadline = time.monotonic() + 15
    while (await handle.describe()).run_id == first_run:
        assert time.monotonic() < deadline, "the check did not run again"
        await asyncio.sleep(0.05)
    assert not await start_calendar_watch(bureau.client, bureau.settings)
    await bureau.keep_history("", "calendar_watch", workflow_id=CALENDAR_WATCH_ID)
    await asyncio.sleep(1)
    assert len(bureau.mails(WARNING)) == 1
    with session_scope(url) as session:
        sent = session.exec(select(EmailMessage).where(EmailMessage.purpose == WARNING)).all()
    assert [(row.key, row.status) for row in sent] == [
        (f"bureau:calendar:{WARNING}:{year}", "sent")
    ]
