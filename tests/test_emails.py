"""Emails: sending through a real SMTP server on loopback, the outbox, failures that keep
what was typed, validation, scope, deletion, and importing .eml files."""

from __future__ import annotations

import io
import re
from email import policy
from email.parser import BytesParser

import pytest
from sqlmodel import Session, select

from models import AuditEvent, Email
from portal import cli
from portal.db import get_engine, unit_of_work
from portal.services import documents, emails, runner
from portal.services.documents import IncomingFile
from portal.services.errors import Conflict, Invalid, NotFound, Refused
from portal.settings import get_settings
from tests.factories import (
    actor_for,
    make_client,
    make_filing,
    make_firm,
    make_login,
    make_step,
    make_user,
)
from tests.support import smtp as smtp_server
from tests.support.smtp import free_port, use_smtp

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def smtp(db_url, monkeypatch):
    controller, collector = smtp_server.start()
    use_smtp(monkeypatch, controller.port)
    yield collector
    controller.stop()


@pytest.fixture
def no_smtp(db_url, monkeypatch):
    monkeypatch.delenv("PORTAL_SMTP_HOST", raising=False)
    get_settings.cache_clear()


@pytest.fixture
def world(session):
    firm = make_firm(session, "Alpha")
    staff = make_user(session, firm, "staff", name="Sam Staff", email="sam@alpha.example")
    bookkeeper = make_user(session, firm, "bookkeeper")
    client = make_client(session, firm, "Maple Bakery")
    make_step(session, make_filing(session, client), bookkeeper)
    elsewhere = make_client(session, firm, "Birch Garage")
    other_firm = make_firm(session, "Beta")
    other_staff = make_user(session, other_firm, "staff")
    staff_actor = actor_for(staff, make_login(session, staff))
    document = documents.upload_documents(
        session=session,
        actor=staff_actor,
        client_id=client.id,
        files=[IncomingFile("April statement.pdf", io.BytesIO(PDF))],
    )[0]
    foreign = documents.upload_documents(
        session=session,
        actor=staff_actor,
        client_id=elsewhere.id,
        files=[IncomingFile("garage.pdf", io.BytesIO(PDF))],
    )[0]
    people = {
        "staff": staff_actor,
        "bookkeeper": actor_for(bookkeeper, make_login(session, bookkeeper)),
        "other_staff": actor_for(other_staff, make_login(session, other_staff)),
    }
    session.commit()
    return {
        "client": client,
        "elsewhere": elsewhere,
        "document": document,
        "foreign_document": foreign,
        **people,
    }


def send(session, world, **fields):
    values = {
        "session": session,
        "actor": world["staff"],
        "client_id": world["client"].id,
        "to": "owner@maple.example",
        "subject": "April statements",
        "body": "Hello,\n\nThe statements are attached.",
    }
    values.update(fields)
    return emails.send_email(**values)


def parse(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def test_a_message_goes_through_a_real_smtp_server(session, world, smtp):
    row = send(
        session,
        world,
        to="Owner@Maple.example; books@maple.example",
        attachment_document_id=world["document"].id,
    )
    assert len(smtp.envelopes) == 1
    envelope = smtp.envelopes[0]
    assert envelope.rcpt_tos == ["owner@maple.example", "books@maple.example"]
    message = parse(envelope.original_content)
    assert message["Subject"] == "April statements"
    assert message["From"] == get_settings().mail_from
    assert message["To"] == "owner@maple.example, books@maple.example"
    assert "sam@alpha.example" in message["Reply-To"]
    assert message.get_body(("plain",)).get_content().strip().endswith("statements are attached.")
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["April statement.pdf"]
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_content() == PDF

    assert (row.status, row.direction, row.error) == ("sent", "out", "")
    assert row.sent_by == "Sam Staff"
    assert row.attachment_name == "April statement.pdf"
    assert row.attachment_url == f"/documents/{world['document'].id}/download"
    stored = session.get(Email, row.id)
    assert stored.message_id == message["Message-ID"]
    assert stored.to_addr == "owner@maple.example, books@maple.example"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "email_sent")).one()
    assert (event.target_id, event.client_id, event.outcome) == (row.id, world["client"].id, "ok")


def test_recipients_the_server_turns_down_are_noted(session, world, smtp):
    row = send(session, world, to="owner@maple.example, nobody@maple.example")
    assert row.status == "sent"
    assert "nobody@maple.example" in row.error
    assert smtp.envelopes[0].rcpt_tos == ["owner@maple.example"]


def test_sending_a_document_uses_its_client(session, world, smtp):
    row = emails.send_document(
        session=session,
        actor=world["staff"],
        document_id=world["foreign_document"].id,
        to="garage@birch.example",
        subject="Your file",
        body="",
    )
    assert row.attachment_name == "garage.pdf"
    thread = emails.list_emails(
        session=session, actor=world["staff"], client_id=world["elsewhere"].id
    )
    assert [r.id for r in thread] == [row.id]
    assert smtp.envelopes[0].rcpt_tos == ["garage@birch.example"]
    with pytest.raises(NotFound):
        emails.send_document(
            session=session,
            actor=world["other_staff"],
            document_id=world["document"].id,
            to="x@y.example",
            subject="s",
            body="",
        )


def test_without_smtp_the_message_lands_in_the_outbox(session, world, no_smtp):
    row = send(session, world, attachment_document_id=world["document"].id)
    assert row.status == "outbox"
    written = list(get_settings().outbox_dir.glob("*.eml"))
    assert len(written) == 1
    message = parse(written[0].read_bytes())
    assert message["Subject"] == "April statements"
    assert message["Message-ID"] == session.get(Email, row.id).message_id
    assert next(message.iter_attachments()).get_content() == PDF


def test_when_smtp_is_down_the_message_is_kept_as_failed(session, world, monkeypatch):
    port = free_port()  # nothing listens here
    use_smtp(monkeypatch, port)
    client_id, actor = world["client"].id, world["staff"]
    with unit_of_work() as uow:
        row = emails.send_email(
            session=uow,
            actor=actor,
            client_id=client_id,
            to="owner@maple.example",
            subject="Year-end questions",
            body="Three things I need from you before Friday.",
        )
    message = emails.failure(row)
    assert message.startswith(
        f"The email could not be sent: the mail server at 127.0.0.1:{port} could not be reached"
    )
    assert message.endswith("It is saved in the thread as failed.")

    with Session(get_engine()) as fresh:
        thread = emails.list_emails(session=fresh, actor=actor, client_id=client_id)
        assert len(thread) == 1
        kept = thread[0]
        assert (kept.status, kept.subject) == ("failed", "Year-end questions")
        assert kept.body == "Three things I need from you before Friday."
        assert kept.error.startswith("Not sent: the mail server at 127.0.0.1")
        event = fresh.exec(select(AuditEvent).where(AuditEvent.action == "email_sent")).one()
        assert event.outcome == "failed"


def test_starttls_that_the_server_lacks_is_a_clear_failure(session, world, smtp, monkeypatch):
    monkeypatch.setenv("PORTAL_SMTP_STARTTLS", "true")
    get_settings.cache_clear()
    assert "does not offer STARTTLS" in emails.failure(send(session, world))
    assert smtp.envelopes == []
    assert [e.status for e in session.exec(select(Email)).all()] == ["failed"]


def test_a_sent_message_has_no_failure_to_report(session, world, smtp):
    assert emails.failure(send(session, world)) == ""
    assert len(smtp.envelopes) == 1


def test_sending_the_same_submission_twice_sends_one_email(session, world, smtp):
    """A double click on Send: the second event carries the same token and text."""
    session.commit()
    actor = world["staff"]
    fields = {
        "client_id": world["client"].id,
        "to": "owner@maple.example",
        "subject": "April statements",
        "body": "Hello",
    }
    first = runner.perform_once(emails.send_email, actor=actor, token="tok-1", **fields)
    again = runner.perform_once(emails.send_email, actor=actor, token="tok-1", **fields)
    assert (first.repeat, again.repeat) == (False, True)
    assert len(smtp.envelopes) == 1
    with Session(get_engine()) as fresh:
        assert len(fresh.exec(select(Email)).all()) == 1
    # A new submission (the page renewed its token) is a new email.
    runner.perform_once(emails.send_email, actor=actor, token="tok-2", **fields)
    assert len(smtp.envelopes) == 2


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"to": ""}, "To needs at least one email address."),
        ({"to": "owner@maple"}, "To must be a valid email address, like name@example.com."),
        ({"to": "a@b.example, not an address"}, "To must be a valid email address"),
        ({"to": ", ".join(f"p{i}@x.example" for i in range(21))}, "at most 20 addresses"),
        ({"subject": "   "}, "Subject cannot be empty."),
        ({"subject": "s" * 301}, "Subject can be at most 300 characters."),
        ({"body": "b" * 20001}, "Message can be at most 20000 characters."),
    ],
)
def test_bad_input_changes_nothing(session, world, smtp, fields, expected):
    with pytest.raises(Invalid, match=re.escape(expected)):
        send(session, world, **fields)
    assert smtp.envelopes == []
    assert session.exec(select(Email)).all() == []
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "email_sent")).all() == []


def test_a_subject_cannot_smuggle_headers(session, world, smtp):
    send(session, world, subject="Hi\r\nBcc: spy@evil.example")
    message = parse(smtp.envelopes[0].original_content)
    assert message["Bcc"] is None
    assert smtp.envelopes[0].rcpt_tos == ["owner@maple.example"]


def test_only_this_clients_live_documents_can_be_attached(session, world, smtp):
    with pytest.raises(Invalid, match="not one of this client's documents"):
        send(session, world, attachment_document_id=world["foreign_document"].id)
    documents.delete_document(
        session=session, actor=world["staff"], document_id=world["document"].id
    )
    with pytest.raises(Invalid, match="not one of this client's documents"):
        send(session, world, attachment_document_id=world["document"].id)
    assert smtp.envelopes == []
    assert session.exec(select(Email)).all() == []


def test_bookkeepers_read_the_thread_but_cannot_send_or_delete(session, world, smtp):
    row = send(session, world)
    bk = world["bookkeeper"]
    with pytest.raises(Refused):
        send(session, world, actor=bk)
    with pytest.raises(Refused):
        emails.send_document(
            session=session,
            actor=bk,
            document_id=world["document"].id,
            to="x@y.example",
            subject="s",
            body="",
        )
    with pytest.raises(Refused):
        emails.delete_email(session=session, actor=bk, email_id=row.id)
    thread = emails.list_emails(session=session, actor=bk, client_id=world["client"].id)
    assert [r.id for r in thread] == [row.id]
    assert emails.list_emails(session=session, actor=bk, client_id=world["elsewhere"].id) == []
    assert len(smtp.envelopes) == 1


def test_another_firm_cannot_send_or_read(session, world, smtp):
    row = send(session, world)
    outsider = world["other_staff"]
    with pytest.raises(NotFound):
        send(session, world, actor=outsider)
    with pytest.raises(NotFound):
        emails.delete_email(session=session, actor=outsider, email_id=row.id)
    assert emails.list_emails(session=session, actor=outsider, client_id=world["client"].id) == []


def test_deleting_hides_the_message(session, world, smtp):
    first = send(session, world, subject="First")
    second = send(session, world, subject="Second")
    emails.delete_email(session=session, actor=world["staff"], email_id=first.id)
    thread = emails.list_emails(session=session, actor=world["staff"], client_id=world["client"].id)
    assert [r.subject for r in thread] == ["Second"]
    assert thread[0].id == second.id
    assert session.get(Email, first.id).deleted_at is not None
    with pytest.raises(NotFound):
        emails.delete_email(session=session, actor=world["staff"], email_id=first.id)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "email_deleted")).one()
    assert (event.target_id, event.client_id) == (first.id, world["client"].id)


SAMPLE = b"""From: Mary Maple <mary@maple.example>
To: Sam Staff <sam@alpha.example>
Subject: =?utf-8?q?Re=3A_April_statements_=E2=80=94_thanks?=
Date: Fri, 03 Apr 2026 09:15:00 -0400
Message-ID: <abc123@maple.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset="utf-8"

Thanks, got them.
See you Friday.
--b1
Content-Type: text/html; charset="utf-8"

<p>Thanks, <b>got them</b>.</p>
--b1--
"""

HTML_ONLY = b"""From: books@maple.example
To: sam@alpha.example
Subject: Receipts
Date: Sat, 04 Apr 2026 10:00:00 +0000
Message-ID: <def456@maple.example>
Content-Type: text/html; charset="utf-8"

<html><head><style>p {color: red}</style></head><body><p>Receipts for
March&nbsp;&amp; April.</p><script>alert(1)</script><p>Mary</p></body></html>
"""


def test_importing_an_eml_adds_it_to_the_thread(session, world, smtp):
    sent = send(session, world)
    email = emails.import_eml(session=session, client_id=world["client"].id, raw=SAMPLE)
    assert (email.direction, email.status) == ("in", "received")
    assert email.from_addr == "Mary Maple <mary@maple.example>"
    assert email.to_addr == "Sam Staff <sam@alpha.example>"
    assert email.subject == "Re: April statements — thanks"
    assert email.message_id == "<abc123@maple.example>"
    assert email.body == "Thanks, got them.\nSee you Friday."
    assert email.at.isoformat().startswith("2026-04-03T13:15:00")
    thread = emails.list_emails(session=session, actor=world["staff"], client_id=world["client"].id)
    # The imported message is older than the one just sent, so it comes first in the thread.
    assert [r.id for r in thread] == [email.id, sent.id]
    assert thread[0].at_label == "Apr 3, 2026, 13:15 UTC" and thread[0].sent_by == ""

    with pytest.raises(Conflict):
        emails.import_eml(session=session, client_id=world["client"].id, raw=SAMPLE)


def test_an_html_only_message_is_read_as_text(session, world):
    email = emails.import_eml(session=session, client_id=world["client"].id, raw=HTML_ONLY)
    assert email.body == "Receipts for March & April.\n\nMary"


def test_import_for_a_missing_client_is_refused(session, world):
    with pytest.raises(NotFound, match="no client with id 999999"):
        emails.import_eml(session=session, client_id=999999, raw=SAMPLE)


def test_the_import_command(session, world, tmp_path, capsys):
    first = tmp_path / "one.eml"
    first.write_bytes(SAMPLE)
    second = tmp_path / "two.eml"
    second.write_bytes(HTML_ONLY)
    client_id = world["client"].id

    assert cli.main(["import-eml", "--client-id", str(client_id), str(first), str(second)]) == 0
    out = capsys.readouterr().out
    assert "Imported" in out and "Re: April statements — thanks" in out and "Receipts" in out
    assert "2 imported, 0 skipped" in out

    assert cli.main(["import-eml", "--client-id", str(client_id), str(first)]) == 0
    assert "Skipped" in capsys.readouterr().out

    missing = tmp_path / "missing.eml"
    assert cli.main(["import-eml", "--client-id", str(client_id), str(second), str(missing)]) == 1
    assert "Cannot read" in capsys.readouterr().err
    assert cli.main(["import-eml", "--client-id", "999999", str(first)]) == 2
    assert "no client with id 999999" in capsys.readouterr().err

    with Session(get_engine()) as fresh:
        assert len(fresh.exec(select(Email).where(Email.client_id == client_id)).all()) == 2
