"""CSV files the app hands out: safe to open in a spreadsheet, streamed, and sensibly named.

Every CSV download goes through here, so every one gets the same protections:
- A cell that starts with =, +, -, @, a tab or a carriage return is read by Excel, LibreOffice
  and Google Sheets as a formula (CSV injection): a client named =HYPERLINK("http://x","y")
  would become a live link, or worse. Such a cell gets a leading single quote, which the
  spreadsheet shows as text and does not run. Numbers the app writes itself are left alone.
- The file starts with a UTF-8 byte order mark: without it Excel reads UTF-8 as the local
  code page and "Café Olé" arrives as "CafÃ© OlÃ©".
- Rows are written a batch at a time, so a long export never sits in memory whole.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """One value as a cell that a spreadsheet shows as written and never evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)  # the app's own numbers: a negative stays a number
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def lines(header: Iterable[str], batches: Iterable[Iterable[Iterable[object]]]) -> Iterator[bytes]:
    """The file as UTF-8 chunks: the BOM and the header first, then one chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def taken() -> bytes:
        chunk = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return chunk

    buffer.write(BOM)
    writer.writerow([cell(name) for name in header])
    yield taken()
    for batch in batches:
        writer.writerows([cell(value) for value in row] for row in batch)
        chunk = taken()
        if chunk:
            yield chunk


def slug(text: str, limit: int = 60) -> str:
    """A file-name part from any text: ASCII letters, digits and single hyphens. Accents
    become their base letter; what is left (emoji, scripts without Latin letters, slashes
    and dots) becomes a hyphen, so a name can never climb out of a folder or hide a
    different extension."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return cleaned[:limit].rstrip("-")


def filename(*parts: str) -> str:
    """`access-between-maple-leaf-cafe-inc-2026-03-01-2026-04-30.csv` from its parts."""
    slugs = [s for s in (slug(part) for part in parts) if s]
    return "-".join(slugs or ["export"]) + ".csv"
