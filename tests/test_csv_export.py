"""The CSV helper every download uses: what a spreadsheet makes of its cells and its name."""

from __future__ import annotations

import csv
import io

import pytest

from portal import csv_export

HYPERLINK = '=HYPERLINK("http://x","y")'


def read_back(chunks) -> list[list[str]]:
    """What a spreadsheet importer reads: UTF-8 with its BOM, CSV rows."""
    raw = b"".join(chunks)
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    "text",
    [HYPERLINK, "+1 555 0100", "-2+3", "@SUM(A1:A9)", "\tTabbed", "\rReturned", "=1+1"],
)
def test_cells_that_a_spreadsheet_would_run_are_kept_as_text(text):
    assert csv_export.cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Maple Leaf Cafe Inc.", "Maple Leaf Cafe Inc."),
        ("Café Olé ☕ 日本", "Café Olé ☕ 日本"),
        ("A = B", "A = B"),  # only the first character makes a formula
        (-5, "-5"),  # the app's own numbers stay numbers
        (None, ""),
        (True, "yes"),
    ],
)
def test_everything_else_is_written_as_it_is(value, expected):
    assert csv_export.cell(value) == expected


def test_a_file_round_trips_with_escaping_quotes_line_breaks_and_accents():
    rows = [[HYPERLINK, "Relevé d\u2019impôt", 'say "hi"\nthere', "\r\n=cmd|' /C calc'!A0"]]
    chunks = list(csv_export.lines(["Client", "Document", "Note", "Odd"], [rows, [], rows]))
    assert len(chunks) == 3  # the header, then one chunk per non-empty batch
    assert read_back(chunks) == [
        ["Client", "Document", "Note", "Odd"],
        ["'" + HYPERLINK, "Relevé d\u2019impôt", 'say "hi"\nthere', "'\r\n=cmd|' /C calc'!A0"],
        ["'" + HYPERLINK, "Relevé d\u2019impôt", 'say "hi"\nthere', "'\r\n=cmd|' /C calc'!A0"],
    ]


def test_batches_are_read_only_as_the_file_is_sent():
    made = []

    def batches():
        for n in range(3):
            made.append(n)
            yield [[f"row {n}"]]

    stream = csv_export.lines(["H"], batches())
    next(stream)
    assert made == []  # the header goes out before any row is read
    next(stream)
    assert made == [0]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("access", "between", "Maple Leaf Cafe Inc.", "2026-03-01", "2026-04-30"),
         "access-between-maple-leaf-cafe-inc-2026-03-01-2026-04-30.csv"),
        (("access", "history", "Café Olé ☕ Ltd."), "access-history-cafe-ole-ltd.csv"),
        (("access", "now", "../../etc/passwd"), "access-now-etc-passwd.csv"),
        (("access", "now", HYPERLINK), "access-now-hyperlink-http-x-y.csv"),
        (("日本語",), "export.csv"),
    ],
)  # fmt: skip
def test_file_names_carry_the_filters_in_safe_ascii(parts, expected):
    assert csv_export.filename(*parts) == expected
