"""The in-app preview of CSV and plain-text documents: a table for CSV (header row, first
500 rows, ragged rows padded, UTF-8 with or without a byte-order mark, UTF-16 with one), the
first 200 KB of a .txt as text, both through the download's scope check (out of scope is not
found), the file's content only ever as text. The "view" route keeps its sandbox and sends
CSV and text as text/plain."""

from __future__ import annotations

import codecs
import io
import warnings

import pytest

from portal.auth import SESSION_COOKIE
from portal.services import document_preview, documents, sessions
from portal.services.documents import IncomingFile
from portal.services.errors import NotFound
from state.document_preview import DocumentPreviewState
from tests.factories import (
    actor_for,
    make_client,
    make_filing,
    make_firm,
    make_step,
    make_user,
    open_session,
)
from tests.support.handlers import page_state, run_handler

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

VIEW_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


@pytest.fixture
def world(session):
    firm = make_firm(session, "Preview Firm")
    staff = make_user(session, firm, "staff")
    bookkeeper = make_user(session, firm, "bookkeeper")
    client = make_client(session, firm, "Maple Bakery")
    make_step(session, make_filing(session, client), bookkeeper)
    elsewhere = make_client(session, firm, "Birch Garage")
    other_staff = make_user(session, make_firm(session, "Other"), "staff")
    session.commit()
    staff_actor = actor_for(staff)

    def put(name: str, data: bytes, target=client):
        row = documents.upload_documents(
            session=session,
            actor=staff_actor,
            client_id=target.id,
            files=[IncomingFile(name, io.BytesIO(data))],
        )[0]
        session.commit()
        return row

    return {
        "staff": staff,
        "bookkeeper": bookkeeper,
        "other_staff": other_staff,
        "client": client,
        "elsewhere": elsewhere,
        "put": put,
    }


def show(session, user, document_id):
    return document_preview.preview(session=session, actor=actor_for(user), document_id=document_id)


def test_a_csv_is_a_table_with_its_header_row(session, world):
    row = world["put"]("bank.csv", b"date,amount,memo\n2026-04-01,12.50,Coffee\n")
    assert row.preview_url == f"/documents/{row.id}"
    shown = show(session, world["staff"], row.id)
    assert shown.kind == "csv" and shown.filename == "bank.csv"
    assert shown.columns == ["date", "amount", "memo"]
    assert shown.rows == [["2026-04-01", "12.50", "Coffee"]]
    assert shown.notes == []
    assert shown.download_url == f"/documents/{row.id}/download"
    assert shown.client_url == f"/clients/{world['client'].id}"


def test_only_the_first_500_rows_with_a_note(session, world):
    body = "n,square\n" + "".join(f"{i},{i * i}\n" for i in range(1, 1201))
    shown = show(session, world["staff"], world["put"]("big.csv", body.encode()).id)
    assert len(shown.rows) == 500
    assert shown.rows[0] == ["1", "1"] and shown.rows[-1] == ["500", "250000"]
    assert shown.notes == ["Only the first 500 rows are shown. Download the file to see all of it."]
    exactly = "n\n" + "".join(f"{i}\n" for i in range(500))
    assert show(session, world["staff"], world["put"]("500.csv", exactly.encode()).id).notes == []


def test_ragged_rows_are_padded_and_blank_headers_named(session, world):
    data = b"a,,c\n1\n1,2,3,4\n\n"
    shown = show(session, world["staff"], world["put"]("ragged.csv", data).id)
    assert shown.columns == ["a", "Column 2", "c", "Column 4"]
    assert shown.rows == [["1", "", "", ""], ["1", "2", "3", "4"]]


def test_encodings_as_the_import_reads_them(session, world):
    text = "nom;montant\nCafé Crème;12,50\n"
    for name, data in (
        ("bom.csv", codecs.BOM_UTF8 + text.encode()),
        ("plain.csv", text.encode()),
        ("utf16.csv", text.encode("utf-16")),
    ):
        shown = show(session, world["staff"], world["put"](name, data).id)
        assert shown.columns == ["nom", "montant"], name
        assert shown.rows == [["Café Crème", "12,50"]], name
        assert shown.notes == [], name
    latin = show(session, world["staff"], world["put"]("latin.csv", text.encode("cp1252")).id)
    assert latin.rows[0][0] == "Caf\ufffd Cr\ufffdme"
    assert "not in UTF-8" in latin.notes[0]


def test_a_cell_holding_markup_is_only_text(session, world):
    data = b'name,note\n"<script>alert(1)</script>","<img src=x onerror=alert(2)>"\n'
    shown = show(session, world["staff"], world["put"]("evil.csv", data).id)
    assert shown.rows == [["<script>alert(1)</script>", "<img src=x onerror=alert(2)>"]]
    # On the page, the cell is a text child (escaped by React), never set as HTML.
    from pages.document_preview import document_preview_page

    rendered = str(document_preview_page().render())
    assert "dangerouslySetInnerHTML" not in rendered


def test_a_text_file_is_shown_as_text_up_to_200_kb(session, world):
    small = show(session, world["staff"], world["put"]("notes.txt", b"line 1\n<b>two</b>\n").id)
    assert (small.kind, small.text, small.notes) == ("text", "line 1\n<b>two</b>\n", [])
    big = ("é" * 150_000).encode()  # 300 KB of two-byte characters
    shown = show(session, world["staff"], world["put"]("big.txt", big).id)
    assert len(shown.text) == 200 * 1024 // 2 and set(shown.text) == {"é"}
    assert shown.notes == ["Only the first 200 KB are shown. Download the file to see all of it."]


def test_scope_is_the_downloads(session, world):
    mine = world["put"]("bank.csv", b"a,b\n1,2\n")
    theirs = world["put"]("garage.csv", b"a,b\n1,2\n", target=world["elsewhere"])
    assert show(session, world["bookkeeper"], mine.id).rows == [["1", "2"]]
    for user, document_id in (
        (world["bookkeeper"], theirs.id),
        (world["other_staff"], mine.id),
        (world["staff"], 999_999),
    ):
        with pytest.raises(NotFound):
            show(session, user, document_id)


def test_other_types_have_no_preview(session, world):
    pdf = world["put"]("r.pdf", b"%PDF-1.7\n%%EOF\n")
    assert pdf.preview_url == ""
    with pytest.raises(NotFound):
        show(session, world["staff"], pdf.id)


def test_the_page_state_keeps_out_of_scope_as_not_found(session, world, monkeypatch):
    from portal import auth

    theirs = world["put"]("garage.csv", b"a,b\n1,2\n", target=world["elsewhere"])
    token = open_session(session, world["bookkeeper"])
    session.commit()
    auth.set_acting(sessions.resolve(session=session, token=token).actor)
    # The id in the page's URL.
    monkeypatch.setattr(DocumentPreviewState, "_route_id", lambda self, name: theirs.id)
    state = page_state(DocumentPreviewState)
    run_handler(state, "load")
    assert state.page_status == "not_found"
    assert state.preview.rows == [] and state.preview.filename == ""


def test_the_view_route_sends_csv_as_plain_text_in_its_sandbox(session, world):
    from portal.http import routes_app

    row = world["put"]("bank.csv", b"a,b\n<script>x</script>,2\n")
    token = open_session(session, world["staff"])
    session.commit()
    with TestClient(routes_app()) as http:
        response = http.get(row.view_url, headers={"cookie": f"{SESSION_COOKIE}={token}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-security-policy"] == VIEW_CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == b"a,b\n<script>x</script>,2\n"
