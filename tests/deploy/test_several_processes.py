"""Several of each, as a deployment runs them: two workers and two web processes (the
image's `alliance worker`-equivalent `worker.py` and `alliance web`) on one Temporal dev
server and one PostgreSQL registry migrated once by `alliance-admin migrate`. Every notice
arrives once, the sign-in limit is shared and a session opened on one web process is
valid on the other."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlmodel import select
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from domain.procedure import Role
from domain.settings import PROJECT_ROOT, Settings
from local_stack import dev_server_command, wait_for_temporal
from registry.database import engine_for, session_scope
from registry.staff_accounts import create_user
from registry.tables import EmailMessage
from tests.support.databases import POSTGRES_ADMIN_DSN
from tests.support.smtp_server import RecordingSmtpServer

BIN = Path(sys.executable).parent
SAMPLE = PROJECT_ROOT / "samples" / "application-sample.yaml"
PASSWORD = "several-processes-密码"
# What the sample's submission and the district's recommendation send (the sample is in
# the high-tech zone): the receipt, the district's request, the progress note, the
# expert organiser's request.
EXPECTED_PURPOSES = Counter({"application_received": 1, "action_requested": 2, "progress": 1})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Deployment:
    registry_url: str
    settings: Settings
    env: dict[str, str]
    client: Client
    smtp: RecordingSmtpServer
    web: list[str]  # the two web processes' base URLs
    logs: Path

    def command(self, *args: str) -> subprocess.CompletedProcess:
        """An operator's command, with the deployment's settings from the environment."""
        done = subprocess.run(
            args, cwd=PROJECT_ROOT, env=self.env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def log_tails(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-1500:]}"
            for log in sorted(self.logs.glob("*.log"))
        )


class Processes:
    """Every process the test starts, each in its own session, all stopped at the end."""

    def __init__(self, logs: Path, env: dict[str, str]) -> None:
        self.logs, self.env, self.started = logs, env, []

    def start(self, name: str, command: list[str], **env: str) -> subprocess.Popen:
        with (self.logs / f"{name}.log").open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=self.env | env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@contextlib.contextmanager
def fresh_postgres_database():
    name = f"alliance_several_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    url = f"{base}/{name}"
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def deployment(tmp_path) -> AsyncIterator[Deployment]:
    web_ports = [free_port(), free_port()]
    with fresh_postgres_database() as url, RecordingSmtpServer() as smtp:
        settings = Settings(
            data_dir=tmp_path,
            database_url=url,
            temporal_address=f"127.0.0.1:{free_port()}",
            temporal_ui_port=free_port(),
            task_queue=f"several-{uuid.uuid4().hex[:8]}",
            smtp_host=smtp.host,
            smtp_port=smtp.port,
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_")} | {
            "ALLIANCE_DATA_DIR": str(tmp_path),
            "ALLIANCE_DATABASE_URL": url,
            "ALLIANCE_TEMPORAL_ADDRESS": settings.temporal_address,
            "ALLIANCE_TASK_QUEUE": settings.task_queue,
            "ALLIANCE_SMTP_HOST": smtp.host,
            "ALLIANCE_SMTP_PORT": str(smtp.port),
            "ALLIANCE_SESSION_SECRET": uuid.uuid4().hex * 2,  # one secret, every web process
            "ALLIANCE_WORKER_GRACE_SECONDS": "2",
            "PYTHONUNBUFFERED": "1",
        }
        logs = tmp_path / "logs"
        logs.mkdir()
        processes = Processes(logs, env)
        try:
            temporal = processes.start("temporal", [*dev_server_command(settings), "--headless"])
            migrated = subprocess.run(
                [str(BIN / "alliance-admin"), "migrate"],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert migrated.returncode == 0, migrated.stdout + migrated.stderr
            client = await wait_for_temporal(settings, temporal)
            workers = [
                processes.start(f"worker-{n}", [sys.executable, "worker.py"]) for n in (1, 2)
            ]
            for n, port in enumerate(web_ports, 1):
                # `alliance web`, the image's entrypoint, run from the source tree
                processes.start(
                    f"web-{n}",
                    [sys.executable, "-m", "admin.serve", "web"],
                    ALLIANCE_WEB_PORT=str(port),
                )
            system = Deployment(
                url, settings, env, client, smtp, [f"http://127.0.0.1:{p}" for p in web_ports], logs
            )
            await both_polling(system, workers)
            await both_serving(system)
            yield system
        finally:
            processes.stop_all()


# four Python processes and the dev server starting together on two busy cores
STARTUP_SECONDS = 90


async def both_polling(system: Deployment, workers: list[subprocess.Popen]) -> None:
    """Until each worker polls the task queue for workflow and activity tasks."""
    wanted = {f"{worker.pid}@" for worker in workers}
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        polling = []
        for kind in (
            TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        ):
            described = await system.client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=system.settings.temporal_namespace,
                    task_queue=TaskQueue(name=system.settings.task_queue),
                    task_queue_type=kind,
                )
            )
            polling.append({p.identity.split("@")[0] + "@" for p in described.pollers})
        if all(wanted <= found for found in polling):
            return
        assert time.monotonic() < deadline, f"two workers never polled\n{system.log_tails()}"
        await asyncio.sleep(0.2)


async def both_serving(system: Deployment) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient() as probe:
        for base in system.web:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await probe.get(f"{base}/healthz")).status_code == 200:
                        break
                assert time.monotonic() < deadline, f"{base} never served\n{system.log_tails()}"
                await asyncio.sleep(0.1)


async def sent_rows(system: Deployment, code: str) -> list[EmailMessage]:
    """The alliance's email rows once every expected notice is marked sent and as many
    messages have arrived."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        with session_scope(system.registry_url) as db:
            rows = list(db.exec(select(EmailMessage).where(EmailMessage.alliance_code == code)))
        sent = Counter(row.purpose for row in rows if row.status == "sent")
        if sent == EXPECTED_PURPOSES and len(system.smtp.messages) >= len(rows):
            return rows
        assert time.monotonic() < deadline, (
            f"notices not delivered: {[(r.purpose, r.status) for r in rows]}, "
            f"{len(system.smtp.messages)} arrived\n{system.log_tails()}"
        )
        await asyncio.sleep(0.2)


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, f"no CSRF field on {page.url}"
    return found.group(1)


def sign_in(browser: httpx.Client, username: str, password: str) -> httpx.Response:
    token = csrf_of(browser.get("/login"))
    return browser.post("/login", data={"username": username, "password": password, "csrf": token})


async def test_two_workers_and_two_web_processes_share_one_registry(deployment):
    system = deployment
    create_user(system.registry_url, "staff", "钱职员", PASSWORD, Role.BUREAU_STAFF)
    create_user(system.registry_url, "clerk", "李记录", PASSWORD, Role.DIRECTOR_CLERK)

    submitted = system.command(sys.executable, "starter.py", "submit", str(SAMPLE))
    found = re.search(r"\d{4}-\d{4}", submitted.stdout)
    assert found, submitted.stdout
    code = found.group(0)
    system.command(
        str(BIN / "alliance-admin"),
        "review",
        code,
        "recommend",
        "--as",
        "王审查",
        "--district",
        "high_tech_zone",
    )

    rows = await sent_rows(system, code)
    arrived = Counter(str(message["Message-ID"]) for message in system.smtp.messages)
    assert set(arrived) == {row.message_id for row in rows}
    assert all(copies == 1 for copies in arrived.values()), f"delivered twice: {arrived}"

    first, second = system.web
    with httpx.Client(base_url=first) as on_first:
        assert sign_in(on_first, "staff", PASSWORD).status_code == 303
        cookie = on_first.cookies["alliance_session"]
    with httpx.Client(base_url=second, cookies={"alliance_session": cookie}) as on_second:
        page = on_second.get("/alliances")
    assert page.status_code == 200, "the session opened on web 1 is not known on web 2"
    assert "钱职员" in page.text and code in page.text

    limit = system.settings.login_attempts_per_minute
    with httpx.Client(base_url=first) as on_first:
        codes = [sign_in(on_first, "clerk", "wrong").status_code for _ in range(limit)]
    with httpx.Client(base_url=second) as on_second:
        refused = sign_in(on_second, "clerk", PASSWORD)
    assert codes == [401] * limit
    assert refused.status_code == 429 and "登录尝试过于频繁" in refused.text
