"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the tests that
must count the emails a client would get."""

from __future__ import annotations

import socket
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """An SMTP handler that keeps every envelope and turns down nobody@ addresses."""

    def __init__(self):
        self.envelopes = []
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            raw = [e.content for e in self.envelopes]
        return [BytesParser(policy=policy.default).parsebytes(r) for r in raw]

    def with_subject(self, subject: str) -> list[EmailMessage]:
        return [m for m in self.messages() if m["Subject"] == subject]


def use_smtp(monkeypatch, port: int) -> None:
    """Point the portal's mailer at a server on loopback `port`, plain SMTP, no login."""
    from portal.settings import get_settings

    monkeypatch.setenv("PORTAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PORTAL_SMTP_PORT", str(port))
    monkeypatch.setenv("PORTAL_SMTP_STARTTLS", "false")
    monkeypatch.delenv("PORTAL_SMTP_USER", raising=False)
    get_settings.cache_clear()


def start() -> tuple[Controller, Collector]:
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, collector
