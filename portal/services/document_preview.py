"""A document's in-app preview: a CSV file as a table (its header row and the first 500
rows), a plain-text file as preformatted text (its first 200 KB). The file is read through
the same scope check as its download (documents.open_document: out of scope is not found),
and what it holds is only ever data for the page to show as text, never markup.

Encodings as the client import reads them: UTF-8 (a byte-order mark dropped), or UTF-16
with its byte-order mark. Anything else is shown as UTF-8 with the unreadable bytes replaced,
and the page says so.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field

from sqlmodel import Session

from portal import routes
from portal.auth import Actor
from portal.db import reads_only
from portal.services import documents
from portal.services.errors import NotFound

MAX_ROWS = 500
# What a CSV preview reads at most: 500 rows of a usual export fit many times over.
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_TEXT_BYTES = 200 * 1024
# A row's cells beyond these are left out of the table (the download has them all).
MAX_COLUMNS = 100
MAX_CELL_CHARS = 1000
_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class Preview:
    document_id: int = 0
    filename: str = ""
    # "csv" (a table) or "text" (preformatted).
    kind: str = ""
    client_id: int = 0
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    text: str = ""
    # What the preview leaves out or could not read, in words ("" when it shows it all).
    notes: list[str] = field(default_factory=list)
    download_url: str = ""
    client_url: str = ""


def _read(path, limit: int) -> tuple[bytes, bool]:
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    return data[:limit], len(data) > limit


def _decode(data: bytes, cut: bool) -> tuple[str, str]:
    """The text, and a note when it was not clean UTF-8 / UTF-16 (shown anyway)."""
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8", data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data
    else:
        encoding, body = "utf-8", data
    # A cut in the middle of a character drops that character, not the whole file.
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    note = ""
    try:
        text = decoder.decode(body, final=not cut)
    except UnicodeDecodeError:
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        text = decoder.decode(body, final=not cut)
        note = (
            "This file is not in UTF-8, so some characters could not be read and are shown "
            "as \ufffd. Download it to open it in its own program."
        )
    return text.replace("\x00", "\ufffd"), note


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _cell(value: str) -> str:
    return value if len(value) <= MAX_CELL_CHARS else value[:MAX_CELL_CHARS] + "…"


def _table(text: str, cut: bool) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, rows and notes. Ragged rows are padded to the widest row; a header cell that
    is empty or missing is named by its column number."""
    notes: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    parsed: list[list[str]] = []
    more = False
    for record in reader:
        if not record:
            continue  # a blank line is no row
        if len(parsed) > MAX_ROWS:
            more = True
            break
        parsed.append(record)
    if cut and not more and parsed:
        parsed.pop()  # the last row read may have been cut off mid-way
        more = True
    if not parsed:
        return [], [], notes
    width = max(len(record) for record in parsed)
    if width > MAX_COLUMNS:
        notes.append(f"Only the first {MAX_COLUMNS} of {width} columns are shown.")
        width = MAX_COLUMNS
    header, *body = parsed
    columns = [
        _cell(header[i].strip()) if i < len(header) and header[i].strip() else f"Column {i + 1}"
        for i in range(width)
    ]
    rows = [[_cell(r[i]) if i < len(r) else "" for i in range(width)] for r in body]
    if more:
        notes.append(
            f"Only the first {len(rows)} rows are shown. Download the file to see all of it."
        )
    return columns, rows, notes


@reads_only
def preview(*, session: Session, actor: Actor, document_id: int) -> Preview:
    """The preview of a CSV or plain-text document the actor may open; anything else, and
    anything out of their scope, is not found."""
    opened = documents.open_document(session=session, actor=actor, document_id=document_id)
    if not documents.is_previewable(opened.content_type):
        raise NotFound
    common = {
        "document_id": document_id,
        "filename": opened.filename,
        "client_id": opened.client_id,
        "download_url": routes.document_download(document_id),
        "client_url": routes.client(opened.client_id),
    }
    is_csv = opened.content_type == "text/csv"
    try:
        data, cut = _read(opened.path, MAX_CSV_BYTES if is_csv else MAX_TEXT_BYTES)
    except FileNotFoundError:
        raise NotFound from None
    text, encoding_note = _decode(data, cut)
    notes = [encoding_note] if encoding_note else []
    if is_csv:
        try:
            columns, rows, table_notes = _table(text, cut)
        except csv.Error:
            notes.append("This file could not be read as a table; it is shown as text.")
        else:
            return Preview(
                kind="csv", columns=columns, rows=rows, notes=notes + table_notes, **common
            )
        cut = cut or len(text) > MAX_TEXT_BYTES
        text = text[:MAX_TEXT_BYTES]
    if cut:
        notes.append(
            f"Only the first {MAX_TEXT_BYTES // 1024} KB are shown. "
            "Download the file to see all of it."
        )
    return Preview(kind="text", text=text, notes=notes, **common)
