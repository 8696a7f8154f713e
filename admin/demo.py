"""The sample application from submission to certificate in seconds, on simulated time.

The real system waits real working days (a public notice alone takes a week), so the
demo runs the same workflow, activities, registry and SMTP capture on Temporal's
time-skipping test server, with scripted staff decisions, and prints what happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from pathlib import Path

from sqlmodel import select

from admin.simulation import recognise_all, simulated_system
from domain.application import Application
from domain.procedure import Recognition
from domain.settings import Settings
from registry.database import session_scope
from registry.tables import Document


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
    async with simulated_system(settings, holiday_files) as env:
        states = await recognise_all(env, settings, [application], say)
    [state] = states.values()
    recognition = state.recognition
    say(f"公示 public notice {state.notice.start} – {state.notice.end}: 无异议 no objection")
    say(
        f"予以认定 recognised on {recognition.recognised_on}: approval document"
        f" {recognition.approval_document_number}, certificate {recognition.certificate_serial}"
    )
    with session_scope(settings.registry_url()) as session:
        document = session.exec(
            select(Document).where(Document.id == recognition.certificate_document_id)
        ).one()
    certificate_path = settings.data_dir / document.filename
    certificate_path.write_bytes(document.content)
    return DemoResult(
        recognition=recognition,
        certificate_path=certificate_path,
        timeline=_mail_timeline(settings.data_dir / "mail"),
    )


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
