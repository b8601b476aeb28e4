"""Sending email: through an SMTP server when one is configured, else into a local outbox.

The outbox lets a firm (or a test) run without a mail server and still see exactly what
would have gone out, as .eml files any mail program opens.
"""

from __future__ import annotations

import os
import secrets
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

from models import utcnow
from portal.settings import get_settings

SMTP_TIMEOUT_SECONDS = 20


class MailError(Exception):
    """Sending failed. The message says why in words fit to show the person who sent it."""


@dataclass(frozen=True)
class MailResult:
    status: str  # "sent" (handed to the SMTP server) or "outbox" (written to the outbox)
    message_id: str
    # Recipients the server turned down while accepting the others.
    refused: tuple[str, ...] = ()
    # Where an outbox mail was written ("" when it went to a server).
    path: str = ""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> MailResult: ...


def message_domain() -> str:
    """The sender's domain, for Message-IDs (make_msgid would otherwise ask DNS for ours)."""
    _, address = parseaddr(get_settings().mail_from)
    domain = address.rpartition("@")[2].strip()
    return domain or "localhost"


def ensure_message_id(message: EmailMessage) -> str:
    if not message["Message-ID"]:
        message["Message-ID"] = make_msgid(domain=message_domain())
    return str(message["Message-ID"])


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str = "",
        password: str = "",
        starttls: bool = True,
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ):
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def send(self, message: EmailMessage) -> MailResult:
        message_id = ensure_message_id(message)
        where = f"{self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password)
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            names = ", ".join(sorted(exc.recipients))
            raise MailError(f"the mail server refused every recipient ({names}).") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"the mail server at {where} did not accept the portal's user name and password."
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(f"the mail server at {where} does not offer STARTTLS.") from exc
        except smtplib.SMTPException as exc:
            raise MailError(f"the mail server at {where} answered with an error ({exc}).") from exc
        except ssl.SSLError as exc:
            raise MailError(f"a secure connection to {where} could not be made ({exc}).") from exc
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise MailError(f"the mail server at {where} could not be reached ({reason}).") from exc
        return MailResult("sent", message_id, tuple(sorted(refused)))


class OutboxMailer:
    def __init__(self, directory: Path):
        self.directory = directory

    def send(self, message: EmailMessage) -> MailResult:
        message_id = ensure_message_id(message)
        name = f"{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(4)}.eml"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(message.as_bytes())
                os.replace(temp_name, self.directory / name)
            except BaseException:
                Path(temp_name).unlink(missing_ok=True)
                raise
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise MailError(f"the outbox folder could not be written ({reason}).") from exc
        return MailResult("outbox", message_id, path=str(self.directory / name))


def get_mailer() -> Mailer:
    settings = get_settings()
    if settings.smtp_host:
        return SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )
    return OutboxMailer(settings.outbox_dir)
