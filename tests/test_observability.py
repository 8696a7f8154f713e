"""Logs and traces as an operator's tools read them: JSON lines that name the workflow or
the web request they concern, and spans of workflows and activities posted to an OTLP
collector when ALLIANCE_OTEL_ENDPOINT is set."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from temporalio.client import Client

from client.alliances import submit_application, workflow_id_for
from domain.procedure import Actor, Role
from domain.settings import Settings
from observability.logs import JsonFormatter
from observability.tracing import start_tracing
from tests.support.calendars import prepare_calendar
from tests.support.smtp_fixture import settings_for, smtp_server  # noqa: F401
from tests.support.temporal import Bureau, sample_application
from tests.workflows.conftest import bureau, env  # noqa: F401
from web.app import create_app
from worker import build_worker


@contextmanager
def json_log(level: int = logging.INFO) -> Iterator[list[dict]]:
    """Every line the process logs meanwhile, as the JSON formatter writes it, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


async def test_a_workflow_log_line_carries_its_workflow_id_and_an_activity_line_its_type(
    bureau,  # noqa: F811
):
    application = sample_application()
    bureau.smtp.refuse(*application.recipient_emails())
    with json_log(logging.WARNING) as lines:
        code = await bureau.submit(application)
        await bureau.wait_for_mail("incident")
    [incident] = [line for line in lines if "became incident 1" in line["message"]]
    [refused] = [line for line in lines if "not delivered" in line["message"]]

    assert incident["workflow_id"] == workflow_id_for(code)
    assert incident["run_id"] == bureau.procedure_runs[code]
    assert incident["workflow_type"] == "RecognitionWorkflow"
    assert incident["level"] == "WARNING" and incident["logger"] == "temporalio.workflow"
    assert refused["activity_type"] == "carry_out_effects"  # the notice, in its batch
    assert refused["workflow_id"] == workflow_id_for(code)


async def test_a_web_request_is_logged_once_under_the_request_id_the_response_echoes(bureau):  # noqa: F811
    console = create_app(bureau.settings, client=bureau.client)
    transport = httpx.ASGITransport(app=console)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as visitor:
        with json_log() as lines:
            given = await visitor.get("/login", headers={"X-Request-ID": "lb-7f3a\r\nX-Evil: 1"})
            fresh = await visitor.get("/login?next=/alliances")
    requests = [line for line in lines if line["logger"] == "web.request"]

    assert given.headers["X-Request-ID"] == "lb-7f3aX-Evil:1"  # kept to safe characters
    assert len(fresh.headers["X-Request-ID"]) == 32  # a new one when none is given
    assert [line["request_id"] for line in requests] == [
        "lb-7f3aX-Evil:1",
        fresh.headers["X-Request-ID"],
    ]
    assert requests[1]["message"].startswith("GET /login 200 ")  # the path, not the query
    assert requests[1]["message"].endswith(" ms")


@contextmanager
def otlp_receiver() -> Iterator[tuple[str, list[ExportTraceServiceRequest]]]:
    """A collector's OTLP/HTTP traces endpoint on a free port: its URL, and what it got."""
    received: list[ExportTraceServiceRequest] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/v1/traces":
                received.append(ExportTraceServiceRequest.FromString(body))
            self.send_response(200 if self.path == "/v1/traces" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/traces", received
    finally:
        server.shutdown()
        server.server_close()


async def test_with_an_otel_endpoint_workflow_and_activity_spans_reach_the_collector(
    env,  # noqa: F811
    sqlite_url,
    smtp_server,  # noqa: F811
    tmp_path,
):
    with otlp_receiver() as (endpoint, received):
        settings = settings_for(smtp_server, sqlite_url, tmp_path).model_copy(
            update={"otel_endpoint": endpoint, "task_queue": "traced"}
        )
        tracing = start_tracing(settings, "worker")
        traced = Client(**{**env.client.config(), "interceptors": tracing.interceptors})
        prepare_calendar(sqlite_url)
        async with build_worker(traced, settings):
            application = sample_application()
            await submit_application(
                traced,
                settings,
                application,
                Actor(name=application.lead_unit, role=Role.APPLICANT),
            )
            system = Bureau(env=env, settings=settings, smtp=smtp_server)
            await system.wait_for_mail("application_received")
        tracing.shutdown()  # sends what is still queued, as at the worker's exit
    names = {
        span.name
        for request in received
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    }
    services = {
        attribute.value.string_value
        for request in received
        for resource in request.resource_spans
        for attribute in resource.resource.attributes
        if attribute.key == "service.name"
    }

    assert "StartWorkflow:RecognitionWorkflow" in names
    assert "RunWorkflow:RecognitionWorkflow" in names
    assert "RunActivity:carry_out_effects" in names
    assert services == {"anshan-alliance-worker"}


def test_without_an_otel_endpoint_nothing_is_traced(tmp_path):
    tracing = start_tracing(Settings(data_dir=tmp_path, otel_endpoint=""), "web")
    assert tracing.interceptors == [] and tracing.provider is None
