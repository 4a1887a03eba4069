"""A real SMTP server for tests: aiosmtpd's on 127.0.0.1, in this process (its own thread and
event loop), collecting every message it accepts, so smtplib, the headers and the SMTP
dialogue are the ones a real server sees. Use the `smtp` fixture."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.live import free_port


@dataclass
class SmtpSink:
    """aiosmtpd's handler: keeps (recipients, parsed message) of every accepted message;
    `refuse` names addresses to answer 550 for."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options):  # noqa: ANN001, N802
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        return [address for recipients, _ in self.messages for address in recipients]


@dataclass
class SmtpServer:
    sink: SmtpSink
    url: str


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for one test."""
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(sink=sink, url=f"smtp://127.0.0.1:{port}")
    finally:
        controller.stop()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())
