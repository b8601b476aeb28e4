"""Documents: the type allowlist, the size cap, all-or-nothing batches, safe names, and scope."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from sqlmodel import select

from models import AuditEvent, Document, FilingStatus
from portal import storage
from portal.services import documents
from portal.services.documents import IncomingFile, sanitize_filename
from portal.services.errors import Invalid, NotFound, Refused
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

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)
CSV = b"date,amount\n2026-04-01,12.50\n"


def files(*pairs: tuple[str, bytes]) -> list[IncomingFile]:
    return [IncomingFile(name, io.BytesIO(data)) for name, data in pairs]


class Trickle:
    """A stream that cannot tell its size and would go on for ever; counts what was read."""

    def __init__(self, start: bytes = PDF):
        self.start = start
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        n = 65536 if n is None or n < 0 else n
        chunk = (self.start if self.read_bytes == 0 else b"") + b"x" * n
        chunk = chunk[:n]
        self.read_bytes += len(chunk)
        return chunk


def stored_files() -> list[Path]:
    root = get_settings().document_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def world(session):
    firm = make_firm(session, "Alpha")
    staff = make_user(session, firm, "staff")
    bookkeeper = make_user(session, firm, "bookkeeper")
    other_bookkeeper = make_user(session, firm, "bookkeeper")
    client = make_client(session, firm, "Maple Bakery")
    filing = make_filing(session, client, kind="GST/HST", period="Q1 2026")
    step = make_step(session, filing, bookkeeper)
    elsewhere = make_client(session, firm, "Birch Garage")
    other_firm = make_firm(session, "Beta")
    other_staff = make_user(session, other_firm, "staff")
    people = {
        "staff": actor_for(staff, make_login(session, staff)),
        "bookkeeper": actor_for(bookkeeper, make_login(session, bookkeeper)),
        "other_staff": actor_for(other_staff, make_login(session, other_staff)),
    }
    session.commit()
    return {
        "firm": firm,
        "client": client,
        "filing": filing,
        "step": step,
        "elsewhere": elsewhere,
        "other_bookkeeper_user": other_bookkeeper,
        **people,
    }


def upload(session, world, batch, *, client=None, filing_id=None, actor=None):
    return documents.upload_documents(
        session=session,
        actor=actor or world["staff"],
        client_id=(client or world["client"]).id,
        filing_id=filing_id,
        files=batch,
    )


def test_several_files_are_stored_at_once_with_the_type_we_assign(session, world):
    rows = upload(
        session,
        world,
        files(("Receipts.pdf", PDF), ("bank.CSV", CSV), ("ledger.xlsx", b"PK\x03\x04data")),
        filing_id=world["filing"].id,
    )
    assert [r.filename for r in rows] == ["Receipts.pdf", "bank.CSV", "ledger.xlsx"]
    assert [r.content_type for r in rows] == [
        "application/pdf",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
    assert [r.viewable for r in rows] == [True, True, False]
    pdf = rows[0]
    assert pdf.filing_id == world["filing"].id and pdf.filing_label == "GST/HST Q1 2026"
    assert pdf.download_url == f"/documents/{pdf.id}/download"
    assert pdf.view_url == f"/documents/{pdf.id}/view"
    assert rows[2].view_url == ""
    assert pdf.size_label == f"{len(PDF)} bytes"

    stored = {d.id: d for d in session.exec(select(Document)).all()}
    assert len(stored) == 3
    for row, data in zip(rows, (PDF, CSV, b"PK\x03\x04data"), strict=True):
        document = stored[row.id]
        path = storage.open_path(document.storage_key)
        assert path.read_bytes() == data
        assert path.parent.parent == get_settings().document_dir
        assert path.name == document.storage_key and path.parent.name == document.storage_key[:2]
        assert document.sha256 == hashlib.sha256(data).hexdigest()
        assert document.size_bytes == len(data)
        assert document.uploaded_by_id == world["staff"].user_id
    assert len(stored_files()) == 3
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "document_uploaded")).all()
    assert sorted(e.target_id for e in events) == sorted(stored)
    assert {e.client_id for e in events} == {world["client"].id}


def test_listing_is_newest_first_and_can_be_narrowed_to_a_filing(session, world):
    first = upload(session, world, files(("a.pdf", PDF)), filing_id=world["filing"].id)
    second = upload(session, world, files(("b.txt", b"notes")))
    listed = documents.list_documents(
        session=session, actor=world["staff"], client_id=world["client"].id
    )
    assert [r.id for r in listed] == [second[0].id, first[0].id]
    assert listed[0].filing_id == 0 and listed[0].filing_label == ""
    only_filing = documents.list_documents(
        session=session,
        actor=world["staff"],
        client_id=world["client"].id,
        filing_id=world["filing"].id,
    )
    assert [r.id for r in only_filing] == [first[0].id]


def test_a_type_not_on_the_list_is_refused_by_name(session, world):
    with pytest.raises(Invalid) as refused:
        upload(session, world, files(("x.exe", EXE)))
    assert refused.value.message.startswith(
        "“x.exe”: this type of file is not accepted. Accepted: PDF, PNG, JPEG, CSV, TXT"
    )
    with pytest.raises(Invalid, match="“README”: this type of file is not accepted"):
        upload(session, world, files(("README", b"hello")))
    assert stored_files() == []


@pytest.mark.parametrize(
    ("name", "data"),
    [("invoice.pdf", EXE), ("photo.png", JPEG), ("scan.jpg", PNG), ("scan.jpeg", PDF)],
)
def test_a_file_whose_bytes_do_not_match_its_name_is_refused(session, world, name, data):
    with pytest.raises(Invalid, match=re.escape(f"“{name}” is not really a")):
        upload(session, world, files((name, data)))
    assert stored_files() == []
    assert session.exec(select(Document)).all() == []


def test_real_images_pass_the_content_check(session, world):
    rows = upload(session, world, files(("p.png", PNG), ("j.JPG", JPEG), ("k.jpeg", JPEG)))
    assert [r.content_type for r in rows] == ["image/png", "image/jpeg", "image/jpeg"]


def test_an_empty_file_is_refused(session, world):
    with pytest.raises(Invalid, match=re.escape("“empty.csv” is empty.")):
        upload(session, world, files(("empty.csv", b"")))
    assert stored_files() == []


def test_the_size_cap_names_the_size_and_the_limit(session, world, monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    big = PDF + b"x" * (int(2.5 * 1024 * 1024) - len(PDF))
    with pytest.raises(Invalid) as refused:
        upload(session, world, files(("big.pdf", big)))
    assert refused.value.message == "“big.pdf” is 2.5 MB; the limit is 1 MB."
    exactly = PDF + b"x" * (1024 * 1024 - len(PDF))
    assert upload(session, world, files(("exact.pdf", exactly)))[0].size_label == "1.0 MB"


def test_a_stream_of_unknown_size_is_stopped_at_the_cap(session, world, monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    endless = Trickle()
    with pytest.raises(Invalid) as refused:
        upload(session, world, [IncomingFile("endless.pdf", endless)])
    assert refused.value.message == "“endless.pdf” is larger than the 1 MB limit."
    assert endless.read_bytes <= 1024 * 1024 + storage.CHUNK_BYTES
    assert stored_files() == []


def test_one_refused_file_refuses_the_whole_batch(session, world, monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    batch = [
        *files(("good.pdf", PDF), ("good.csv", CSV), ("bad.exe", EXE)),
        IncomingFile("huge.pdf", Trickle()),
    ]
    with pytest.raises(Invalid) as refused:
        upload(session, world, batch)
    message = refused.value.message
    assert "“bad.exe”: this type of file is not accepted." in message
    assert "“huge.pdf” is larger than the 1 MB limit." in message
    assert "good" not in message
    assert stored_files() == []
    assert session.exec(select(Document)).all() == []
    assert session.exec(select(AuditEvent)).all() == []


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/abs/path.pdf", "path.pdf"),
        ("C:\\Users\\me\\Desktop\\T4 slip.pdf", "T4 slip.pdf"),
        ("re\x00port\n2026.pdf", "report 2026.pdf"),
        ("  many   \t spaces .pdf", "many spaces .pdf"),
        (".htaccess", "htaccess"),
        ("...", "document"),
        ("", "document"),
        ("../", "document"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("trailing dots.pdf...", "trailing dots.pdf"),
    ],
)
def test_filenames_lose_paths_and_control_characters(raw, clean):
    assert sanitize_filename(raw) == clean


def test_long_filenames_keep_their_extension():
    name = sanitize_filename("a" * 300 + ".xlsx")
    assert len(name) == 120 and name.endswith(".xlsx")
    assert len(sanitize_filename("b" * 300)) == 120


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "/abs/path.pdf", "../\x00\nnul.pdf"],
)
def test_path_tricks_never_leave_the_document_dir(session, world, name):
    row = upload(session, world, files((name, PDF)))[0]
    assert "/" not in row.filename and "\\" not in row.filename
    assert "\x00" not in row.filename and "\n" not in row.filename
    root = get_settings().document_dir
    for path in stored_files():
        assert path.resolve().is_relative_to(root)
    document = session.get(Document, row.id)
    assert document.storage_key not in row.filename
    assert storage.open_path(document.storage_key).read_bytes() == PDF


def test_storage_keys_are_checked_before_any_path_is_built():
    for key in ("../../etc/passwd", "ABCDEF" * 6, "", "0" * 31, "g" * 32, "0" * 32 + "/x"):
        with pytest.raises(storage.BadKey):
            storage.path_for(key)


def test_documents_never_go_into_reflexs_public_upload_folder(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("REFLEX_UPLOADED_FILES_DIR", str(tmp_path / "public"))
    monkeypatch.setenv("PORTAL_DOCUMENT_DIR", str(tmp_path / "public" / "docs"))
    get_settings.cache_clear()
    with pytest.raises(RuntimeError, match="public upload folder"):
        storage.save(io.BytesIO(PDF), max_bytes=1000)


def test_a_bookkeeper_sees_only_clients_their_step_is_on(session, world):
    mine = upload(session, world, files(("mine.pdf", PDF)))[0]
    theirs = upload(session, world, files(("theirs.pdf", PDF)), client=world["elsewhere"])[0]
    bk = world["bookkeeper"]

    listed = documents.list_documents(session=session, actor=bk, client_id=world["client"].id)
    assert [r.id for r in listed] == [mine.id]
    opened = documents.open_document(session=session, actor=bk, document_id=mine.id)
    assert opened.path.read_bytes() == PDF and opened.inline_ok
    assert (opened.filename, opened.content_type) == ("mine.pdf", "application/pdf")

    assert (
        documents.list_documents(session=session, actor=bk, client_id=world["elsewhere"].id) == []
    )
    with pytest.raises(NotFound):
        documents.open_document(session=session, actor=bk, document_id=theirs.id)


def test_a_filed_filing_ends_the_bookkeepers_access(session, world):
    mine = upload(session, world, files(("mine.pdf", PDF)))[0]
    world["filing"].status = FilingStatus.FILED.value
    session.add(world["filing"])
    session.commit()
    bk = world["bookkeeper"]
    assert documents.list_documents(session=session, actor=bk, client_id=world["client"].id) == []
    with pytest.raises(NotFound):
        documents.open_document(session=session, actor=bk, document_id=mine.id)


def test_reassigning_the_step_ends_the_bookkeepers_access(session, world):
    mine = upload(session, world, files(("mine.pdf", PDF)))[0]
    world["step"].assignee_id = world["other_bookkeeper_user"].id
    session.add(world["step"])
    session.commit()
    with pytest.raises(NotFound):
        documents.open_document(session=session, actor=world["bookkeeper"], document_id=mine.id)


def test_another_firm_reads_as_not_found(session, world):
    mine = upload(session, world, files(("mine.pdf", PDF)))[0]
    outsider = world["other_staff"]
    with pytest.raises(NotFound):
        documents.open_document(session=session, actor=outsider, document_id=mine.id)
    with pytest.raises(NotFound):
        documents.delete_document(session=session, actor=outsider, document_id=mine.id)
    with pytest.raises(NotFound):
        upload(session, world, files(("x.pdf", PDF)), actor=outsider)
    assert (
        documents.list_documents(session=session, actor=outsider, client_id=world["client"].id)
        == []
    )
    assert storage.open_path(session.get(Document, mine.id).storage_key).exists()


def test_a_filing_of_another_client_cannot_be_named(session, world):
    other_filing = make_filing(session, world["elsewhere"])
    with pytest.raises(NotFound):
        upload(session, world, files(("x.pdf", PDF)), filing_id=other_filing.id)
    assert stored_files() == []


def test_bookkeepers_cannot_upload_or_delete(session, world):
    mine = upload(session, world, files(("mine.pdf", PDF)))[0]
    with pytest.raises(Refused):
        upload(session, world, files(("x.pdf", PDF)), actor=world["bookkeeper"])
    with pytest.raises(Refused):
        documents.delete_document(session=session, actor=world["bookkeeper"], document_id=mine.id)
    assert len(stored_files()) == 1


def test_deleting_removes_the_bytes_and_hides_the_document(session, world):
    mine, kept = upload(session, world, files(("mine.pdf", PDF), ("kept.csv", CSV)))
    path = storage.open_path(session.get(Document, mine.id).storage_key)
    documents.delete_document(session=session, actor=world["staff"], document_id=mine.id)
    session.commit()

    assert not path.exists()
    assert session.get(Document, mine.id).deleted_at is not None
    listed = documents.list_documents(
        session=session, actor=world["staff"], client_id=world["client"].id
    )
    assert [r.id for r in listed] == [kept.id]
    with pytest.raises(NotFound):
        documents.open_document(session=session, actor=world["staff"], document_id=mine.id)
    with pytest.raises(NotFound):
        documents.delete_document(session=session, actor=world["staff"], document_id=mine.id)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "document_deleted")).one()
    assert (event.target_id, event.client_id) == (mine.id, world["client"].id)
