"""Client documents: upload, list, open and delete, each under the scope rule.

The browser's idea of a file's type is never trusted: the extension must be on our list, we
assign the content type ourselves, and for the types a browser would render (PDF, images) the
first bytes must agree with the extension, so a disguised file is refused rather than served.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam
from sqlmodel import Session, select

from models import Document, Filing, utcnow
from portal import routes, storage
from portal.auth import Actor
from portal.services import audit, clients, display, live
from portal.services.errors import Invalid, NotFound
from portal.services.scope import client_id_visible, require_staff
from portal.services.statements import built
from portal.settings import get_settings
from portal.storage import Readable

log = logging.getLogger("portal.documents")

MAX_FILENAME_CHARS = 120
MAX_FILES_PER_UPLOAD = 20
DEFAULT_FILENAME = "document"


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    magic: tuple[bytes, ...] = ()  # the file must start with one of these (empty: no check)
    viewable: bool = False  # safe to show inline, in a sandbox


_PDF = FileType("PDF", "application/pdf", (b"%PDF-",), viewable=True)
_PNG = FileType("PNG", "image/png", (b"\x89PNG\r\n\x1a\n",), viewable=True)
_JPEG = FileType("JPEG", "image/jpeg", (b"\xff\xd8\xff",), viewable=True)

# By extension, in the order the "Accepted:" message lists them.
FILE_TYPES: dict[str, FileType] = {
    "pdf": _PDF,
    "png": _PNG,
    "jpg": _JPEG,
    "jpeg": _JPEG,
    "csv": FileType("CSV", "text/csv", viewable=True),
    "txt": FileType("TXT", "text/plain", viewable=True),
    "xlsx": FileType("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "xls": FileType("XLS", "application/vnd.ms-excel"),
    "docx": FileType(
        "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    "doc": FileType("DOC", "application/msword"),
    "ods": FileType("ODS", "application/vnd.oasis.opendocument.spreadsheet"),
    "odt": FileType("ODT", "application/vnd.oasis.opendocument.text"),
    "ofx": FileType("OFX", "application/x-ofx"),
    "qfx": FileType("QFX", "application/vnd.intu.qfx"),
    "qbo": FileType("QBO", "application/vnd.intu.qbo"),
}
ACCEPTED_LABELS = ", ".join(dict.fromkeys(t.label for t in FILE_TYPES.values()))
# For a file input's `accept` attribute.
ACCEPT_EXTENSIONS = ",".join(f".{ext}" for ext in FILE_TYPES)
VIEWABLE_CONTENT_TYPES = frozenset(t.content_type for t in FILE_TYPES.values() if t.viewable)


@dataclass(frozen=True)
class IncomingFile:
    """One file from an upload: the name the browser sent and something to read it from."""

    name: str
    stream: Readable


@dataclass(frozen=True)
class DocumentRow:
    id: int
    filename: str
    content_type: str
    size_label: str
    uploaded_label: str
    filing_id: int  # 0 when the document is on the client, not a filing
    filing_label: str
    download_url: str
    view_url: str  # "" when the type is not shown inline
    viewable: bool
    # The in-app preview (CSV as a table, plain text), "" for other types.
    preview_url: str = ""


@dataclass(frozen=True)
class OpenDocument:
    path: Path
    filename: str
    content_type: str
    size_bytes: int
    inline_ok: bool
    client_id: int = 0


def _limit_label(limit: int) -> str:
    mb = limit / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else display.size(limit)


def filing_label(filing: Filing | None) -> str:
    return "" if filing is None else display.filing_title(filing.kind, filing.period)


def is_viewable(content_type: str) -> bool:
    return content_type in VIEWABLE_CONTENT_TYPES


# Shown on a page of the app (portal/services/document_preview.py), never rendered by the
# browser from the file itself.
PREVIEW_CONTENT_TYPES = frozenset({"text/csv", "text/plain"})


def is_previewable(content_type: str) -> bool:
    return content_type in PREVIEW_CONTENT_TYPES


_SPACE_LIKE = {"\t", "\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x1f", "\x85"}


def sanitize_filename(name: str) -> str:
    """A name safe to show and to put in a header: only the last path part survives, with no
    control or direction-changing characters (which can disguise "exe.pdf" as "fdp.exe")."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        " " if ch in _SPACE_LIKE else ch
        for ch in text
        if ch in _SPACE_LIKE or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
    )
    text = " ".join(text.split()).lstrip(". ").rstrip(". ")
    if len(text) > MAX_FILENAME_CHARS:
        stem, dot, ext = text.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            keep = MAX_FILENAME_CHARS - len(ext) - 1
            text = f"{stem[:keep].rstrip(' .')}.{ext}"
        else:
            text = text[:MAX_FILENAME_CHARS].rstrip(" .")
    return text or DEFAULT_FILENAME


def file_type_for(filename: str) -> FileType | None:
    _, dot, ext = filename.rpartition(".")
    return FILE_TYPES.get(ext.lower()) if dot else None


def _declared_size(stream: Readable) -> int | None:
    """The size of a stream when it can be known without reading it (an upload's spool)."""
    size = getattr(stream, "size", None)
    if isinstance(size, int):
        return size
    try:
        if stream.seekable():  # type: ignore[attr-defined]
            here = stream.tell()  # type: ignore[attr-defined]
            end = stream.seek(0, os.SEEK_END)  # type: ignore[attr-defined]
            stream.seek(here)  # type: ignore[attr-defined]
            return end - here
    except (AttributeError, OSError, ValueError):
        pass
    return None


def _row(document: Document, filing: Filing | None) -> DocumentRow:
    viewable = is_viewable(document.content_type)
    return DocumentRow(
        id=document.id,
        filename=document.filename,
        content_type=document.content_type,
        size_label=display.size(document.size_bytes),
        uploaded_label=display.day(document.created_at),
        filing_id=document.filing_id or 0,
        filing_label=filing_label(filing),
        download_url=routes.document_download(document.id),
        view_url=routes.document_view(document.id) if viewable else "",
        viewable=viewable,
        preview_url=routes.document(document.id) if is_previewable(document.content_type) else "",
    )


def upload_documents(
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    filing_id: int | None = None,
    files: Sequence[IncomingFile],
) -> list[DocumentRow]:
    """Store a batch of files for a client, all or nothing.

    Every file is checked before the batch is accepted, so one message can name each problem;
    when any file is refused, the bytes already written for the others are removed again.
    """
    require_staff(actor)
    client = clients.load(session, actor, client_id)
    filing = None
    if filing_id:
        filing = session.exec(
            select(Filing).where(
                Filing.id == filing_id,
                Filing.client_id == client.id,
                Filing.firm_id == client.firm_id,
            )
        ).first()
        if filing is None:
            raise NotFound("That filing was not found for this client.")
    if not files:
        raise Invalid("Choose at least one file to upload.")
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise Invalid(f"Upload at most {MAX_FILES_PER_UPLOAD} files at a time.")

    limit = get_settings().max_upload_bytes
    problems: list[str] = []
    stored: list[tuple[str, FileType, storage.Stored]] = []
    documents: list[Document] = []
    try:
        for incoming in files:
            name = sanitize_filename(incoming.name)
            problem, kept = _store_one(name, incoming.stream, limit)
            if problem:
                problems.append(problem)
            elif kept is not None:
                stored.append((name, *kept))
        if problems:
            raise Invalid(" ".join(problems))

        now = utcnow()
        for name, kind, saved in stored:
            document = Document(
                firm_id=client.firm_id,
                client_id=client.id,
                filing_id=filing.id if filing else None,
                storage_key=saved.key,
                filename=name,
                content_type=kind.content_type,
                size_bytes=saved.size_bytes,
                sha256=saved.sha256,
                uploaded_by_id=actor.user_id,
                created_at=now,
            )
            session.add(document)
            documents.append(document)
        session.flush()
        for document in documents:
            audit.record(
                session=session,
                actor=actor,
                action="document_uploaded",
                target_type="document",
                target_id=document.id,
                client_id=client.id,
                detail=f"{document.filename} ({display.size(document.size_bytes)})",
                at=now,
            )
        session.flush()
    except BaseException:
        for _, _, saved in stored:
            storage.delete(saved.key)
        raise
    live.changed(session, client_id=client.id, filing_id=filing.id if filing else None)
    return [_row(document, filing) for document in documents]


def _store_one(
    name: str, stream: Readable, limit: int
) -> tuple[str | None, tuple[FileType, storage.Stored] | None]:
    """Write one file, or say in words why it is refused (and leave nothing of it on disk)."""
    kind = file_type_for(name)
    if kind is None:
        return f"“{name}”: this type of file is not accepted. Accepted: {ACCEPTED_LABELS}.", None
    declared = _declared_size(stream)
    if declared is not None and declared > limit:
        return _too_large(name, declared, limit), None
    try:
        saved = storage.save(stream, max_bytes=limit)
    except storage.TooLarge:
        return _too_large(name, None, limit), None
    if saved.size_bytes == 0:
        storage.delete(saved.key)
        return f"“{name}” is empty.", None
    if kind.magic and not any(_starts_with(saved.head, m, kind) for m in kind.magic):
        storage.delete(saved.key)
        return (
            f"“{name}” is not really a {kind.label} file (its contents do not match its "
            "name), so it was not accepted."
        ), None
    return None, (kind, saved)


def _starts_with(head: bytes, magic: bytes, kind: FileType) -> bool:
    # PDF readers accept a header anywhere in the first kilobyte; images must start with it.
    return magic in head if kind is _PDF else head.startswith(magic)


def _too_large(name: str, size: int | None, limit: int) -> str:
    if size is None:
        return f"“{name}” is larger than the {_limit_label(limit)} limit."
    return f"“{name}” is {display.size(size)}; the limit is {_limit_label(limit)}."


def list_documents(
    *, session: Session, actor: Actor, client_id: int, filing_id: int | None = None
) -> list[DocumentRow]:
    """A client's documents, newest first; empty when the client is outside the actor's scope."""
    query = (
        select(Document, Filing)
        .join(Filing, Filing.id == Document.filing_id, isouter=True)
        .where(
            Document.client_id == client_id,
            Document.deleted_at.is_(None),
            client_id_visible(actor, Document.client_id, Document.firm_id),
        )
        .order_by(Document.created_at.desc(), Document.id.desc())
    )
    if filing_id:
        query = query.where(Document.filing_id == filing_id)
    return [_row(document, filing) for document, filing in session.exec(query).all()]


_VISIBLE = built(
    lambda rule: select(Document).where(
        Document.id == bindparam("document_id"), Document.deleted_at.is_(None), rule
    )
)


def _visible_document(session: Session, actor: Actor, document_id: int) -> Document:
    """Scope, deletion and existence in one query, so every refusal reads as "not found"."""
    document = session.exec(
        _VISIBLE(client_id_visible(actor, Document.client_id, Document.firm_id)),
        params={"document_id": document_id},
    ).first()
    if document is None:
        raise NotFound
    return document


def open_document(*, session: Session, actor: Actor, document_id: int) -> OpenDocument:
    document = _visible_document(session, actor, document_id)
    try:
        path = storage.open_path(document.storage_key)
    except (FileNotFoundError, storage.BadKey):
        log.error("document %s has a row but no bytes on disk", document.id)
        raise NotFound from None
    return OpenDocument(
        path=path,
        filename=document.filename,
        content_type=document.content_type,
        size_bytes=document.size_bytes,
        inline_ok=is_viewable(document.content_type),
        client_id=document.client_id,
    )


def delete_document(*, session: Session, actor: Actor, document_id: int) -> None:
    """Remove the bytes at once; the row stays, marked deleted, so the audit log can name it."""
    require_staff(actor)
    document = _visible_document(session, actor, document_id)
    document.deleted_at = utcnow()
    session.add(document)
    live.changed(session, client_id=document.client_id, filing_id=document.filing_id)
    audit.record(
        session=session,
        actor=actor,
        action="document_deleted",
        target_type="document",
        target_id=document.id,
        client_id=document.client_id,
        detail=document.filename,
        at=document.deleted_at,
    )
    session.flush()
    storage.delete(document.storage_key)


def download_link(*, session: Session, actor: Actor, document_id: int) -> tuple[str, str]:
    """Where to fetch a document and its name, once it is known to be there for this person:
    a page can then say plainly that it was deleted, instead of a download that fails
    silently in the browser's download bar."""
    document = _visible_document(session, actor, document_id)
    return routes.document_download(document.id), document.filename
