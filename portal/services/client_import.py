"""Importing clients from a CSV file: a preview first, then one transaction.

What a practice moving in has is a spreadsheet. The flow:

1. `preview`: the file is decoded and read; each column's meaning is guessed from its header
   (changeable); every row is checked exactly as the "New client" form checks it
   (`clients.parse_client`); likely duplicates are found, against the firm's clients (same
   business number, or the same name ignoring case and spacing, as the form's own duplicate
   check) and within the file. Nothing is written.
2. `import_clients`: the same reading again (nothing from the preview is trusted), then the
   rows are written in one transaction, a chunk at a time, with set-based statements: one
   query per chunk finds the duplicates, one executemany inserts the chunk's clients, one
   updates the chunk's duplicates when the person chose "update".

Decisions, said once here and on the page:
- Rows with errors are never imported. When some rows have errors the person must confirm
  "import the other rows, skip the rows with errors" (`skip_errors`), else nothing happens.
- A duplicate is skipped, or updated, as the person chooses, for all duplicates at once. An
  update writes only the cells the file has a value for: an empty cell never clears a field.
  A client found by its name keeps the firm's spelling of it; one found by its business
  number takes the file's name. A later row that duplicates an earlier row of the file is
  skipped, or (update) merged into what the earlier row makes. A row that matches two
  different clients is always skipped.
- Limits: 5 MB and 20,000 rows. UTF-8 (with or without a byte-order mark) and UTF-16 with a
  byte-order mark are read; anything else is refused with "save it as CSV UTF-8", since a
  legacy encoding cannot be told apart from its neighbours honestly.
- The audit log gets one row for the import (file, counts) and one row per client created or
  updated (written with one executemany per chunk, so the log by client shows where each
  client came from).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import String, and_, bindparam, column, insert, union, update, values
from sqlmodel import Session, select

from models import AuditEvent, Client, utcnow
from models.clients import bn_key, name_key, search_key
from portal import storage
from portal import text as chars
from portal.auth import Actor
from portal.services import audit, clients, live, scope
from portal.services.clients import FIELD_LABELS, ClientInput
from portal.services.errors import Invalid
from portal.settings import get_settings

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# Rows written per statement, and per progress report.
CHUNK = 1000
# What a preview shows: the first rows, and at most this many errors and duplicates.
SAMPLE_ROWS = 5
SHOWN = 100
# Above this many updated clients, open pages of the whole firm reload instead of each one.
LIVE_CLIENTS = 200

FIELDS = tuple(FIELD_LABELS)  # name, business_number, contact_name, contact_email, ...
SKIP = "skip"
UPDATE = "update"

SAVE_AS_UTF8 = (
    "In Excel choose File > Save As > “CSV UTF-8 (Comma delimited)”; in Google Sheets, "
    "File > Download > “Comma-separated values”; in Numbers, Export To > CSV with Unicode "
    "(UTF-8)."
)

# Header words, folded (case, spaces and punctuation aside), and the field each names.
_ALIASES = {
    "name": (
        "name",
        "client",
        "clientname",
        "clientsname",
        "company",
        "companyname",
        "business",
        "businessname",
        "legalname",
        "customer",
        "customername",
        "organization",
        "organisation",
        "organizationname",
        "organisationname",
        "entity",
        "entityname",
    ),
    "business_number": (
        "businessnumber",
        "businessno",
        "businessnum",
        "bn",
        "bnno",
        "bnnumber",
        "bn9",
        "bn15",
        "crabusinessnumber",
        "crabn",
        "gstnumber",
        "hstnumber",
        "gsthstnumber",
        "gstno",
        "hstno",
        "taxnumber",
        "taxid",
        "taxno",
    ),
    "contact_name": (
        "contact",
        "contactname",
        "contactperson",
        "primarycontact",
        "maincontact",
        "contactfullname",
    ),
    "contact_email": (
        "email",
        "emailaddress",
        "contactemail",
        "contactemailaddress",
        "mail",
        "emailaddr",
    ),
    "phone": (
        "phone",
        "phonenumber",
        "phoneno",
        "telephone",
        "tel",
        "telephonenumber",
        "mobile",
        "cell",
        "cellphone",
        "contactphone",
    ),
    "address": (
        "address",
        "mailingaddress",
        "streetaddress",
        "businessaddress",
        "postaladdress",
        "fulladdress",
    ),
    "notes": ("notes", "note", "comments", "comment", "remarks", "memo", "description"),
}
_BY_ALIAS = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class CsvFile:
    """An uploaded file's bytes. It names itself by name and digest only, so a submission
    key (portal/services/submissions.py) never copies megabytes of client data."""

    name: str
    data: bytes = field(repr=False)

    def __str__(self) -> str:
        return f"{self.name}:{hashlib.sha256(self.data).hexdigest()}"

    __repr__ = __str__


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    field: str  # one of FIELDS, or "" for a column left out


@dataclass(frozen=True)
class DuplicateRow:
    row: int
    name: str
    # What it matches, in words: "Maple Leaf Cafe Inc. (same business number)" or "row 5".
    matches: str
    # What happens to it: "skipped", "updates Maple Leaf Cafe Inc.", ...
    outcome: str


@dataclass(frozen=True)
class Preview:
    file_name: str = ""
    columns: list[Column] = field(default_factory=list)
    # The first rows as read, one cell per column.
    sample: list[list[str]] = field(default_factory=list)
    rows: int = 0
    # Rows that would be written (new clients), and the duplicates of each kind.
    new: int = 0
    duplicates: int = 0
    within_file: int = 0
    ambiguous: int = 0
    error_rows: int = 0
    errors: list[str] = field(default_factory=list)
    duplicate_rows: list[DuplicateRow] = field(default_factory=list)
    # A problem with the mapping itself (no name column): nothing can be imported.
    blocking: str = ""


@dataclass(frozen=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    error_rows: int = 0

    def summary(self) -> str:
        parts = [
            f"{self.created} client{'s' if self.created != 1 else ''} created",
            f"{self.updated} updated",
        ]
        if self.unchanged:
            parts.append(f"{self.unchanged} already up to date")
        parts.append(f"{self.skipped} duplicate{'s' if self.skipped != 1 else ''} skipped")
        parts.append(
            f"{self.error_rows} row{'s' if self.error_rows != 1 else ''} with errors not imported"
        )
        return ", ".join(parts) + "."


class Progress:
    """Where an import is, for a progress bar: rows done of all. Named by nothing that
    changes, so it never makes two clicks of one submission look different."""

    def __init__(self, report: Callable[[int, int], None] | None = None):
        self.report = report

    def __call__(self, done: int, total: int) -> None:
        if self.report is not None:
            self.report(done, total)

    def __str__(self) -> str:
        return "progress"

    __repr__ = __str__


# --- reading the file --------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8", data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data
    else:
        encoding, body = "utf-8", data
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise Invalid(
            "This is a spreadsheet workbook (Excel or similar), not a CSV file. Save it as "
            f"CSV first. {SAVE_AS_UTF8}"
        )
    if encoding == "utf-8" and b"\x00" in body:
        raise Invalid(
            "This file does not look like CSV text: it holds binary data, or it is UTF-16 "
            f"without a byte-order mark. Save it as CSV UTF-8 and upload it again. {SAVE_AS_UTF8}"
        )
    try:
        decoded = body.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-16":
            raise Invalid("This file says it is UTF-16 but cannot be read as such.") from exc
        raise Invalid(
            "This file is not in UTF-8, so its accented letters cannot be read reliably. "
            f"Save it as CSV UTF-8 and upload it again. {SAVE_AS_UTF8}"
        ) from exc
    if "\x00" in decoded:
        raise Invalid(
            "This file does not look like CSV text (it holds binary data). "
            f"Save it as CSV UTF-8 and upload it again. {SAVE_AS_UTF8}"
        )
    return decoded


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _fold_header(header: str) -> str:
    folded = unicodedata.normalize("NFKC", chars.clean(header, multiline=False)).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def guess_mapping(headers: Sequence[str]) -> list[str]:
    """Each column's field, guessed from its header; "" where nothing fits or a field was
    already taken by an earlier column."""
    taken: set[str] = set()
    mapping = []
    for header in headers:
        guess = _BY_ALIAS.get(_fold_header(header), "")
        if guess in taken:
            guess = ""
        if guess:
            taken.add(guess)
        mapping.append(guess)
    return mapping


@dataclass
class _Read:
    headers: list[str]
    # (row number as a spreadsheet shows it, its cells), blank rows left out.
    rows: list[tuple[int, list[str]]]


def read(upload: CsvFile) -> _Read:
    """The header and the rows, or Invalid saying what is wrong with the file as a whole."""
    if not isinstance(upload, CsvFile):
        raise Invalid("Choose a CSV file to import.")
    data = upload.data
    if not data.strip():
        raise Invalid("The file is empty.")
    if len(data) > MAX_BYTES:
        raise Invalid(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; one import takes at most "
            f"{MAX_BYTES // 1024 // 1024} MB and {MAX_ROWS:,} rows. Split it into smaller files."
        )
    content = _decode(data)
    first_line = content.lstrip("\ufeff").split("\n", 1)[0]
    reader = csv.reader(
        io.StringIO(content.lstrip("\ufeff"), newline=""),
        delimiter=_delimiter(first_line),
        strict=True,
    )
    rows: list[tuple[int, list[str]]] = []
    headers: list[str] | None = None
    number = 0
    try:
        for cells in reader:
            number += 1
            if headers is None:
                if not any(c.strip() for c in cells):
                    number -= 1
                    continue
                headers = [chars.clean(c, multiline=False) for c in cells]
                continue
            if not any(c.strip() for c in cells):
                continue
            rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                raise Invalid(
                    f"The file has more than {MAX_ROWS:,} rows; one import takes at most "
                    f"{MAX_ROWS:,}. Split it into smaller files."
                )
    except csv.Error as exc:
        raise Invalid(
            f"Row {number + 1} cannot be read as CSV ({exc}). Check its quotes, or save the "
            "file again as CSV from your spreadsheet."
        ) from exc
    if headers is None:
        raise Invalid("The file is empty.")
    if not rows:
        raise Invalid("The file has a header row but no clients under it.")
    return _Read(headers=headers, rows=rows)


def checked_mapping(mapping: object, width: int) -> list[str]:
    """A mapping from the browser: one known field (or "") per column, each field once."""
    if not isinstance(mapping, (list, tuple)) or len(mapping) != width:
        raise Invalid("The column choices do not match the file. Upload it again.")
    values = [str(m or "") for m in mapping]
    unknown = [m for m in values if m and m not in FIELDS]
    if unknown:
        raise Invalid("Choose each column's meaning from the list.")
    used = [m for m in values if m]
    for name in FIELDS:
        if used.count(name) > 1:
            raise Invalid(
                f"Two columns are set to “{FIELD_LABELS[name]}”. Choose it for one column only."
            )
    return values


def _no_name(mapping: Sequence[str]) -> str:
    if "name" in mapping:
        return ""
    return (
        "No column holds the client's name. The first row of the file must name the "
        "columns (a header row); choose which column is the client name below, or add a "
        "header such as “Client name” and upload the file again."
    )


# --- checking rows -----------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    data: ClientInput
    # The cells the file has a value for: what an update writes.
    filled: frozenset[str]
    name_key: str
    bn_key: str


def _parse_rows(found: _Read, mapping: Sequence[str]) -> tuple[list[_Row], list[str], int]:
    """The rows that pass the form's checks, and "Row N: ..." for each that does not."""
    width = len(found.headers)
    good: list[_Row] = []
    errors: list[str] = []
    for number, cells in found.rows:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            errors.append(
                f"Row {number}: it has {len(cells)} values but the header has {width} "
                "columns. Check for a comma that is not inside quotes."
            )
            continue
        form = {name: cells[i] for i, name in enumerate(mapping) if name and i < len(cells)}
        try:
            data = clients.parse_client(form)
        except Invalid as exc:
            errors.append(f"Row {number}: {exc.message}")
            continue
        filled = frozenset(name for name in FIELDS if getattr(data, name))
        good.append(
            _Row(
                number=number,
                data=data,
                filled=filled,
                name_key=name_key(data.name),
                bn_key=bn_key(data.business_number),
            )
        )
    return good, errors, len(errors)


# --- finding duplicates ------------------------------------------------------------------

_COLUMNS = (
    Client.id,
    Client.name,
    Client.name_key,
    Client.bn_key,
    *[getattr(Client, name) for name in FIELDS if name != "name"],
)


def _keys(name: str, keys: Sequence[str]):
    return values(column("key", String), name=name).data([(k,) for k in keys])


def _matching(actor: Actor, key_column, keys: Sequence[str], postgresql: bool, name: str):
    """The firm's clients whose key is among these, from the (firm, key) index."""
    if not postgresql:
        # SQLite looks each element of an IN list up in the index.
        return select(*_COLUMNS).where(Client.firm_id == actor.firm_id, key_column.in_(keys))
    # PostgreSQL compares an IN list of parameters one element at a time, row by row; once
    # an import had made its statistics stale it chose to do that for every client of the
    # firm (a second per chunk, growing with each import). Joined as a VALUES list, the keys
    # cost the same whatever plan it chooses.
    listed = _keys(name, keys)
    return (
        select(*_COLUMNS)
        .select_from(listed)
        .join(Client, and_(Client.firm_id == actor.firm_id, key_column == listed.c.key))
    )


def _existing(session: Session, actor: Actor, rows: Sequence[_Row]) -> list[Any]:
    """The firm's clients that rows of this chunk may duplicate: one query per chunk, a
    UNION of one index search per key (as the form's own duplicate check)."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    names = sorted({r.name_key for r in rows})
    numbers = sorted({r.bn_key for r in rows if r.bn_key})
    query = _matching(actor, Client.name_key, names, postgresql, "import_names")
    if numbers:
        query = union(query, _matching(actor, Client.bn_key, numbers, postgresql, "import_numbers"))
    return list(session.execute(query))


@dataclass
class _Plan:
    creates: list[_Row] = field(default_factory=list)
    # Existing client id -> (the row that updates it, the client as it is now).
    updates: dict[int, tuple[_Row, Any]] = field(default_factory=dict)
    duplicates: int = 0
    within_file: int = 0
    ambiguous: int = 0
    skipped: int = 0
    listed: list[DuplicateRow] = field(default_factory=list)


def _merge(into: _Row, row: _Row) -> _Row:
    """An update: the later row's filled cells over what was there."""
    values = {name: getattr(into.data, name) for name in FIELDS}
    for name in row.filled:
        values[name] = getattr(row.data, name)
    data = ClientInput(**values)
    return _Row(
        number=into.number,
        data=data,
        filled=into.filled | row.filled,
        name_key=name_key(data.name),
        bn_key=bn_key(data.business_number),
    )


def _plan(session: Session, actor: Actor, rows: Sequence[_Row], on_duplicate: str) -> _Plan:
    plan = _Plan()
    by_name: dict[str, set[int]] = {}
    by_number: dict[str, set[int]] = {}
    current: dict[int, Any] = {}
    for start in range(0, len(rows), CHUNK):
        for found in _existing(session, actor, rows[start : start + CHUNK]):
            current[found.id] = found
            by_name.setdefault(found.name_key, set()).add(found.id)
            if found.bn_key:
                by_number.setdefault(found.bn_key, set()).add(found.id)
    # Earlier rows of the file: key -> index in plan.creates.
    file_names: dict[str, int] = {}
    file_numbers: dict[str, int] = {}
    updating = on_duplicate == UPDATE

    def note(row: _Row, matches: str, outcome: str) -> None:
        if len(plan.listed) < SHOWN:
            plan.listed.append(DuplicateRow(row.number, row.data.name, matches, outcome))

    for row in rows:
        same_name = by_name.get(row.name_key, set())
        same_number = by_number.get(row.bn_key, set()) if row.bn_key else set()
        targets = same_name | same_number
        if len(targets) > 1:
            plan.ambiguous += 1
            plan.skipped += 1
            names = ", ".join(sorted(current[t].name for t in targets)[:3])
            note(row, f"more than one client: {names}", "skipped (matches several clients)")
            continue
        if targets:
            [target] = targets
            plan.duplicates += 1
            client = current[target]
            how = "same business number" if target in same_number else "same name"
            if not updating:
                plan.skipped += 1
                note(row, f"{client.name} ({how})", "skipped")
                continue
            if target in same_name:
                # The same name as the firm spells it: its spelling stays the firm's.
                row = replace(row, filled=row.filled - {"name"})
            earlier = plan.updates.get(target)
            merged = _merge(earlier[0], row) if earlier else row
            plan.updates[target] = (merged, client)
            # A later row finds the client under the name and number it is given here too.
            if "name" in merged.filled:
                by_name.setdefault(merged.name_key, set()).add(target)
            if "business_number" in merged.filled and merged.bn_key:
                by_number.setdefault(merged.bn_key, set()).add(target)
            note(row, f"{client.name} ({how})", f"updates {client.name}")
            continue
        earlier_index = file_names.get(row.name_key)
        if earlier_index is None and row.bn_key:
            earlier_index = file_numbers.get(row.bn_key)
        if earlier_index is not None:
            plan.within_file += 1
            first = plan.creates[earlier_index]
            how = (
                "same name"
                if file_names.get(row.name_key) == earlier_index
                else ("same business number")
            )
            if not updating:
                plan.skipped += 1
                note(row, f"row {first.number} of this file ({how})", "skipped")
                continue
            if how == "same name":
                row = replace(row, filled=row.filled - {"name"})
            merged = _merge(first, row)
            plan.creates[earlier_index] = merged
            file_names.setdefault(merged.name_key, earlier_index)
            if merged.bn_key:
                file_numbers.setdefault(merged.bn_key, earlier_index)
            note(row, f"row {first.number} of this file ({how})", f"merged into row {first.number}")
            continue
        file_names.setdefault(row.name_key, len(plan.creates))
        if row.bn_key:
            file_numbers.setdefault(row.bn_key, len(plan.creates))
        plan.creates.append(row)
    return plan


def _choice(on_duplicate: object) -> str:
    if on_duplicate not in (SKIP, UPDATE):
        raise Invalid("Choose what happens to duplicates: skip them or update the clients.")
    return str(on_duplicate)


# --- the two operations ------------------------------------------------------------------


def preview(
    *,
    session: Session,
    actor: Actor,
    upload: CsvFile,
    mapping: object = None,
    on_duplicate: object = SKIP,
) -> Preview:
    """What an import of this file would do, with nothing written."""
    scope.require_staff(actor)
    found = read(upload)
    columns = (
        guess_mapping(found.headers)
        if mapping is None
        else checked_mapping(mapping, len(found.headers))
    )
    shown = [
        Column(index=i, header=header or f"Column {i + 1}", field=columns[i])
        for i, header in enumerate(found.headers)
    ]
    sample = [
        [
            chars.clean(cells[i], multiline=False) if i < len(cells) else ""
            for i in range(len(columns))
        ]
        for _, cells in found.rows[:SAMPLE_ROWS]
    ]
    blocking = _no_name(columns)
    if blocking:
        return Preview(
            file_name=upload.name,
            columns=shown,
            sample=sample,
            rows=len(found.rows),
            blocking=blocking,
        )
    good, errors, error_rows = _parse_rows(found, columns)
    plan = _plan(session, actor, good, _choice(on_duplicate))
    return Preview(
        file_name=upload.name,
        columns=shown,
        sample=sample,
        rows=len(found.rows),
        new=len(plan.creates),
        duplicates=plan.duplicates,
        within_file=plan.within_file,
        ambiguous=plan.ambiguous,
        error_rows=error_rows,
        errors=errors[:SHOWN],
        duplicate_rows=plan.listed,
    )


# Core statements on the tables, built once: an executemany each, no ORM unit of work.
_CLIENTS = Client.__table__
_INSERT_AUDIT = insert(AuditEvent.__table__)
_INSERT_CLIENTS = insert(_CLIENTS).returning(_CLIENTS.c.id, sort_by_parameter_order=True)


def _client_values(actor: Actor, data: ClientInput, now) -> dict[str, Any]:
    values = dict(data.__dict__)
    values.update(
        firm_id=actor.firm_id,
        name_key=name_key(data.name),
        bn_key=bn_key(data.business_number),
        search_key=search_key(data.name, data.business_number, data.contact_name),
        created_at=now,
        updated_at=now,
        updated_by_id=actor.user_id,
        version=1,
    )
    return values


# Prebuilt once: the update of one client found as a duplicate, by id within the firm.
_UPDATE = (
    update(_CLIENTS)
    .where(_CLIENTS.c.id == bindparam("b_id"), _CLIENTS.c.firm_id == bindparam("b_firm"))
    .values(
        {
            **{name: bindparam(f"b_{name}") for name in FIELDS},
            "name_key": bindparam("b_name_key"),
            "bn_key": bindparam("b_bn_key"),
            "search_key": bindparam("b_search_key"),
            "updated_at": bindparam("b_now"),
            "updated_by_id": bindparam("b_by"),
            "version": _CLIENTS.c.version + 1,
        }
    )
)


def _audit_rows(
    actor: Actor, rows: Iterable[tuple[int, str, str]], now, action: str, source: str
) -> list[dict[str, Any]]:
    label = chars.escaped(actor.email)[:254]
    return [
        {
            "firm_id": actor.firm_id,
            "actor_id": actor.user_id,
            "actor_label": label,
            "action": action,
            "outcome": "ok",
            "target_type": "client",
            "target_id": client_id,
            "client_id": client_id,
            "detail": chars.escaped(f"{name}: {what} from {source}")[:1000],
            "ip": chars.escaped(actor.ip or "")[:64],
            "at": now,
        }
        for client_id, name, what in rows
    ]


def import_clients(
    *,
    session: Session,
    actor: Actor,
    upload: CsvFile,
    mapping: object,
    on_duplicate: object,
    skip_errors: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Read, check and write the file in the caller's one transaction: all of it, or (on any
    failure) nothing."""
    scope.require_staff(actor)
    found = read(upload)
    columns = checked_mapping(mapping, len(found.headers))
    blocking = _no_name(columns)
    if blocking:
        raise Invalid(blocking)
    good, errors, error_rows = _parse_rows(found, columns)
    if errors and not skip_errors:
        raise Invalid(
            f"{error_rows} row{'s have' if error_rows != 1 else ' has'} errors, so nothing "
            "was imported. Fix the file and upload it again, or tick “Import the other "
            "rows and skip the rows with errors”."
        )
    plan = _plan(session, actor, good, _choice(on_duplicate))
    if not plan.creates and not plan.updates:
        raise Invalid(
            "Nothing to import: every row is a duplicate that is skipped, or has an error."
        )
    report = progress or Progress()
    total = len(plan.creates) + len(plan.updates)
    done = 0
    now = utcnow()
    source = f"import of {chars.clean(upload.name, multiline=False)[:100] or 'a CSV file'}"
    report(0, total)
    for start in range(0, len(plan.creates), CHUNK):
        chunk = plan.creates[start : start + CHUNK]
        ids = (
            session.execute(_INSERT_CLIENTS, [_client_values(actor, r.data, now) for r in chunk])
            .scalars()
            .all()
        )
        session.execute(
            _INSERT_AUDIT,
            _audit_rows(
                actor,
                ((cid, r.data.name, "created") for cid, r in zip(ids, chunk, strict=True)),
                now,
                "client_created",
                source,
            ),
        )
        done += len(chunk)
        report(done, total)

    updated = unchanged = 0
    touched: list[int] = []
    items = list(plan.updates.items())
    for start in range(0, len(items), CHUNK):
        params = []
        changes = []
        for client_id, (row, client) in items[start : start + CHUNK]:
            values = {name: getattr(client, name) for name in FIELDS}
            changed = [
                name
                for name in sorted(row.filled, key=FIELDS.index)
                if getattr(row.data, name) != values[name]
            ]
            if not changed:
                unchanged += 1
                continue
            for name in changed:
                values[name] = getattr(row.data, name)
            params.append(
                {
                    "b_id": client_id,
                    "b_firm": actor.firm_id,
                    **{f"b_{name}": values[name] for name in FIELDS},
                    "b_name_key": name_key(values["name"]),
                    "b_bn_key": bn_key(values["business_number"]),
                    "b_search_key": search_key(
                        values["name"], values["business_number"], values["contact_name"]
                    ),
                    "b_now": now,
                    "b_by": actor.user_id,
                }
            )
            what = "updated (" + ", ".join(FIELD_LABELS[n] for n in changed) + ")"
            changes.append((client_id, values["name"], what))
        if params:
            session.execute(_UPDATE, params)
            session.execute(
                _INSERT_AUDIT, _audit_rows(actor, changes, now, "client_updated", source)
            )
            updated += len(params)
            touched.extend(p["b_id"] for p in params)
        done += len(items[start : start + CHUNK])
        report(done, total)

    result = ImportResult(
        created=len(plan.creates),
        updated=updated,
        unchanged=unchanged,
        skipped=plan.skipped,
        error_rows=error_rows,
    )
    audit.record(
        session=session,
        actor=actor,
        action="clients_imported",
        target_type="firm",
        target_id=actor.firm_id,
        detail=f"{source}: {len(found.rows)} rows; {result.summary()}",
        at=now,
    )
    if len(touched) > LIVE_CLIENTS:
        live.changed(session, firm_id=actor.firm_id)
    else:
        for client_id in touched:
            live.changed(session, client_id=client_id)
    return result


def mapping_of(columns: Iterable[Column]) -> list[str]:
    return [c.field for c in columns]


def field_choices() -> list[tuple[str, str]]:
    """What a column can be, for the mapping selects: ("", "Leave out") first."""
    return [("", "Leave out"), *((name, FIELD_LABELS[name]) for name in FIELDS)]


_SAFE_NAME = re.compile(r"[^\w .()-]+")
_STASH_KEY = re.compile(r"^[0-9a-f]{32}$")
# An uploaded file waits this long for its import (a tab left open over lunch).
STASH_KEEP_SECONDS = 24 * 3600


# --- the uploaded file between preview and import ----------------------------------------
# Kept on the server, under the data folder (never Reflex's public upload folder), named by a
# random key that only the page's server-side state holds; removed after the import, on
# "start over", and after a day at the latest.


def _stash_dir() -> Path:
    return get_settings().data_dir / "imports"


def _stash_path(key: str) -> Path:
    if not isinstance(key, str) or not _STASH_KEY.match(key):
        raise Invalid("The uploaded file is no longer here. Upload it again.")
    return _stash_dir() / key


def stash(stream: storage.Readable) -> str:
    """Keep an uploaded file's bytes for the preview and the import; Invalid when it is
    larger than an import takes (read no further than that)."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise Invalid(
            f"The file is larger than {MAX_BYTES // 1024 // 1024} MB; one import takes at most "
            f"{MAX_BYTES // 1024 // 1024} MB and {MAX_ROWS:,} rows. Split it into smaller files."
        )
    directory = _stash_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    cutoff = time.time() - STASH_KEEP_SECONDS
    for old in directory.iterdir():
        with suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    key = secrets.token_hex(16)
    fd = os.open(_stash_path(key), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(bytes(data))
    return key


def unstash(key: str, name: str) -> CsvFile:
    try:
        return CsvFile(name=name, data=_stash_path(key).read_bytes())
    except FileNotFoundError:
        raise Invalid("The uploaded file is no longer here. Upload it again.") from None


def drop_stash(key: str) -> None:
    with suppress(Invalid, OSError):
        _stash_path(key).unlink()


def file_name(raw: object) -> str:
    """An uploaded file's name, for messages and the audit log."""
    cleaned = chars.clean(str(raw or ""), multiline=False).rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return _SAFE_NAME.sub("_", cleaned)[:100] or "clients.csv"
