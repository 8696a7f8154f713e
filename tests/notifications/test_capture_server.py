from __future__ import annotations

import socket
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import aiosmtplib

from notifications.capture_server import MailCapture


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_captured_mail_is_saved_as_eml_and_listed_in_the_index(tmp_path):
    folder = tmp_path / "mail"
    capture = MailCapture(folder, "127.0.0.1", free_port())
    message = EmailMessage()
    message["From"] = "鞍山市科学技术局 <noreply@kjj.anshan.example>"
    message["To"] = "a@alliance.example, b@alliance.example"
    message["Subject"] = "【鞍山市科技局】认定申请已受理"
    message["Message-ID"] = "<0123abcd@kjj.anshan.example>"
    message.set_content("你联盟的认定申请已收到。")

    capture.start()
    try:
        await aiosmtplib.send(message, hostname=capture.host, port=capture.port)
    finally:
        capture.stop()

    [saved] = list(folder.glob("*.eml"))
    assert saved.name.endswith("-0123abcd@kjj.anshan.example.eml")
    parsed = BytesParser(policy=policy.default).parsebytes(saved.read_bytes())
    assert parsed.get_content().strip() == "你联盟的认定申请已收到。"
    [line] = (folder / "index.txt").read_text(encoding="utf-8").splitlines()
    _, recipients, subject = line.split("\t")
    assert recipients == "a@alliance.example, b@alliance.example"
    assert subject == "【鞍山市科技局】认定申请已受理"
