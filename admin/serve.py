"""`alliance`: the production image's entrypoint, one process per container.

`alliance migrate` brings the registry to the current schema (the job the others wait for),
`alliance worker` runs the workflows and activities, `alliance web` serves the web console.
Web and worker never migrate; both reach Temporal themselves and retry until it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING

import typer

from admin.cli import migrate_command
from admin.terminal import OperatorCommands, run_and_exit

if TYPE_CHECKING:
    from fastapi import FastAPI

    from domain.settings import Settings
    from observability import Telemetry

log = logging.getLogger("web")

app = typer.Typer(
    help="鞍山市产业技术创新战略联盟 — 服务进程 (the image's processes: worker, web, migrate)",
    no_args_is_help=True,
    add_completion=False,
    cls=OperatorCommands,
)
app.command("migrate")(migrate_command)


@app.command("worker")
def worker() -> None:
    """运行工作进程 (the Temporal worker); SIGTERM lets running activities finish."""
    from domain.settings import get_settings
    from worker import main as run_worker

    asyncio.run(run_worker(get_settings()))  # it starts its own logs, metrics and traces


@app.command("web")
def web() -> None:
    """运行网页控制台 (the web console) on ALLIANCE_WEB_HOST:ALLIANCE_WEB_PORT."""
    from domain.settings import get_settings
    from observability import start_telemetry

    settings = get_settings()
    telemetry = start_telemetry(settings, "web")  # logs, and traces when an endpoint is set
    try:
        asyncio.run(serve_web(settings, telemetry))
    finally:
        telemetry.close()  # sends the spans still queued


async def serve_web(settings: Settings, telemetry: Telemetry) -> None:
    """Serve at once, so `/healthz` answers and `/readyz` says what is missing, while the
    Temporal client is connected in the background with backoff. A page needing Temporal
    before then tries to connect itself and says when it cannot."""
    import uvicorn

    from web.app import create_app

    console = create_app(settings)
    console.state.telemetry = telemetry  # a page connecting before the background task does

    class Server(uvicorn.Server):
        """uvicorn re-raises the signal it caught once it has served, which would kill the
        process before the Temporal task and the spans are finished: the signals are this
        function's."""

        @contextlib.contextmanager
        def capture_signals(self):  # type: ignore[no-untyped-def]
            yield

    server = Server(
        uvicorn.Config(
            console,
            host=settings.web_host,
            port=settings.web_port,
            server_header=False,
            log_config=None,  # uvicorn's lines go through configure_logging's handler
            access_log=False,  # the request log middleware writes one line per request
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, lambda: setattr(server, "should_exit", True))
    serving = asyncio.create_task(server.serve())
    connecting = asyncio.create_task(_connect_temporal(console, settings, stop, telemetry))
    await asyncio.wait({serving, connecting}, return_when=asyncio.FIRST_COMPLETED)
    if connecting.done() and connecting.exception() is not None:
        # a setting no retry mends (a certificate file that cannot be read): stop and say so
        server.should_exit = True
        await serving
        connecting.result()
    await serving
    stop.set()
    await connecting


async def _connect_temporal(
    console: FastAPI, settings: Settings, stop: asyncio.Event, telemetry: Telemetry
) -> None:
    from worker import connect_with_retry

    client = await connect_with_retry(settings, stop, telemetry)
    if client is None:
        return
    if console.state.client is None:  # a request may have connected first
        console.state.client = client
    log.info("connected to Temporal at %s", settings.temporal_address)


def main() -> None:
    """The console script: see `run_and_exit` for why it leaves without teardown."""
    run_and_exit(app)


if __name__ == "__main__":
    main()
