"""The document routes, in process, with sessions opened by signing in for real.

Every refusal must be the same 404, so a response never tells whether a document exists.
"""

from __future__ import annotations

import io
import warnings
from html.parser import HTMLParser

import pytest
from sqlmodel import select

with warnings.catch_warnings():
    # The project pins httpx, not httpx2; Starlette's nudge toward the latter is not news here.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from models import AuditEvent
from portal.auth import SESSION_COOKIE
from portal.http import routes_app
from portal.services import documents, sessions
from portal.services.documents import IncomingFile
from tests.factories import (
    actor_for,
    make_client,
    make_filing,
    make_firm,
    make_step,
    make_user,
    open_session,
)

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
XLSX = b"PK\x03\x04 a spreadsheet"
VIEW_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
NOT_FOUND_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def cookie(token: str) -> dict[str, str]:
    return {"cookie": f"{SESSION_COOKIE}={token}"}


@pytest.fixture
def http():
    with TestClient(routes_app()) as client:
        yield client


@pytest.fixture
def world(session):
    firm = make_firm(session, "Alpha")
    staff = make_user(session, firm, "staff")
    bookkeeper = make_user(session, firm, "bookkeeper")
    stand_in = make_user(session, firm, "bookkeeper")
    client = make_client(session, firm, "Maple Bakery")
    step = make_step(session, make_filing(session, client), bookkeeper)
    elsewhere = make_client(session, firm, "Birch Garage")
    other_firm = make_firm(session, "Beta")
    other_staff = make_user(session, other_firm, "staff")
    staff_actor = actor_for(staff)

    def put(target, name, data):
        return documents.upload_documents(
            session=session,
            actor=staff_actor,
            client_id=target.id,
            files=[IncomingFile(name, io.BytesIO(data))],
        )[0]

    rows = {
        "pdf": put(client, "Relevé d\u2019impôt 2025.pdf", PDF),
        "xlsx": put(client, 'ledger "final".xlsx', XLSX),
        "elsewhere": put(elsewhere, "garage.pdf", PDF),
    }
    session.commit()
    return {
        "session": session,
        "staff": staff,
        "bookkeeper": bookkeeper,
        "stand_in": stand_in,
        "step": step,
        "other_staff": other_staff,
        "staff_actor": staff_actor,
        **rows,
    }


def refusals(session) -> list[AuditEvent]:
    session.expire_all()
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.action == "refused").order_by(AuditEvent.id)
        ).all()
    )


def assert_not_found(response, reference=None):
    """The one refusal: the "Document not available" page, whatever the reason. With a
    reference, the very same bytes and headers as that other refusal."""
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Document not available</h1>" in response.text
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-security-policy"] == NOT_FOUND_CSP
    assert "content-disposition" not in response.headers
    if reference is not None:
        assert response.content == reference.content
        assert dict(response.headers) == dict(reference.headers)


def test_staff_download_the_bytes_with_safe_headers(session, world, http):
    token = open_session(session, world["staff"])
    pdf = world["pdf"]
    response = http.get(pdf.download_url, headers=cookie(token))
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="Relev_ d_imp_t 2025.pdf"; '
        "filename*=UTF-8''Relev%C3%A9%20d%E2%80%99imp%C3%B4t%202025.pdf"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"
    assert "content-security-policy" not in response.headers


def test_view_is_inline_and_sandboxed(session, world, http):
    token = open_session(session, world["staff"])
    response = http.get(world["pdf"].view_url, headers=cookie(token))
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-disposition"].startswith("inline; filename=")
    assert response.headers["content-security-policy"] == VIEW_CSP
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_quote_in_the_name_cannot_break_the_header(session, world, http):
    token = open_session(session, world["staff"])
    response = http.get(world["xlsx"].download_url, headers=cookie(token))
    assert response.status_code == 200 and response.content == XLSX
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"ledger _final_.xlsx\"; filename*=UTF-8''ledger%20%22final%22.xlsx"
    )
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_view_is_refused_for_types_not_shown_inline(session, world, http):
    token = open_session(session, world["staff"])
    reference = http.get(world["pdf"].download_url)
    xlsx = world["xlsx"]
    assert_not_found(
        http.get(f"/documents/{xlsx.id}/view", headers=cookie(token)), reference=reference
    )
    assert [e.detail for e in refusals(session)] == [f"document {xlsx.id}"]


def test_signed_out_is_not_found_and_is_not_logged_as_a_person(session, world, http):
    response = http.get(world["pdf"].download_url)
    assert_not_found(response)
    assert_not_found(http.get(world["pdf"].view_url), reference=response)
    assert_not_found(
        http.get(world["pdf"].download_url, headers=cookie("x" * 43)), reference=response
    )
    assert refusals(session) == []


def test_another_firms_staff_get_the_same_404(session, world, http):
    reference = http.get(world["pdf"].download_url)
    token = open_session(session, world["other_staff"])
    assert_not_found(http.get(world["pdf"].download_url, headers=cookie(token)), reference)
    events = refusals(session)
    assert [(e.target_type, e.detail, e.actor_id) for e in events] == [
        ("download", f"document {world['pdf'].id}", world["other_staff"].id)
    ]


def test_a_bookkeeper_gets_only_documents_in_scope(session, world, http):
    token = open_session(session, world["bookkeeper"])
    mine = http.get(world["pdf"].download_url, headers=cookie(token))
    assert mine.status_code == 200 and mine.content == PDF
    reference = http.get(world["elsewhere"].download_url)
    response = http.get(world["elsewhere"].download_url, headers=cookie(token))
    assert_not_found(response, reference)
    assert response.content == reference.content


def test_reassigning_the_step_refuses_the_very_next_request(session, world, http):
    token = open_session(session, world["bookkeeper"])
    url = world["pdf"].download_url
    assert http.get(url, headers=cookie(token)).status_code == 200
    step = world["step"]
    step.assignee_id = world["stand_in"].id
    session.add(step)
    session.commit()
    assert_not_found(http.get(url, headers=cookie(token)), http.get(url))


def test_an_ended_session_is_refused_at_once(session, world, http):
    token = open_session(session, world["staff"])
    url = world["pdf"].download_url
    assert http.get(url, headers=cookie(token)).status_code == 200
    resolved = sessions.resolve(session=session, token=token)
    sessions.end(session=session, session_id=resolved.actor.session_id, reason="signed out")
    session.commit()
    assert_not_found(http.get(url, headers=cookie(token)), http.get(url))


def test_someone_who_must_change_their_password_gets_nothing_yet(session, world, http):
    user = world["staff"]
    token = open_session(session, user)
    user.must_change_password = True
    session.add(user)
    session.commit()
    assert_not_found(http.get(world["pdf"].download_url, headers=cookie(token)))


def test_a_deleted_document_is_not_found(session, world, http):
    token = open_session(session, world["staff"])
    url = world["pdf"].download_url
    documents.delete_document(
        session=session, actor=world["staff_actor"], document_id=world["pdf"].id
    )
    session.commit()
    assert_not_found(http.get(url, headers=cookie(token)), http.get(url))
    assert_not_found(
        http.get(world["pdf"].view_url, headers=cookie(token)),
        http.get("/documents/999999/view", headers=cookie(token)),
    )


class _Page(HTMLParser):
    """What a person sees of an HTML page: its title, headings, text, links and scripts."""

    def __init__(self):
        super().__init__()
        self.title = ""
        self.h1 = ""
        self.text = ""
        self.links: list[str] = []
        self.scripts = 0
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._in.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href", ""))
        if tag in ("script", "iframe", "object", "embed", "img", "form"):
            self.scripts += 1

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        where = self._in[-1] if self._in else ""
        if where == "title":
            self.title += data
        elif where == "h1":
            self.h1 += data
        elif where != "style":
            self.text += data


def test_the_refusal_is_a_page_that_says_what_happened(session, world, http):
    """A View opens in a new tab; someone whose document was just deleted reads why there,
    and has a way back."""
    token = open_session(session, world["staff"])
    documents.delete_document(
        session=session, actor=world["staff_actor"], document_id=world["pdf"].id
    )
    session.commit()
    response = http.get(world["pdf"].view_url, headers=cookie(token))
    assert_not_found(response)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.text.startswith("<!doctype html>")
    page = _Page()
    page.feed(response.text)
    assert page.title.startswith("Document not available")
    assert page.h1 == "Document not available"
    words = " ".join(page.text.split())
    assert "This document has been deleted, or it is no longer available to you." in words
    assert page.links == ["/"]
    assert page.scripts == 0
    # Nothing about the document, the person or the reason reaches the page.
    for detail in ("Relev", ".pdf", world["pdf"].view_url, world["staff"].email, "Not found"):
        assert detail not in response.text


def test_every_reason_gets_the_same_bytes(session, world, http):
    """Missing, deleted, another firm's, out of a bookkeeper's scope, a bad id, signed out,
    signed out with a stale cookie: one answer, so none of them can be told apart."""
    staff = open_session(session, world["staff"])
    bookkeeper = open_session(session, world["bookkeeper"])
    other_firm = open_session(session, world["other_staff"])
    deleted = world["xlsx"]
    documents.delete_document(session=session, actor=world["staff_actor"], document_id=deleted.id)
    session.commit()
    answers = {
        "missing": http.get("/documents/999999/download", headers=cookie(staff)),
        "deleted": http.get(deleted.download_url, headers=cookie(staff)),
        "another firm's": http.get(world["pdf"].download_url, headers=cookie(other_firm)),
        "out of scope": http.get(world["elsewhere"].download_url, headers=cookie(bookkeeper)),
        "out of scope, view": http.get(world["elsewhere"].view_url, headers=cookie(bookkeeper)),
        "bad id": http.get("/documents/abc/view", headers=cookie(staff)),
        "signed out": http.get(world["pdf"].view_url),
        "stale cookie": http.get(world["pdf"].download_url, headers=cookie("x" * 43)),
    }
    reference = answers["missing"]
    assert_not_found(reference)
    for reason, response in answers.items():
        assert (response.status_code, response.content) == (404, reference.content), reason
        assert dict(response.headers) == dict(reference.headers), reason


@pytest.mark.parametrize(
    "path",
    [
        "/documents/abc/download",
        "/documents/0/download",
        "/documents/-1/download",
        "/documents/1.0/download",
        "/documents/%201/download",
        "/documents/99999999999999999999999999/download",
        "/documents/..%2F..%2Fetc%2Fpasswd/download",
        "/documents/..%2F..%2Fetc%2Fpasswd/view",
        "/documents/1%2F..%2F1/download",
        "/documents/%EF%BC%91/download",
        "/documents/%E2%80%AE1/download",
        f"/documents/{'1' * 5000}/download",
        "/documents/999999/view",
    ],
)
def test_ids_that_are_not_documents_get_the_same_404(session, world, http, path):
    reference = http.get(world["pdf"].download_url)
    token = open_session(session, world["staff"])
    response = http.get(path, headers=cookie(token))
    assert_not_found(response, reference)
    assert b"root:" not in response.content
    assert [e.target_type for e in refusals(session)] == ["download"]
