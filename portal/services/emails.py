"""The email thread of each client: sending (optionally with a document), listing, deleting,
and importing messages that came in.

A send that fails is still written to the thread, marked failed with the reason, so nothing
the person typed is lost and they can see what happened and try again.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formataddr, formatdate, make_msgid, parsedate_to_datetime
from html.parser import HTMLParser

from sqlmodel import Session, select

from models import Client, Document, Email, EmailDirection, EmailStatus, User, utcnow
from portal import routes, storage, text
from portal.auth import Actor
from portal.mail import Mailer, MailError, get_mailer, message_domain
from portal.services import audit, clients, display, inputs, live
from portal.services.errors import Conflict, Invalid, NotFound
from portal.services.scope import client_id_visible, require_staff
from portal.settings import get_settings

log = logging.getLogger("portal.emails")

MAX_SUBJECT_CHARS = 300
MAX_BODY_CHARS = 20_000
MAX_TO_CHARS = 1000  # the width of email.to_addr
# An imported message keeps more than a typed one may: it is someone else's text.
MAX_IMPORTED_BODY_CHARS = 200_000

STATUS_LABELS = {
    EmailStatus.SENT.value: "Sent",
    EmailStatus.OUTBOX.value: "In outbox (not sent)",
    EmailStatus.FAILED.value: "Failed",
    EmailStatus.RECEIVED.value: "Received",
}


@dataclass(frozen=True)
class EmailRow:
    id: int
    direction: str  # "in" or "out"
    status: str  # sent, outbox, failed, received
    status_label: str
    from_addr: str
    to_addr: str
    subject: str
    body: str
    at_label: str
    error: str
    sent_by: str  # the person who sent it; "" for a message that came in
    attachment_document_id: int  # 0 when there is none
    attachment_name: str
    attachment_url: str  # "" when there is none, or the document was deleted since


def at_label(at: datetime) -> str:
    return display.moment(at.astimezone(UTC) if at.tzinfo else at)


def _row(email: Email, document: Document | None, sender: User | None) -> EmailRow:
    name, url = "", ""
    if document is not None:
        if document.deleted_at is None:
            name, url = document.filename, routes.document_download(document.id)
        else:
            name = f"{document.filename} (deleted)"
    return EmailRow(
        id=email.id,
        direction=email.direction,
        status=email.status,
        status_label=STATUS_LABELS.get(email.status, email.status),
        from_addr=email.from_addr,
        to_addr=email.to_addr,
        subject=email.subject,
        body=email.body,
        at_label=at_label(email.at),
        error=email.error,
        sent_by=sender.name if sender else "",
        attachment_document_id=email.attachment_document_id or 0,
        attachment_name=name,
        attachment_url=url,
    )


def list_emails(*, session: Session, actor: Actor, client_id: int) -> list[EmailRow]:
    """A client's thread, oldest first; empty when the client is outside the actor's scope."""
    rows = session.exec(
        select(Email, Document, User)
        .join(Document, Document.id == Email.attachment_document_id, isouter=True)
        .join(User, User.id == Email.created_by_id, isouter=True)
        .where(
            Email.client_id == client_id,
            Email.deleted_at.is_(None),
            client_id_visible(actor, Email.client_id, Email.firm_id),
        )
        .order_by(Email.at, Email.id)
    ).all()
    return [_row(email, document, sender) for email, document, sender in rows]


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _recipients(to: object) -> str:
    addresses = list(dict.fromkeys(inputs.email_list(to, label="To")))
    joined = ", ".join(addresses)
    if len(joined) > MAX_TO_CHARS:
        raise Invalid(f"To: the addresses together can be at most {MAX_TO_CHARS} characters.")
    return joined


def _attachment(
    session: Session, actor: Actor, client: Client, document_id: int
) -> tuple[Document, bytes]:
    document = session.exec(
        select(Document).where(
            Document.id == document_id,
            Document.client_id == client.id,
            Document.deleted_at.is_(None),
            client_id_visible(actor, Document.client_id, Document.firm_id),
        )
    ).first()
    if document is None:
        raise Invalid(
            "That document cannot be attached: it is not one of this client's documents, "
            "or it was deleted."
        )
    try:
        data = storage.open_path(document.storage_key).read_bytes()
    except (OSError, storage.BadKey):
        log.error("document %s has a row but no readable bytes", document.id)
        raise Invalid(
            f"“{document.filename}” cannot be attached: its file could not be read."
        ) from None
    return document, data


def _message(
    actor: Actor, to: str, subject: str, body: str, attachment: tuple[Document, bytes] | None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = get_settings().mail_from
    message["To"] = to
    message["Reply-To"] = formataddr((_one_line(actor.name), actor.email))
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=message_domain())
    message.set_content(body)
    if attachment is not None:
        document, data = attachment
        maintype, _, subtype = document.content_type.partition("/")
        message.add_attachment(
            data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=document.filename,
        )
    return message


def send_email(
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    to: str,
    subject: str,
    body: str,
    attachment_document_id: int | None = None,
    mailer: Mailer | None = None,
) -> EmailRow:
    """Send a message from the portal to people about a client, and keep it in the thread.

    When sending fails, the message is still kept, marked failed with the reason (see
    `failure`), and committed with the rest of the unit of work: nothing the person typed is
    lost, and a repeat of the same submission finds it handled and sends nothing.
    """
    require_staff(actor)
    client = clients.load(session, actor, client_id)
    recipients = _recipients(to)
    subject = _one_line(
        inputs.line(subject, label="Subject", max_length=MAX_SUBJECT_CHARS, required=True)
    )
    body = inputs.long_text(body, label="Message", max_length=MAX_BODY_CHARS)
    attachment = (
        _attachment(session, actor, client, attachment_document_id)
        if attachment_document_id
        else None
    )
    message = _message(actor, recipients, subject, body, attachment)

    email = Email(
        firm_id=client.firm_id,
        client_id=client.id,
        direction=EmailDirection.OUTBOUND.value,
        status=EmailStatus.FAILED.value,
        from_addr=str(message["From"])[:320],
        to_addr=recipients,
        subject=subject,
        body=body,
        message_id=str(message["Message-ID"])[:300],
        attachment_document_id=attachment[0].id if attachment else None,
        created_by_id=actor.user_id,
    )
    failure = None
    try:
        result = (mailer or get_mailer()).send(message)
    except MailError as exc:
        failure = str(exc)
    except Exception:
        log.exception("sending email for client %s failed unexpectedly", client.id)
        failure = "an unexpected error occurred while sending."
    else:
        email.status = result.status
        email.message_id = result.message_id[:300]
        if result.refused:
            email.error = f"The mail server did not accept: {', '.join(result.refused)}"[:500]
    if failure is not None:
        email.error = f"Not sent: {failure}"[:500]
    email.at = utcnow()
    session.add(email)
    session.flush()
    live.changed(session, client_id=client.id)
    audit.record(
        session=session,
        actor=actor,
        action="email_sent",
        outcome="failed" if failure else "ok",
        target_type="email",
        target_id=email.id,
        client_id=client.id,
        detail=f"to {recipients}: {subject} ({email.status})",
        at=email.at,
    )
    sender = session.get(User, actor.user_id)
    return _row(email, attachment[0] if attachment else None, sender)


def failure(row: EmailRow) -> str:
    """What to tell the sender of a message that was kept as failed; "" when it went out."""
    if row.status != EmailStatus.FAILED.value:
        return ""
    reason = row.error.removeprefix("Not sent: ")
    return f"The email could not be sent: {reason} It is saved in the thread as failed."


def send_document(
    *,
    session: Session,
    actor: Actor,
    document_id: int,
    to: str,
    subject: str,
    body: str,
    mailer: Mailer | None = None,
) -> EmailRow:
    """Email one document to someone; it goes into the thread of the document's client."""
    require_staff(actor)
    document = session.exec(
        select(Document).where(
            Document.id == document_id,
            Document.deleted_at.is_(None),
            client_id_visible(actor, Document.client_id, Document.firm_id),
        )
    ).first()
    if document is None:
        raise NotFound
    return send_email(
        session=session,
        actor=actor,
        client_id=document.client_id,
        to=to,
        subject=subject,
        body=body,
        attachment_document_id=document.id,
        mailer=mailer,
    )


def delete_email(*, session: Session, actor: Actor, email_id: int) -> None:
    """Hide a message from the thread; the row stays so the audit log can name it."""
    require_staff(actor)
    email = session.exec(
        select(Email).where(
            Email.id == email_id,
            Email.deleted_at.is_(None),
            client_id_visible(actor, Email.client_id, Email.firm_id),
        )
    ).first()
    if email is None:
        raise NotFound
    email.deleted_at = utcnow()
    session.add(email)
    live.changed(session, client_id=email.client_id)
    audit.record(
        session=session,
        actor=actor,
        action="email_deleted",
        target_type="email",
        target_id=email.id,
        client_id=email.client_id,
        detail=email.subject,
        at=email.deleted_at,
    )


# --- importing ------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}
)
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")


class _TextOfHtml(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        # Line breaks in HTML source are only spaces; the block tags above make the lines.
        if not self._hidden:
            self.parts.append(_HTML_SPACE.sub(" ", data))


def html_to_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _clean_text(value: str) -> str:
    """Received mail is shown in the thread like typed text, so it is cleaned by the same
    rules: a direction override in a subject would disguise it just the same."""
    return text.clean(value, multiline=True)


def _header(message: EmailMessage, name: str, limit: int) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header reads as absent rather than stopping the import
        return ""
    return _one_line(_clean_text(str(value or "")))[:limit]


def _sent_at(message: EmailMessage) -> datetime | None:
    raw = _header(message, "Date", 200)
    if not raw:
        return None
    try:
        at = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError):
        content = None
    if not isinstance(content, str):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content


def _text_body(message: EmailMessage) -> str:
    """The plain-text part when there is one, else the HTML part with its markup removed."""
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return _clean_text(_content(part))
    part = message.get_body(preferencelist=("html",))
    if part is not None:
        return _clean_text(html_to_text(_content(part)))
    return ""


def import_eml(*, session: Session, client_id: int, raw: bytes) -> Email:
    """Add a message that came in (an .eml file) to a client's thread, for the command line.

    Attachments of the message are not kept: documents enter only through an upload, where
    their type and size are checked.
    """
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"There is no client with id {client_id}.")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    message_id = _header(message, "Message-ID", 300)
    if message_id:
        duplicate = session.exec(
            select(Email.id).where(
                Email.client_id == client.id,
                Email.message_id == message_id,
                Email.deleted_at.is_(None),
            )
        ).first()
        if duplicate is not None:
            raise Conflict(
                f"That message (Message-ID {message_id}) is already in this client's thread."
            )
    email = Email(
        firm_id=client.firm_id,
        client_id=client.id,
        direction=EmailDirection.INBOUND.value,
        status=EmailStatus.RECEIVED.value,
        from_addr=_header(message, "From", 320),
        to_addr=_header(message, "To", MAX_TO_CHARS),
        subject=_header(message, "Subject", 500),
        body=_text_body(message)[:MAX_IMPORTED_BODY_CHARS],
        message_id=message_id,
        at=_sent_at(message) or utcnow(),
    )
    session.add(email)
    session.flush()
    audit.record(
        session=session,
        action="email_imported",
        firm_id=client.firm_id,
        actor_label="command line",
        target_type="email",
        target_id=email.id,
        client_id=client.id,
        detail=f"from {email.from_addr}: {email.subject}",
    )
    return email
